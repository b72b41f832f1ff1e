// The scalar reference of the whole forward pass: llama2.c run.c's forward() in plain TypeScript,
// one token at a time with a KV cache, unsharded, dot products accumulated in f64. It is the oracle
// the tensor-parallel SIMD model is tested against; it is slow and allocates freely.
import type { ModelConfig } from "../config.js";
import type { Checkpoint } from "../format/types.js";
import { readTensor } from "../format/tensor-read.js";
import { ropeTables } from "../rope.js";

/** Full (unsharded) f32 weights; matrices row-major [outputs × inputs]. */
export interface FullWeights {
  /** [vocab × dim] */
  readonly tokenEmbd: Float32Array;
  readonly layers: readonly {
    readonly attnNorm: Float32Array; // [dim]
    readonly wq: Float32Array; // [dim × dim]
    readonly wk: Float32Array; // [kvDim × dim]
    readonly wv: Float32Array; // [kvDim × dim]
    readonly wo: Float32Array; // [dim × dim]
    readonly ffnNorm: Float32Array; // [dim]
    readonly gate: Float32Array; // w1 [hidden × dim]
    readonly down: Float32Array; // w2 [dim × hidden]
    readonly up: Float32Array; // w3 [hidden × dim]
  }[];
  readonly outputNorm: Float32Array; // [dim]
  /** [vocab × dim] (the token embedding when tied) */
  readonly output: Float32Array;
}

function rmsnorm(out: Float64Array, x: Float64Array, w: Float32Array, eps: number): void {
  let ss = 0;
  for (let i = 0; i < x.length; i++) ss += x[i]! * x[i]!;
  const s = 1 / Math.sqrt(ss / x.length + eps);
  for (let i = 0; i < x.length; i++) out[i] = w[i]! * (s * x[i]!);
}

/** out[i] = Σ_j W[i, j] · x[j], W row-major [out.length × x.length] */
function matmul(out: Float64Array, x: Float64Array, w: Float32Array): void {
  const n = x.length;
  for (let i = 0; i < out.length; i++) {
    let v = 0;
    const o = i * n;
    for (let j = 0; j < n; j++) v += w[o + j]! * x[j]!;
    out[i] = v;
  }
}

/** run.c's Transformer: feed tokens one position at a time; returns the logits of each. */
export class ReferenceModel {
  private readonly kCache: Float64Array[];
  private readonly vCache: Float64Array[];
  private readonly rope: ReturnType<typeof ropeTables>;
  /** the residual stream after each layer of the most recent forward() (nLayers × dim) */
  readonly hidden: Float64Array[];

  constructor(readonly config: ModelConfig, readonly weights: FullWeights) {
    const kvDim = (config.dim * config.nKvHeads) / config.nHeads;
    this.kCache = Array.from({ length: config.nLayers }, () => new Float64Array(config.seqLen * kvDim));
    this.vCache = Array.from({ length: config.nLayers }, () => new Float64Array(config.seqLen * kvDim));
    this.rope = ropeTables(config.seqLen, config.headSize, config.ropeTheta);
    this.hidden = Array.from({ length: config.nLayers }, () => new Float64Array(config.dim));
  }

  forward(token: number, pos: number): Float32Array {
    const c = this.config;
    const w = this.weights;
    const { dim, headSize: hs, nHeads, nKvHeads, hiddenDim } = c;
    if (!(Number.isInteger(token) && token >= 0 && token < c.vocabSize)) throw new RangeError(`token ${token} out of range`);
    if (!(Number.isInteger(pos) && pos >= 0 && pos < c.seqLen)) throw new RangeError(`position ${pos} out of range`);
    const kvDim = (dim * nKvHeads) / nHeads;
    const kvMul = nHeads / nKvHeads;
    const x = new Float64Array(dim);
    for (let i = 0; i < dim; i++) x[i] = w.tokenEmbd[token * dim + i]!;
    const xb = new Float64Array(dim);
    const q = new Float64Array(dim);
    const k = new Float64Array(kvDim);
    const v = new Float64Array(kvDim);
    const att = new Float64Array(pos + 1);
    const hb = new Float64Array(hiddenDim);
    const hb2 = new Float64Array(hiddenDim);
    const tmp = new Float64Array(dim);
    const half = this.rope.half;
    for (let l = 0; l < c.nLayers; l++) {
      const L = w.layers[l]!;
      rmsnorm(xb, x, L.attnNorm, c.rmsEps);
      matmul(q, xb, L.wq);
      matmul(k, xb, L.wk);
      matmul(v, xb, L.wv);
      // RoPE: rotate adjacent pairs of every head of q and k
      for (let i = 0; i < dim; i += 2) {
        const p = (i % hs) >> 1;
        const cr = this.rope.cos[pos * half + p]!;
        const ci = this.rope.sin[pos * half + p]!;
        for (const vec of i < kvDim ? [q, k] : [q]) {
          const a = vec[i]!, b = vec[i + 1]!;
          vec[i] = a * cr - b * ci;
          vec[i + 1] = a * ci + b * cr;
        }
      }
      const kc = this.kCache[l]!, vc = this.vCache[l]!;
      kc.set(k, pos * kvDim);
      vc.set(v, pos * kvDim);
      // multi-head attention over positions 0..pos
      const scale = 1 / Math.sqrt(hs);
      for (let h = 0; h < nHeads; h++) {
        const qo = h * hs;
        const ko = Math.floor(h / kvMul) * hs;
        let max = -Infinity;
        for (let t = 0; t <= pos; t++) {
          let s = 0;
          for (let d = 0; d < hs; d++) s += q[qo + d]! * kc[t * kvDim + ko + d]!;
          att[t] = s * scale;
          if (att[t]! > max) max = att[t]!;
        }
        let sum = 0;
        for (let t = 0; t <= pos; t++) { att[t] = Math.exp(att[t]! - max); sum += att[t]!; }
        for (let d = 0; d < hs; d++) {
          let o = 0;
          for (let t = 0; t <= pos; t++) o += (att[t]! / sum) * vc[t * kvDim + ko + d]!;
          xb[qo + d] = o;
        }
      }
      matmul(tmp, xb, L.wo);
      for (let i = 0; i < dim; i++) x[i] += tmp[i]!;
      rmsnorm(xb, x, L.ffnNorm, c.rmsEps);
      matmul(hb, xb, L.gate);
      matmul(hb2, xb, L.up);
      for (let i = 0; i < hiddenDim; i++) {
        const g = hb[i]!;
        hb[i] = (g / (1 + Math.exp(-g))) * hb2[i]!;
      }
      matmul(tmp, hb, L.down);
      for (let i = 0; i < dim; i++) x[i] += tmp[i]!;
      this.hidden[l]!.set(x);
    }
    rmsnorm(xb, x, w.outputNorm, c.rmsEps);
    const logits = new Float64Array(c.vocabSize);
    matmul(logits, xb, w.output);
    return Float32Array.from(logits);
  }
}

/** Teacher-forced logits of every position of `tokens` (row-major tokens.length × vocab). */
export function referenceLogits(config: ModelConfig, weights: FullWeights, tokens: readonly number[]): Float32Array {
  const m = new ReferenceModel(config, weights);
  const out = new Float32Array(tokens.length * config.vocabSize);
  tokens.forEach((t, pos) => out.set(m.forward(t, pos), pos * config.vocabSize));
  return out;
}

/** Read every tensor of a checkpoint in full, as f32 (the reference needs the unsharded weights). */
export async function loadFullWeights(ckpt: Checkpoint): Promise<FullWeights> {
  const get = async (name: string): Promise<Float32Array> => {
    const t = ckpt.tensors.get(name);
    if (!t) throw new Error(`${ckpt.source.name}: tensor ${name} is missing`);
    return readTensor(ckpt.source, t);
  };
  const layers: FullWeights["layers"][number][] = [];
  for (let l = 0; l < ckpt.config.nLayers; l++) {
    const p = `blk.${l}.`;
    layers.push({
      attnNorm: await get(p + "attn_norm"), wq: await get(p + "attn_q"), wk: await get(p + "attn_k"), wv: await get(p + "attn_v"),
      wo: await get(p + "attn_output"), ffnNorm: await get(p + "ffn_norm"), gate: await get(p + "ffn_gate"),
      down: await get(p + "ffn_down"), up: await get(p + "ffn_up"),
    });
  }
  const tokenEmbd = await get("token_embd");
  return {
    tokenEmbd, layers, outputNorm: await get("output_norm"),
    output: ckpt.tensors.has("output") ? await get("output") : tokenEmbd,
  };
}
