// Latency measurement of a loaded model: prefill time-to-first-token and decode tokens/s for several
// compression policies, with warm-up and interleaved repetitions (every repetition runs every policy
// once, so drift on a shared machine hits all of them alike). Used by the package benchmark and by the
// examples' latency study (`tensorwire bench`).
import { type CompressionPolicy, UNCOMPRESSED } from "../policy.js";
import { XorShiftRng } from "../sampler.js";
import type { TensorParallelModel } from "./engine.js";

export interface LatencyVariant {
  label: string;
  policy: CompressionPolicy;
}

export interface LatencyOptions {
  /** prompt token ids (BOS first); see syntheticPrompt */
  prompt: readonly number[];
  /** greedy tokens generated after the prompt in the last repetition, for decode tokens/s (default 16) */
  decodeTokens?: number;
  /** timed repetitions (default 5) and untimed warm-up runs (default 1) */
  reps?: number;
  warmup?: number;
  variants: readonly LatencyVariant[];
  onProgress?: (done: number, total: number) => void;
}

export interface Spread {
  median: number;
  min: number;
  max: number;
  /** every sample, in repetition order */
  samples: number[];
}

export interface LatencyRow {
  label: string;
  /** time to first token (ms) */
  ttft: Spread;
  /** per-rank mean of the prefill's time in all-reduces and its parts (ms), median over repetitions */
  commMs: number;
  codecMs: number;
  linkMs: number;
  computeMs: number;
  /** bytes each rank sent during the prefill (mean over ranks) */
  prefillBytes: number;
  /** f32 payload / wire bytes of the prefill's all-reduces */
  compressionRatio: number;
  /** decode tokens/s (NaN when no token was decoded) */
  decodeTokPerSec: number;
}

export function spread(samples: number[]): Spread {
  const s = [...samples].sort((a, b) => a - b);
  const n = s.length;
  const median = n === 0 ? NaN : n % 2 ? s[(n - 1) >> 1]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
  return { median, min: s[0] ?? NaN, max: s[n - 1] ?? NaN, samples };
}

/** A deterministic prompt of n tokens: BOS, then seeded ids in [3, vocab) (no BOS/EOS/unk). */
export function syntheticPrompt(n: number, vocab: number, seed = 1): number[] {
  if (!(Number.isInteger(n) && n >= 1)) throw new RangeError(`prompt length must be a positive integer, got ${n}`);
  const r = new XorShiftRng(seed);
  return [1, ...Array.from({ length: n - 1 }, () => 3 + (r.nextU32() % Math.max(1, vocab - 3)))];
}

/** Measure every variant on one loaded model (its link and TP degree are fixed at load). */
export async function measureLatency(model: TensorParallelModel, o: LatencyOptions): Promise<LatencyRow[]> {
  const reps = o.reps ?? 5;
  const warmup = o.warmup ?? 1;
  const decodeTokens = o.decodeTokens ?? 16;
  const steps = o.prompt.length;
  const samples = o.variants.map(() => ({ ttft: [] as number[], comm: [] as number[], codec: [] as number[], link: [] as number[], compute: [] as number[], bytes: 0, ratio: 1, dec: NaN }));
  const total = (warmup + reps) * o.variants.length;
  let done = 0;
  const before = model.policy;
  try {
    for (let rep = 0; rep < warmup + reps; rep++) {
      for (let k = 0; k < o.variants.length; k++) {
        // rotate the order each repetition
        const v = (k + rep) % o.variants.length;
        await model.setPolicy(o.variants[v]!.policy);
        const last = rep === warmup + reps - 1;
        const r = await model.generate({ promptTokens: o.prompt, steps: steps + (last ? decodeTokens : 0), temperature: 0 });
        o.onProgress?.(++done, total);
        if (rep < warmup) continue;
        const s = samples[v]!;
        s.ttft.push(r.ttftMs);
        s.comm.push(r.prefill.commMs);
        s.codec.push(r.prefill.codecMs);
        s.link.push(r.prefill.linkMs);
        s.compute.push(r.prefill.computeMs);
        s.bytes = r.prefill.bytesSent;
        s.ratio = r.prefill.compressionRatio;
        if (last) s.dec = r.tokensPerSec;
      }
    }
  } finally {
    await model.setPolicy(before ?? UNCOMPRESSED);
  }
  return o.variants.map((v, i) => {
    const s = samples[i]!;
    return {
      label: v.label, ttft: spread(s.ttft), commMs: spread(s.comm).median, codecMs: spread(s.codec).median,
      linkMs: spread(s.link).median, computeMs: spread(s.compute).median, prefillBytes: s.bytes,
      compressionRatio: s.ratio, decodeTokPerSec: s.dec,
    };
  });
}
