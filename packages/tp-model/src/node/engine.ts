// The Node host of a tensor-parallel model: spawns one worker_thread per rank (collectives' Node
// adapter), has every rank load its shard, and drives prefill / decode / teacher-forced scoring,
// gathering the ranks' vocabulary slices of the logits. Sampling runs here, with llama2.c's sampler,
// so any run compares token for token with run.c.
import type { GroupOptions, LinkModel } from "@tensorwire/collectives";
import { type Group, spawnGroup } from "@tensorwire/collectives/node";
import type { ModelConfig } from "../config.js";
import { openCheckpoint } from "../format/checkpoint.js";
import { openFileSource } from "./../format/node-source.js";
import { bytesSource } from "../format/source.js";
import type { ByteSource, Checkpoint } from "../format/types.js";
import type { ForwardResult, RankMetrics } from "../model.js";
import { type CompressionPolicy, UNCOMPRESSED, checkPolicy } from "../policy.js";
import type { LoadReply, ModelSource, RankCommand } from "../rank.js";
import { Sampler } from "../sampler.js";
import { type ShardPlan, planShards } from "../shard.js";
import { Tokenizer, readLlama2cTokenizer } from "../tokenizer.js";
import { readFile } from "node:fs/promises";

export interface LoadModelOptions {
  /** model file: llama2.c checkpoint (.bin) or GGUF; or give `bytes` */
  model: string;
  /** the model file's bytes (then `model` is only its name); ranks share them without copies when a SharedArrayBuffer backs them */
  bytes?: Uint8Array;
  /** llama2.c tokenizer.bin (required for llama2.c checkpoints; GGUF embeds its tokenizer) */
  tokenizer?: string;
  /** tensor-parallel degree (worker threads), default 1 */
  tp?: number;
  /** compression policy of the row-parallel all-reduces; default uncompressed */
  policy?: CompressionPolicy;
  /** emulated interconnect between ranks; default plain shared memory */
  link?: LinkModel | null;
  /** positions per kernel batch (longer prompts run in chunks), default 512 */
  maxBatch?: number;
  /** KV cache length, default the model's context (≤ 4096) */
  maxSeqLen?: number;
  /** more collectives group options (timeoutMs, waitMode, …) */
  group?: Omit<GroupOptions, "link" | "maxMessageBytes">;
}

export interface GenerateOptions {
  /** text to start from (encoded with BOS and the dummy prefix as run.c does); default "" (BOS only) */
  prompt?: string;
  /** token ids instead of a prompt (the first should be BOS = 1) */
  promptTokens?: readonly number[];
  /** positions including the prompt, as run.c's -n; 0 or more than the context = the whole context. Default 256 */
  steps?: number;
  /** 0 = greedy; default 1 */
  temperature?: number;
  /** default 0.9 */
  topp?: number;
  /** default 42 */
  seed?: number;
  /** each printed piece as it is produced (text exactly as run.c prints it) */
  onToken?: (text: string, token: number) => void;
  /** the full logits of each sampled position (a fresh array each call) */
  onLogits?: (logits: Float32Array, pos: number) => void;
}

/** Aggregated communication and compute figures of a run. */
export interface RunMetrics {
  /** wall time of the forward calls (ms, host side) */
  wallMs: number;
  /** per rank, mean: time in kernels and in all-reduces (ms) */
  computeMs: number;
  commMs: number;
  /** share of the ranks' forward time spent in all-reduces */
  commShare: number;
  /** bytes sent per rank (mean over ranks) */
  bytesSent: number;
  /** positions run through the model */
  positions: number;
  /** f32 payload bytes / bytes on the wire of the all-reduce payloads (1 = uncompressed) */
  compressionRatio: number;
  /** breakdown of the all-reduce time, mean over ranks (ms) */
  syncMs: number;
  codecMs: number;
  linkMs: number;
  copyMs: number;
}

export interface GenerateResult {
  /** exactly the streamed text */
  text: string;
  /** every token id, the prompt's (leading BOS included) then the generated ones */
  tokens: number[];
  promptTokens: number;
  /** time to first token: the prefill forward and the first sample (ms) */
  ttftMs: number;
  /** decode tokens per second after the first token (NaN if none) */
  tokensPerSec: number;
  /** bytes each rank sent per position (mean over ranks) */
  bytesPerToken: number;
  prefill: RunMetrics;
  decode: RunMetrics;
  /** how the run ended */
  stop: "steps" | "bos";
}

export interface ScoreResult {
  /** positions × vocab logits (row i predicts token i + 1) */
  logits: Float32Array;
  /** the residual stream after each layer: nLayers × positions × dim (when asked for) */
  hidden?: Float32Array;
  /** each rank's hash of its final residual stream (replicated state: all equal) */
  stateHashes: number[];
  metrics: RunMetrics;
}

function emptyMetrics(): RunMetrics {
  return { wallMs: 0, computeMs: 0, commMs: 0, commShare: 0, bytesSent: 0, positions: 0, compressionRatio: 1, syncMs: 0, codecMs: 0, linkMs: 0, copyMs: 0 };
}

class MetricsAcc {
  m = emptyMetrics();
  private payload = 0;
  private wire = 0;
  private total = 0;
  add(wallMs: number, positions: number, ranks: readonly RankMetrics[]): void {
    const m = this.m;
    const p = ranks.length;
    m.wallMs += wallMs;
    m.positions += positions;
    for (const r of ranks) {
      m.computeMs += r.computeMs / p;
      m.commMs += r.commMs / p;
      m.bytesSent += r.bytesSent / p;
      m.syncMs += r.syncMs / p;
      m.codecMs += r.codecMs / p;
      m.linkMs += r.linkMs / p;
      m.copyMs += r.copyMs / p;
      this.total += r.totalMs / p;
      this.payload += r.reduce.payloadBytes / p;
      this.wire += r.reduce.wireBytes / p;
    }
    m.commShare = this.total > 0 ? m.commMs / this.total : 0;
    m.compressionRatio = this.wire > 0 ? this.payload / this.wire : 1;
  }
}

/** A loaded tensor-parallel model. */
export class TensorParallelModel {
  private closed = false;
  private busy = false;

  private constructor(
    private readonly group: Group,
    readonly config: ModelConfig,
    readonly tokenizer: Tokenizer,
    readonly tp: number,
    readonly shards: readonly ShardPlan[],
    readonly format: Checkpoint["format"],
    readonly load: readonly LoadReply[],
    private policyValue: CompressionPolicy,
  ) {}

  /** Spawn `tp` ranks and load the model (each rank reads only its shard). */
  static async load(options: LoadModelOptions): Promise<TensorParallelModel> {
    const tp = options.tp ?? 1;
    // Read the header on the host first: a bad file or an impossible TP degree fails before any worker starts.
    const source: ByteSource = options.bytes ? bytesSource(options.bytes, options.model) : await openFileSource(options.model);
    let ckpt: Checkpoint;
    try {
      ckpt = await openCheckpoint(source);
    } finally {
      await source.close?.();
    }
    const config = ckpt.config;
    const shards = planShards(config, tp);
    const policy = checkPolicy(options.policy ?? UNCOMPRESSED, config.nLayers);
    let tokenizer: Tokenizer;
    if (ckpt.tokenizer) {
      tokenizer = new Tokenizer(ckpt.tokenizer);
    } else {
      if (!options.tokenizer) throw new Error(`${options.model}: a llama2.c checkpoint needs a tokenizer file (tokenizer.bin)`);
      let bytes: Uint8Array;
      try {
        bytes = await readFile(options.tokenizer);
      } catch (e) {
        throw new Error(`${options.tokenizer}: cannot read tokenizer: ${(e as Error).message}`);
      }
      tokenizer = new Tokenizer(readLlama2cTokenizer(bytes, config.vocabSize, options.tokenizer));
    }
    const maxBatch = options.maxBatch ?? 512;
    const msgBytes = Math.max(64 * 1024, Math.min(64 << 20, maxBatch * config.dim * 4));
    const group = await spawnGroup({
      ...options.group,
      worldSize: tp,
      module: new URL("../rank.js", import.meta.url),
      link: options.link ?? null,
      maxMessageBytes: Math.ceil(msgBytes / 64) * 64,
    });
    const src: ModelSource = options.bytes ? { kind: "bytes", bytes: options.bytes, name: options.model } : { kind: "path", path: options.model };
    try {
      const cmd: RankCommand = { cmd: "load", source: src, policy, maxBatch, maxSeqLen: options.maxSeqLen };
      const replies = await group.run<LoadReply>(cmd);
      return new TensorParallelModel(group, config, tokenizer, tp, shards, ckpt.format, replies, policy);
    } catch (e) {
      await group.shutdown();
      throw e;
    }
  }

  get policy(): CompressionPolicy { return this.policyValue; }
  /** KV cache length (positions) */
  get maxSeqLen(): number { return this.load[0]!.maxSeqLen; }

  private async run(cmd: RankCommand): Promise<ForwardResult[]> {
    if (this.closed) throw new Error("the model is closed");
    if (this.busy) throw new Error("one call at a time: wait for the previous generate/score to finish");
    this.busy = true;
    try {
      return await this.group.run<ForwardResult>(cmd);
    } finally {
      this.busy = false;
    }
  }

  private checkTokens(tokens: readonly number[], pos0: number): Int32Array {
    const V = this.config.vocabSize;
    if (tokens.length === 0) throw new RangeError("no tokens");
    if (pos0 + tokens.length > this.maxSeqLen) throw new RangeError(`${pos0 + tokens.length} positions exceed the KV cache of ${this.maxSeqLen}`);
    const out = new Int32Array(tokens.length);
    tokens.forEach((t, i) => {
      if (!(Number.isInteger(t) && t >= 0 && t < V)) throw new RangeError(`token ${t} at index ${i} is not in the vocabulary 0..${V - 1}`);
      out[i] = t;
    });
    return out;
  }

  /** Concatenate the ranks' vocabulary slices of `rows` logit rows. */
  private gather(results: readonly ForwardResult[], rows: number): Float32Array {
    const V = this.config.vocabSize;
    const out = new Float32Array(rows * V);
    results.forEach((r, rank) => {
      const [v0, v1] = this.shards[rank]!.vocab;
      const w = v1 - v0;
      for (let i = 0; i < rows; i++) out.set(r.logits.subarray(i * w, (i + 1) * w), i * V + v0);
    });
    return out;
  }

  private async forward(tokens: Int32Array, pos0: number, all: boolean, hidden: boolean, acc: MetricsAcc): Promise<{ logits: Float32Array; hidden?: Float32Array; stateHashes: number[] }> {
    const t0 = performance.now();
    const res = await this.run({ cmd: "forward", tokens, pos0, all, hidden });
    const logits = this.gather(res, all ? tokens.length : 1);
    acc.add(performance.now() - t0, tokens.length, res.map((r) => r.metrics));
    return { logits, hidden: res[0]!.hidden, stateHashes: res.map((r) => r.stateHash) };
  }

  /** Generate as llama2.c's run.c does (same seed and sampler → same tokens), streaming pieces. */
  async generate(options: GenerateOptions = {}): Promise<GenerateResult> {
    const c = this.config;
    let steps = options.steps ?? 256;
    if (!(Number.isInteger(steps) && steps >= 0)) throw new RangeError(`steps must be a non-negative integer, got ${steps}`);
    if (steps === 0 || steps > this.maxSeqLen) steps = this.maxSeqLen;
    const sampler = new Sampler({ temperature: options.temperature, topp: options.topp, seed: options.seed });
    const prompt = options.promptTokens ? [...options.promptTokens] : this.tokenizer.encode(options.prompt ?? "", true, false);
    if (prompt.length < 1) throw new RangeError("the prompt must have at least one token");
    this.checkTokens(prompt.slice(0, Math.min(prompt.length, steps)), 0); // positions past `steps` are only printed
    const V = c.vocabSize;
    prompt.forEach((t, i) => {
      if (!(Number.isInteger(t) && t >= 0 && t < V)) throw new RangeError(`prompt token ${t} at index ${i} is not in the vocabulary 0..${V - 1}`);
    });
    const tokens: number[] = [prompt[0]!];
    const stream = this.tokenizer.textStream(prompt[0]!);
    let text = "";
    const emit = (next: number): void => {
      const piece = stream.push(next);
      text += piece;
      if (piece) options.onToken?.(piece, next);
    };
    const pre = new MetricsAcc();
    const dec = new MetricsAcc();
    let stop: GenerateResult["stop"] = "steps";
    const t0 = performance.now();
    // run.c: for pos in 0..steps−1: forward(token, pos); next = prompt[pos+1] while in the prompt, else sample; stop at BOS.
    const nPrefill = Math.min(prompt.length, steps);
    const { logits } = await this.forward(Int32Array.from(prompt.slice(0, nPrefill)), 0, false, false, pre);
    let ttftMs = NaN;
    let token = prompt[0]!;
    let pos = 0;
    for (; pos < nPrefill - 1; pos++) {
      const next = prompt[pos + 1]!;
      if (next === 1) { stop = "bos"; break; }
      emit(next);
      tokens.push(next);
      token = next;
    }
    let tDecode0 = performance.now();
    let generated = 0;
    if (stop !== "bos" && pos === nPrefill - 1) {
      let row = logits;
      while (pos < steps) {
        let next: number;
        if (pos < prompt.length - 1) {
          next = prompt[pos + 1]!; // steps ended inside the prompt
        } else {
          options.onLogits?.(row.slice(), pos);
          next = sampler.sample(row);
        }
        if (Number.isNaN(ttftMs)) { ttftMs = performance.now() - t0; tDecode0 = performance.now(); }
        pos++;
        if (next === 1) { stop = "bos"; break; }
        emit(next);
        tokens.push(next);
        token = next;
        if (pos >= steps) break;
        generated++;
        row = (await this.forward(Int32Array.of(token), pos, false, false, dec)).logits;
      }
    }
    const tail = stream.end(); // an incomplete UTF-8 sequence at the very end
    if (tail) {
      text += tail;
      options.onToken?.(tail, tokens[tokens.length - 1]!);
    }
    const decodeMs = performance.now() - tDecode0;
    const positions = pre.m.positions + dec.m.positions;
    return {
      text, tokens, promptTokens: prompt.length,
      ttftMs: Number.isNaN(ttftMs) ? performance.now() - t0 : ttftMs,
      tokensPerSec: generated > 0 ? (generated * 1000) / decodeMs : NaN,
      bytesPerToken: positions > 0 ? (pre.m.bytesSent + dec.m.bytesSent) / positions : 0,
      prefill: pre.m, decode: dec.m, stop,
    };
  }

  /**
   * Teacher-forced forward of a fresh sequence: the logits of every position of `tokens` (row i is the
   * distribution of token i + 1), and optionally the residual stream after each layer.
   */
  async score(tokens: readonly number[], options: { hidden?: boolean } = {}): Promise<ScoreResult> {
    const ids = this.checkTokens(tokens, 0);
    const acc = new MetricsAcc();
    const r = await this.forward(ids, 0, true, options.hidden ?? false, acc);
    return { logits: r.logits, hidden: r.hidden, stateHashes: r.stateHashes, metrics: acc.m };
  }

  /** Replace the compression policy on every rank. */
  async setPolicy(policy: CompressionPolicy): Promise<void> {
    const p = checkPolicy(policy, this.config.nLayers);
    if (this.closed) throw new Error("the model is closed");
    await this.group.run({ cmd: "policy", policy: p });
    this.policyValue = p;
  }

  /** Terminate the ranks. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.group.shutdown();
  }
}

/** Load a model over `tp` ranks; see LoadModelOptions. */
export function loadModel(options: LoadModelOptions): Promise<TensorParallelModel> {
  return TensorParallelModel.load(options);
}
