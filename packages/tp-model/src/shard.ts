// How a model is split over `worldSize` tensor-parallel ranks (Megatron layout). Every split is a
// contiguous range [⌊r·n/p⌋, ⌊(r+1)·n/p⌋): uneven where n is not divisible by p, never empty for heads.
import type { ModelConfig } from "./config.js";

/** [start, end) of rank r's part of n items split over p ranks. */
export function splitRange(n: number, p: number, r: number): [number, number] {
  return [Math.floor((r * n) / p), Math.floor(((r + 1) * n) / p)];
}

/** What one rank owns. Ranges are [start, end). */
export interface ShardPlan {
  readonly rank: number;
  readonly worldSize: number;
  /** query heads (global ids): column-parallel Q, and the input columns of the row-parallel attention output */
  readonly heads: readonly [number, number];
  /**
   * KV heads the rank's query heads use (global ids): head h uses KV head ⌊h / (nHeads / nKvHeads)⌋. Two ranks
   * whose query heads share a KV head both hold (replicate) it, so tp may exceed nKvHeads.
   */
  readonly kvHeads: readonly [number, number];
  /** MLP hidden units: column-parallel gate/up, and the input columns of the row-parallel down projection */
  readonly hidden: readonly [number, number];
  /** vocabulary rows of the vocab-parallel classifier */
  readonly vocab: readonly [number, number];
}

/** Throws when `worldSize` cannot split this model (each rank needs at least one query head). */
export function checkTpDegree(config: ModelConfig, worldSize: number): void {
  if (!Number.isInteger(worldSize) || worldSize < 1) throw new RangeError(`tensor-parallel degree must be a positive integer, got ${worldSize}`);
  if (worldSize > config.nHeads) {
    throw new RangeError(`tensor-parallel degree ${worldSize} exceeds the model's ${config.nHeads} query heads: every rank needs at least one head (use --tp ≤ ${config.nHeads})`);
  }
}

/** The shard of rank `rank` of `worldSize`. */
export function planShard(config: ModelConfig, worldSize: number, rank: number): ShardPlan {
  checkTpDegree(config, worldSize);
  if (!Number.isInteger(rank) || rank < 0 || rank >= worldSize) throw new RangeError(`rank ${rank} out of range 0..${worldSize - 1}`);
  const heads = splitRange(config.nHeads, worldSize, rank);
  const kvMul = config.nHeads / config.nKvHeads;
  const kvHeads: [number, number] = [Math.floor(heads[0] / kvMul), Math.floor((heads[1] - 1) / kvMul) + 1];
  return {
    rank, worldSize, heads, kvHeads,
    hidden: splitRange(config.hiddenDim, worldSize, rank),
    vocab: splitRange(config.vocabSize, worldSize, rank),
  };
}

/** Every rank's shard, in rank order. */
export function planShards(config: ModelConfig, worldSize: number): ShardPlan[] {
  checkTpDegree(config, worldSize);
  return Array.from({ length: worldSize }, (_, r) => planShard(config, worldSize, r));
}
