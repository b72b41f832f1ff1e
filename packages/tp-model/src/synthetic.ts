// Seeded random-weight Llama models of any shape, written as GGUF v3 files that this package and
// llama.cpp both load (for latency work without downloads and side-by-side runs with other engines).
//
// Weights: every matrix W [rows, cols] ~ N(0, 1/cols) (scaled like a fan-in init), drawn in row-major
// order from its own stream (xoshiro128** seeded through splitmix32 from (seed, tensor index)),
// normals by Box–Muller in f64 rounded to f32. Norm weights are 1. The classifier `output` is
// untied. Norms are always stored F32 (as llama.cpp's converters do); matrices as `type`.
//
// Tokenizer (SentencePiece-style `llama`): 0 <unk>, 1 <s>, 2 </s>; when vocabSize ≥ 259 + 8, ids
// 3..258 are the byte tokens <0x00>..<0xFF> (type 6, score 0); then generated pieces (type 1) with
// scores -1, -2, …: "▁", "\n", "\t", printable ASCII, then concatenations of earlier pieces (all distinct).
// Smaller vocabularies have no byte tokens (our tokenizer then falls back to <unk>; llama.cpp 3.x
// aborts on text with a character outside such a vocabulary — its SPM byte fallback needs them).
import { checkConfig } from "./config.js";
import type { ModelConfig } from "./config.js";
import { gguf, writeGguf } from "./format/gguf-writer.js";
import type { ByteSink, GgufTensorSpec, WriteProgress } from "./format/gguf-writer.js";
import type { GgufMetadataEntry } from "./format/gguf.js";

export interface SyntheticModelOptions {
  readonly dim: number;
  readonly hiddenDim: number;
  readonly nLayers: number;
  readonly nHeads: number;
  readonly nKvHeads: number;
  readonly vocabSize: number;
  readonly seqLen: number;
  /** any integer; the same seed gives the same file */
  readonly seed: number;
  /** storage of the matrices (norms are always f32) */
  readonly type: "f32" | "f16";
  /** RMSNorm epsilon (default f32(1e-5)) and RoPE base (default 10000) */
  readonly rmsEps?: number;
  readonly ropeTheta?: number;
  /** general.name (default "tensorwire-synthetic") */
  readonly name?: string;
}

/** Vocabularies at least this large get the 256 byte tokens. */
export const SYNTHETIC_BYTE_TOKENS_MIN_VOCAB = 259 + 8;

/** The ModelConfig a synthetic model of these options has (validated; throws naming the field). */
export function syntheticConfig(o: SyntheticModelOptions): ModelConfig {
  const c: ModelConfig = {
    dim: o.dim, hiddenDim: o.hiddenDim, nLayers: o.nLayers, nHeads: o.nHeads, nKvHeads: o.nKvHeads,
    vocabSize: o.vocabSize, seqLen: o.seqLen,
    headSize: o.nHeads > 0 && o.dim % o.nHeads === 0 ? o.dim / o.nHeads : Math.max(1, Math.floor(o.dim / Math.max(1, o.nHeads))),
    rmsEps: o.rmsEps ?? Math.fround(1e-5), ropeTheta: o.ropeTheta ?? 10000,
  };
  checkConfig(c, "synthetic model options");
  if (c.vocabSize < 4) throw new Error(`synthetic model options: vocabSize ${c.vocabSize} is too small (needs <unk>, <s>, </s> and at least one piece)`);
  if (o.type !== "f32" && o.type !== "f16") throw new Error(`synthetic model options: type "${String(o.type)}" is not "f32" or "f16"`);
  if (!Number.isSafeInteger(o.seed)) throw new Error(`synthetic model options: seed ${o.seed} is not an integer`);
  return c;
}

// ---------------------------------------------------------------------------------------------
// PRNG: splitmix32 (seeding) and xoshiro128** (streams)

function splitmix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) | 0;
  let z = state.s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** A seeded stream of N(0, 1) values (xoshiro128** uniforms, Box–Muller pairs). */
export class NormalStream {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spare = 0;
  private hasSpare = false;

  /** The stream for (seed, index): independent streams per tensor. */
  constructor(seed: number, index: number) {
    const st = { s: (seed ^ Math.imul(index + 1, 0x632be5ab) ^ Math.floor(seed / 2 ** 32)) | 0 };
    this.a = splitmix32(st); this.b = splitmix32(st); this.c = splitmix32(st); this.d = splitmix32(st);
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1;
  }

  /** Next uniform uint32 (xoshiro128**). */
  u32(): number {
    const r = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a; this.d ^= this.b; this.b ^= this.c; this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return r;
  }

  /** Next N(0, 1) value (f64). */
  normal(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spare;
    }
    const u1 = (this.u32() + 1) / 4294967296; // (0, 1]
    const u2 = this.u32() / 4294967296; // [0, 1)
    const r = Math.sqrt(-2 * Math.log(u1));
    const th = 2 * Math.PI * u2;
    this.spare = r * Math.sin(th);
    this.hasSpare = true;
    return r * Math.cos(th);
  }

  /** Fill dst with f32(scale · N(0, 1)). */
  fill(dst: Float32Array, scale: number): void {
    for (let i = 0; i < dst.length; i++) dst[i] = scale * this.normal();
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

// ---------------------------------------------------------------------------------------------
// Tensors and tokenizer

/** One tensor of a synthetic model, in file order: canonical name, shape, and whether it is a norm. */
export interface SyntheticTensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly norm: boolean;
}

/** Every tensor of the synthetic model in the order written (its index is its PRNG stream index). */
export function syntheticTensors(c: ModelConfig): SyntheticTensor[] {
  const kv = c.nKvHeads * c.headSize;
  const out: SyntheticTensor[] = [{ name: "token_embd", shape: [c.vocabSize, c.dim], norm: false }];
  for (let l = 0; l < c.nLayers; l++) {
    const p = `blk.${l}.`;
    out.push(
      { name: p + "attn_norm", shape: [c.dim], norm: true },
      { name: p + "attn_q", shape: [c.dim, c.dim], norm: false },
      { name: p + "attn_k", shape: [kv, c.dim], norm: false },
      { name: p + "attn_v", shape: [kv, c.dim], norm: false },
      { name: p + "attn_output", shape: [c.dim, c.dim], norm: false },
      { name: p + "ffn_norm", shape: [c.dim], norm: true },
      { name: p + "ffn_gate", shape: [c.hiddenDim, c.dim], norm: false },
      { name: p + "ffn_down", shape: [c.dim, c.hiddenDim], norm: false },
      { name: p + "ffn_up", shape: [c.hiddenDim, c.dim], norm: false },
    );
  }
  out.push({ name: "output_norm", shape: [c.dim], norm: true }, { name: "output", shape: [c.vocabSize, c.dim], norm: false });
  return out;
}

/**
 * The f32 values (before any f16 storage) of synthetic tensor number `index` of `syntheticTensors`:
 * norms are 1, matrices f32(N(0, 1) / sqrt(cols)) in row-major order from stream (seed, index).
 */
export function syntheticValues(seed: number, index: number, t: SyntheticTensor): Float32Array {
  const n = t.shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  if (t.norm) return out.fill(1);
  new NormalStream(seed, index).fill(out, 1 / Math.sqrt(t.shape[t.shape.length - 1]!));
  return out;
}

const te = new TextEncoder();
const SPM_SPACE = "\u2581";

/** The GGUF tokenizer arrays of a synthetic vocabulary (pieces with "▁" for spaces, as GGUF stores them). */
export function syntheticVocabulary(vocabSize: number): { tokens: Uint8Array[]; scores: Float32Array; types: Int32Array } {
  const tokens: string[] = ["<unk>", "<s>", "</s>"];
  const types: number[] = [2, 3, 3];
  const scores: number[] = [0, 0, 0];
  if (vocabSize >= SYNTHETIC_BYTE_TOKENS_MIN_VOCAB) {
    for (let b = 0; b < 256; b++) {
      tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`);
      types.push(6);
      scores.push(0);
    }
  }
  const seen = new Set(tokens);
  const pieces: string[] = [];
  const add = (p: string): void => {
    if (tokens.length >= vocabSize || seen.has(p)) return;
    seen.add(p);
    pieces.push(p);
    tokens.push(p);
    types.push(1);
    scores.push(-pieces.length);
  };
  add(SPM_SPACE);
  add("\n"); // llama.cpp looks up the newline token when it loads an SPM vocabulary
  add("\t");
  const common = "etaoinshrdlucmfwypvbgkjqxz";
  for (const ch of common) add(ch);
  for (const ch of common.toUpperCase()) add(ch);
  for (let c = 33; c < 127; c++) add(String.fromCharCode(c));
  // then concatenations of earlier pieces: "▁" + letter, letter pairs, … (breadth first, deterministic)
  for (let i = 0; tokens.length < vocabSize; i++) {
    const base = pieces.length;
    for (let a = 0; a < base && tokens.length < vocabSize; a++) {
      add(pieces[a]! + pieces[i % base]!);
      add(pieces[i % base]! + pieces[a]!);
    }
  }
  return { tokens: tokens.map((s) => te.encode(s)), scores: Float32Array.from(scores), types: Int32Array.from(types) };
}

/** The metadata written for a synthetic model (everything llama.cpp needs to load it). */
export function syntheticMetadata(o: SyntheticModelOptions, c: ModelConfig): [string, GgufMetadataEntry][] {
  const v = syntheticVocabulary(c.vocabSize);
  return [
    ["general.architecture", gguf.str("llama")],
    ["general.name", gguf.str(o.name ?? "tensorwire-synthetic")],
    ["general.alignment", gguf.u32(32)],
    ["general.file_type", gguf.u32(o.type === "f32" ? 0 : 1)],
    ["llama.context_length", gguf.u32(c.seqLen)],
    ["llama.embedding_length", gguf.u32(c.dim)],
    ["llama.block_count", gguf.u32(c.nLayers)],
    ["llama.feed_forward_length", gguf.u32(c.hiddenDim)],
    ["llama.rope.dimension_count", gguf.u32(c.headSize)],
    ["llama.rope.freq_base", gguf.f32(c.ropeTheta)],
    ["llama.attention.head_count", gguf.u32(c.nHeads)],
    ["llama.attention.head_count_kv", gguf.u32(c.nKvHeads)],
    ["llama.attention.layer_norm_rms_epsilon", gguf.f32(c.rmsEps)],
    ["llama.vocab_size", gguf.u32(c.vocabSize)],
    ["tokenizer.ggml.model", gguf.str("llama")],
    ["tokenizer.ggml.tokens", gguf.strArray(v.tokens)],
    ["tokenizer.ggml.scores", gguf.f32Array(v.scores)],
    ["tokenizer.ggml.token_type", gguf.i32Array(v.types)],
    ["tokenizer.ggml.unknown_token_id", gguf.u32(0)],
    ["tokenizer.ggml.bos_token_id", gguf.u32(1)],
    ["tokenizer.ggml.eos_token_id", gguf.u32(2)],
    ["tokenizer.ggml.add_bos_token", gguf.bool(true)],
    ["tokenizer.ggml.add_eos_token", gguf.bool(false)],
  ];
}

/**
 * Write a seeded random-weight Llama (see the module comment) as GGUF v3 to `sink`, streaming (memory
 * O(chunk), not O(file)). Returns its config and the bytes written.
 */
export async function writeSyntheticModel(
  sink: ByteSink, options: SyntheticModelOptions, onProgress?: WriteProgress,
): Promise<{ config: ModelConfig; bytes: number }> {
  const c = syntheticConfig(options);
  const specs: GgufTensorSpec[] = syntheticTensors(c).map((t, index) => {
    const cols = t.shape[t.shape.length - 1]!;
    const stream = new NormalStream(options.seed, index);
    const scale = 1 / Math.sqrt(cols);
    return {
      name: `${t.name}.weight`,
      type: t.norm ? "f32" : options.type,
      shape: t.shape,
      next: t.norm ? (dst: Float32Array) => void dst.fill(1) : (dst: Float32Array) => stream.fill(dst, scale),
    };
  });
  const bytes = await writeGguf(sink, syntheticMetadata(options, c), specs, onProgress);
  return { config: c, bytes };
}
