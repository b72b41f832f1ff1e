// One rank's share of the tensor-parallel Llama: its weights, KV cache and activations live in its
// own (non-shared, growable) kernel memory; only all-reduce payloads cross into the group's shared
// memory (mappings.ts). Layer steps follow llama2.c's forward(), batched: a prefill runs the whole
// prompt through each layer as one matrix-matrix product; decode is the m = 1 case.
//
//   x = embed(tokens)                                  replicated
//   per layer l:
//     xb = rmsnorm(x) · attn_norm                      replicated
//     q, k, v = xb·Wq_r, xb·Wk_r, xb·Wv_r              column-parallel: this rank's heads / KV heads
//     rope(q, k); k, v → KV cache
//     a = attention(q, K, V)                           this rank's heads
//     x += allReduce(a·Wo_r)                           row-parallel + all-reduce   (call site "attention")
//     xb = rmsnorm(x) · ffn_norm
//     h = silu(xb·Wgate_r) ⊙ (xb·Wup_r)                column-parallel: this rank's hidden units
//     x += allReduce(h·Wdown_r)                        row-parallel + all-reduce   (call site "mlp")
//   logits_r = rmsnorm(x) · output_norm · Wout_r       vocab-parallel: this rank's vocabulary rows
import type { Communicator } from "@tensorwire/collectives";
import type { WasmSource } from "@tensorwire/quant-wasm";
import type { ModelConfig } from "./config.js";
import type { Checkpoint, TensorInfo } from "./format/types.js";
import { loadModelKernels, type ModelKernels } from "./kernels.js";
import {
  type LoadContext, type PackedLinear, loadColumnParallel, loadRowParallel, loadRows, loadVector, packedFloats,
} from "./layers.js";
import { TensorParallelRegion, type ReduceTotals } from "./mappings.js";
import type { CompressionPolicy, Phase } from "./policy.js";
import { ropeTables } from "./rope.js";
import { type ShardPlan, planShard } from "./shard.js";

export interface RankModelOptions {
  /** most positions one kernel batch processes (longer prompts run in chunks); default 512 */
  maxBatch?: number;
  /** KV cache length; default the model's context length, capped at 4096 */
  maxSeqLen?: number;
  policy: CompressionPolicy;
  /** model.wasm source; default the bundled module */
  wasm?: WasmSource;
  /** called after each tensor with (tensors loaded, total) */
  onProgress?: (done: number, total: number) => void;
}

interface LayerWeights {
  attnNorm: number;
  ffnNorm: number;
  wq: PackedLinear;
  wk: PackedLinear;
  wv: PackedLinear;
  wo: PackedLinear;
  gate: PackedLinear;
  up: PackedLinear;
  down: PackedLinear;
  kCache: number;
  vCache: number;
}

/** Time and traffic of one forward call on one rank. */
export interface RankMetrics {
  /** wall time of the call (ms) */
  totalMs: number;
  /** time in model kernels (ms) */
  computeMs: number;
  /** time inside all-reduces (ms): waiting, codec, link emulation, copies */
  commMs: number;
  syncMs: number;
  codecMs: number;
  linkMs: number;
  copyMs: number;
  bytesSent: number;
  reduce: ReduceTotals;
}

export interface ForwardResult {
  /** rows × (this rank's vocabulary slice) logits: the last position only, or every position */
  logits: Float32Array;
  /** the residual stream after each layer (nLayers × m × dim), when requested */
  hidden?: Float32Array;
  /** FNV-1a hash of the bits of the final residual stream: equal on every rank (replicated state) */
  stateHash: number;
  metrics: RankMetrics;
}

const MAX_DEFAULT_SEQ = 4096;

export class RankModel {
  readonly shard: ShardPlan;
  readonly maxBatch: number;
  readonly maxSeqLen: number;
  readonly region: TensorParallelRegion;
  /** bytes of kernel memory this rank holds */
  readonly memoryBytes: number;
  private readonly k: ModelKernels;
  private readonly layers: LayerWeights[] = [];
  private embd = 0;
  private outNorm = 0;
  private out!: PackedLinear;
  private readonly cos: number;
  private readonly sin: number;
  // activations (maxBatch rows)
  private readonly x: number;
  private readonly xb: number;
  private readonly q: number;
  private readonly att: number;
  private readonly hb: number;
  private readonly hb2: number;
  private readonly part: number;
  private readonly logits: number;
  private readonly scratch: number;
  private readonly qDim: number;
  private readonly kvDim: number;
  private readonly hLocal: number;
  private readonly vLocal: number;

  private constructor(readonly config: ModelConfig, readonly comm: Communicator, kernels: ModelKernels, opts: RankModelOptions) {
    const c = config;
    this.k = kernels;
    this.shard = planShard(c, comm.worldSize, comm.rank);
    const s = this.shard;
    this.maxBatch = opts.maxBatch ?? 512;
    this.maxSeqLen = Math.min(opts.maxSeqLen ?? Math.min(c.seqLen, MAX_DEFAULT_SEQ), c.seqLen);
    if (!(Number.isInteger(this.maxBatch) && this.maxBatch >= 1)) throw new RangeError(`maxBatch must be a positive integer, got ${this.maxBatch}`);
    if (!(Number.isInteger(this.maxSeqLen) && this.maxSeqLen >= 1)) throw new RangeError(`maxSeqLen must be a positive integer, got ${this.maxSeqLen}`);
    this.region = new TensorParallelRegion(comm, opts.policy);
    const hs = c.headSize;
    this.qDim = (s.heads[1] - s.heads[0]) * hs;
    this.kvDim = (s.kvHeads[1] - s.kvHeads[0]) * hs;
    this.hLocal = s.hidden[1] - s.hidden[0];
    this.vLocal = s.vocab[1] - s.vocab[0];
    const B = this.maxBatch;
    const T = this.maxSeqLen;
    const a = (floats: number) => kernels.alloc(floats);
    const before = kernels.memory.buffer.byteLength;
    for (let l = 0; l < c.nLayers; l++) {
      this.layers.push({
        attnNorm: a(c.dim),
        ffnNorm: a(c.dim),
        wq: { ptr: a(packedFloats(kernels, this.qDim, c.dim)), n: this.qDim, k: c.dim },
        wk: { ptr: a(packedFloats(kernels, this.kvDim, c.dim)), n: this.kvDim, k: c.dim },
        wv: { ptr: a(packedFloats(kernels, this.kvDim, c.dim)), n: this.kvDim, k: c.dim },
        wo: { ptr: a(packedFloats(kernels, c.dim, this.qDim)), n: c.dim, k: this.qDim },
        gate: { ptr: a(packedFloats(kernels, this.hLocal, c.dim)), n: this.hLocal, k: c.dim },
        up: { ptr: a(packedFloats(kernels, this.hLocal, c.dim)), n: this.hLocal, k: c.dim },
        down: { ptr: a(packedFloats(kernels, c.dim, this.hLocal)), n: c.dim, k: this.hLocal },
        kCache: a(T * this.kvDim),
        vCache: a(T * this.kvDim),
      });
    }
    this.embd = a(c.vocabSize * c.dim);
    this.outNorm = a(c.dim);
    this.out = { ptr: a(packedFloats(kernels, this.vLocal, c.dim)), n: this.vLocal, k: c.dim };
    this.cos = a(T * (hs >> 1));
    this.sin = a(T * (hs >> 1));
    this.x = a(B * c.dim);
    this.xb = a(B * c.dim);
    this.q = a(B * Math.max(this.qDim, 1));
    this.att = a(B * Math.max(this.qDim, 1));
    this.hb = a(B * Math.max(this.hLocal, 1));
    this.hb2 = a(B * Math.max(this.hLocal, 1));
    this.part = a(B * c.dim);
    this.logits = a(B * Math.max(this.vLocal, 1));
    this.scratch = a(T);
    this.memoryBytes = kernels.memory.buffer.byteLength - before;
    const rope = ropeTables(T, hs, c.ropeTheta);
    const f = kernels.f32();
    f.set(rope.cos, this.cos >>> 2);
    f.set(rope.sin, this.sin >>> 2);
  }

  /** Load this rank's shard of `ckpt` (reading only its byte ranges). */
  static async load(ckpt: Checkpoint, comm: Communicator, opts: RankModelOptions): Promise<RankModel> {
    const kernels = await loadModelKernels(opts.wasm);
    const m = new RankModel(ckpt.config, comm, kernels, opts);
    await m.loadWeights(ckpt, opts.onProgress);
    await kernels.warmUp(); // V8 tiers the kernels up before the first timed call
    return m;
  }

  private async loadWeights(ckpt: Checkpoint, onProgress?: (done: number, total: number) => void): Promise<void> {
    const c = this.config;
    const s = this.shard;
    const get = (name: string): TensorInfo => {
      const t = ckpt.tensors.get(name);
      if (!t) throw new Error(`${ckpt.source.name}: tensor ${name} is missing`);
      return t;
    };
    const hs = c.headSize;
    const kvTotal = c.nKvHeads * hs;
    // staging: the largest slice read at once
    const stagingFloats = Math.max(
      c.dim * Math.max(this.qDim, this.kvDim, this.hLocal, 1),
      c.dim * Math.max(this.vLocal, 1),
    );
    const staging = this.k.alloc(stagingFloats);
    const ctx: LoadContext = { source: ckpt.source, kernels: this.k, staging, stagingFloats };
    const total = c.nLayers * 9 + 3;
    let done = 0;
    const tick = () => onProgress?.(++done, total);
    for (let l = 0; l < c.nLayers; l++) {
      const L = this.layers[l]!;
      const p = `blk.${l}.`;
      await loadVector(ctx, get(p + "attn_norm"), c.dim, L.attnNorm); tick();
      await loadColumnParallel(ctx, get(p + "attn_q"), c.dim, c.dim, [s.heads[0] * hs, s.heads[1] * hs], L.wq.ptr); tick();
      await loadColumnParallel(ctx, get(p + "attn_k"), kvTotal, c.dim, [s.kvHeads[0] * hs, s.kvHeads[1] * hs], L.wk.ptr); tick();
      await loadColumnParallel(ctx, get(p + "attn_v"), kvTotal, c.dim, [s.kvHeads[0] * hs, s.kvHeads[1] * hs], L.wv.ptr); tick();
      await loadRowParallel(ctx, get(p + "attn_output"), c.dim, c.dim, [s.heads[0] * hs, s.heads[1] * hs], L.wo.ptr); tick();
      await loadVector(ctx, get(p + "ffn_norm"), c.dim, L.ffnNorm); tick();
      await loadColumnParallel(ctx, get(p + "ffn_gate"), c.hiddenDim, c.dim, s.hidden, L.gate.ptr); tick();
      await loadColumnParallel(ctx, get(p + "ffn_up"), c.hiddenDim, c.dim, s.hidden, L.up.ptr); tick();
      await loadRowParallel(ctx, get(p + "ffn_down"), c.dim, c.hiddenDim, s.hidden, L.down.ptr); tick();
    }
    const embd = get("token_embd");
    await loadRows(ctx, embd, c.vocabSize, c.dim, [0, c.vocabSize], this.embd); tick();
    await loadVector(ctx, get("output_norm"), c.dim, this.outNorm); tick();
    await loadColumnParallel(ctx, ckpt.tensors.get("output") ?? embd, c.vocabSize, c.dim, s.vocab, this.out.ptr); tick();
  }

  /**
   * Run `tokens` at positions pos0, pos0+1, … through the model (writing their keys and values into the
   * cache) and return logits: of the last position (`all` false) or of every position.
   * Every rank must call it with the same arguments.
   */
  forward(tokens: ArrayLike<number>, pos0: number, options: { all?: boolean; hidden?: boolean; phase?: Phase } = {}): ForwardResult {
    const c = this.config;
    const n = tokens.length;
    if (n === 0) throw new RangeError("forward needs at least one token");
    if (!(Number.isInteger(pos0) && pos0 >= 0 && pos0 + n <= this.maxSeqLen)) {
      throw new RangeError(`positions ${pos0}..${pos0 + n - 1} exceed the KV cache of ${this.maxSeqLen} positions`);
    }
    for (let i = 0; i < n; i++) {
      const t = tokens[i]!;
      if (!(Number.isInteger(t) && t >= 0 && t < c.vocabSize)) throw new RangeError(`token ${t} at index ${i} is not in the vocabulary 0..${c.vocabSize - 1}`);
    }
    const phase: Phase = options.phase ?? (n > 1 ? "prefill" : "decode");
    const all = options.all ?? false;
    const stats0 = this.comm.stats;
    const s0 = { sync: stats0.syncMs, codec: stats0.codecMs, link: stats0.linkMs, copy: stats0.copyMs, sent: stats0.bytesSent };
    this.region.resetTotals();
    const t0 = performance.now();
    const V = this.vLocal;
    const logits = new Float32Array((all ? n : 1) * V);
    const hidden = options.hidden ? new Float32Array(c.nLayers * n * c.dim) : undefined;
    for (let start = 0; start < n; start += this.maxBatch) {
      const m = Math.min(this.maxBatch, n - start);
      this.chunk(tokens, start, m, pos0 + start, phase, hidden, n);
      const f = this.k.f32();
      if (all) {
        this.head(0, m);
        logits.set(f.subarray(this.logits >>> 2, (this.logits >>> 2) + m * V), start * V);
      } else if (start + m === n) {
        this.head(m - 1, 1);
        logits.set(f.subarray(this.logits >>> 2, (this.logits >>> 2) + V));
      }
    }
    const totalMs = performance.now() - t0;
    const st = this.comm.stats;
    const m = n - Math.floor((n - 1) / this.maxBatch) * this.maxBatch;
    const bits = new Uint32Array(this.k.memory.buffer, this.x, m * c.dim);
    let h = 0x811c9dc5;
    for (let i = 0; i < bits.length; i++) h = Math.imul(h ^ bits[i]!, 0x01000193);
    const commMs = this.region.totals.ms;
    return {
      logits,
      hidden,
      stateHash: h >>> 0,
      metrics: {
        totalMs, computeMs: totalMs - commMs, commMs,
        syncMs: st.syncMs - s0.sync, codecMs: st.codecMs - s0.codec, linkMs: st.linkMs - s0.link, copyMs: st.copyMs - s0.copy,
        bytesSent: st.bytesSent - s0.sent,
        reduce: { ...this.region.totals },
      },
    };
  }

  /** m tokens (tokens[start..start+m)) at positions pos.. through every layer; leaves x in this.x. */
  private chunk(tokens: ArrayLike<number>, start: number, m: number, pos: number, phase: Phase, hidden: Float32Array | undefined, nAll: number): void {
    const c = this.config;
    const k = this.k;
    const dim = c.dim;
    const hs = c.headSize;
    const s = this.shard;
    const f = k.f32();
    for (let i = 0; i < m; i++) {
      const t = tokens[start + i]!;
      f.copyWithin((this.x >>> 2) + i * dim, (this.embd >>> 2) + t * dim, (this.embd >>> 2) + (t + 1) * dim);
    }
    const kvMul = c.nHeads / c.nKvHeads;
    const nh = s.heads[1] - s.heads[0];
    const nkv = s.kvHeads[1] - s.kvHeads[0];
    const qd = this.qDim, kvd = this.kvDim, F = this.hLocal;
    const part = f.subarray(this.part >>> 2, (this.part >>> 2) + m * dim);
    for (let l = 0; l < c.nLayers; l++) {
      const L = this.layers[l]!;
      const kc = L.kCache + pos * kvd * 4;
      const vc = L.vCache + pos * kvd * 4;
      k.rmsnorm(this.x, dim, L.attnNorm, this.xb, dim, m, dim, c.rmsEps);
      k.matmul(this.xb, dim, L.wq.ptr, qd, dim, this.q, qd, m);
      k.matmul(this.xb, dim, L.wk.ptr, kvd, dim, kc, kvd, m);
      k.matmul(this.xb, dim, L.wv.ptr, kvd, dim, vc, kvd, m);
      k.rope(this.q, qd, m, nh, hs, pos, this.cos, this.sin);
      k.rope(kc, kvd, m, nkv, hs, pos, this.cos, this.sin);
      k.attention(this.q, qd, L.kCache, L.vCache, kvd, this.att, qd, m, pos, nh, hs, kvMul, s.heads[0], s.kvHeads[0], this.scratch);
      k.matmul(this.att, qd, L.wo.ptr, dim, qd, this.part, dim, m);
      this.region.reduce(part, "attention", l, phase);
      k.add(this.x, this.part, m * dim);
      k.rmsnorm(this.x, dim, L.ffnNorm, this.xb, dim, m, dim, c.rmsEps);
      k.matmul(this.xb, dim, L.gate.ptr, F, dim, this.hb, F, m);
      k.matmul(this.xb, dim, L.up.ptr, F, dim, this.hb2, F, m);
      k.swiglu(this.hb, this.hb2, this.hb, m * F);
      k.matmul(this.hb, F, L.down.ptr, dim, F, this.part, dim, m);
      this.region.reduce(part, "mlp", l, phase);
      k.add(this.x, this.part, m * dim);
      if (hidden) hidden.set(f.subarray(this.x >>> 2, (this.x >>> 2) + m * dim), (l * nAll + start) * dim);
    }
  }

  /** Final norm and this rank's vocabulary slice of the classifier for rows [row0, row0+m) of x. */
  private head(row0: number, m: number): void {
    const c = this.config;
    const x = this.x + row0 * c.dim * 4;
    this.k.rmsnorm(x, c.dim, this.outNorm, this.xb, c.dim, m, c.dim, c.rmsEps);
    this.k.matmul(this.xb, c.dim, this.out.ptr, this.vLocal, c.dim, this.logits, this.vLocal, m);
  }

  setPolicy(policy: CompressionPolicy): void {
    this.region.setPolicy(policy);
  }
}
