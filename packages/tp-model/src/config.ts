// The model's hyper-parameters, as read from a checkpoint (format/llama2c.ts, format/gguf.ts).

/** A Llama's shape and numerics. Every checkpoint reader produces one; every layer reads only this. */
export interface ModelConfig {
  /** model width (embedding length) */
  readonly dim: number;
  /** MLP hidden width (feed-forward length) */
  readonly hiddenDim: number;
  readonly nLayers: number;
  /** query heads */
  readonly nHeads: number;
  /** key/value heads (nHeads % nKvHeads === 0; nKvHeads < nHeads is grouped-query / multi-query attention) */
  readonly nKvHeads: number;
  readonly vocabSize: number;
  /** maximum sequence length (context length) */
  readonly seqLen: number;
  /** dim / nHeads */
  readonly headSize: number;
  /** RMSNorm epsilon (llama2.c: 1e-5) */
  readonly rmsEps: number;
  /** RoPE frequency base (llama2.c: 10000) */
  readonly ropeTheta: number;
}

/** Validate a config's internal consistency; throws an Error naming `where` and the offending field. */
export function checkConfig(c: ModelConfig, where: string): void {
  const ints: (keyof ModelConfig)[] = ["dim", "hiddenDim", "nLayers", "nHeads", "nKvHeads", "vocabSize", "seqLen", "headSize"];
  for (const k of ints) {
    const v = c[k];
    if (!Number.isInteger(v) || v <= 0 || v > 1 << 30) throw new Error(`${where}: ${k} = ${v} is not a positive integer`);
  }
  if (c.dim % c.nHeads !== 0) throw new Error(`${where}: dim ${c.dim} is not divisible by the ${c.nHeads} heads`);
  if (c.headSize !== c.dim / c.nHeads) throw new Error(`${where}: head size ${c.headSize} ≠ dim / heads = ${c.dim / c.nHeads}`);
  if (c.headSize % 2 !== 0) throw new Error(`${where}: head size ${c.headSize} is odd (RoPE rotates pairs)`);
  if (c.nHeads % c.nKvHeads !== 0) throw new Error(`${where}: ${c.nHeads} query heads are not a multiple of the ${c.nKvHeads} KV heads`);
  if (!(c.rmsEps > 0 && c.rmsEps < 1)) throw new Error(`${where}: RMSNorm epsilon ${c.rmsEps} is out of range`);
  if (!(c.ropeTheta > 1 && Number.isFinite(c.ropeTheta))) throw new Error(`${where}: RoPE base ${c.ropeTheta} is out of range`);
}
