// What every checkpoint reader produces: a config, a directory of tensors (by canonical name) and,
// for formats that embed one, the tokenizer. Readers never load weights: a rank reads the byte
// ranges of its shard through readTensorRows (tensor-read.ts).
import type { ModelConfig } from "../config.js";

/**
 * Random access to the bytes of a model file. Node: node-source.ts (a file descriptor, positional
 * reads); browsers: a Blob/File; tests: bytes in memory. `read` resolves to exactly `length` bytes or
 * rejects (an Error naming the file) when the range is outside the file.
 */
export interface ByteSource {
  /** what to call the file in error messages (its path or URL) */
  readonly name: string;
  /** total bytes */
  readonly size: number;
  read(offset: number, length: number): Promise<Uint8Array>;
  close?(): Promise<void> | void;
}

/**
 * Element encodings of stored tensors. `llama2c-q8` is llama2.c's version-2 export: all int8 values of
 * the tensor, then one f32 scale per `groupSize` consecutive values (flat index), at `scaleOffset`.
 * q8_0 / q4_0 are ggml's 32-element blocks (34 / 18 bytes), blocks running along the flat index.
 */
export type TensorType = "f32" | "f16" | "bf16" | "q8_0" | "q4_0" | "llama2c-q8";

/**
 * One stored tensor. Canonical names follow GGUF (without ".weight"): token_embd, output_norm,
 * output, blk.N.{attn_norm, attn_q, attn_k, attn_v, attn_output, ffn_norm, ffn_gate, ffn_down, ffn_up}.
 * `shape` is row-major [rows, cols] (rows = outputs, cols = inputs: W·x takes cols values to rows
 * values; token_embd is [vocab, dim]) or [n] for vectors.
 */
export interface TensorInfo {
  readonly name: string;
  readonly type: TensorType;
  readonly shape: readonly number[];
  /** absolute byte offset of the data in the file */
  readonly offset: number;
  /** bytes of the data (for llama2c-q8: the int8 values only) */
  readonly byteLength: number;
  /** llama2c-q8 only: values per scale, and the absolute offset of the f32 scales */
  readonly groupSize?: number;
  readonly scaleOffset?: number;
}

/**
 * A tokenizer's vocabulary. Pieces are raw bytes (UTF-8 of the token text, with SentencePiece's "▁"
 * already turned into a space), compared bytewise as run.c's strcmp does.
 */
export interface TokenizerData {
  readonly pieces: readonly Uint8Array[];
  readonly scores: Float32Array;
  /** longest piece in bytes */
  readonly maxTokenLength: number;
  readonly bosId: number;
  readonly eosId: number;
  /** id emitted by the byte fallback when the vocabulary has no byte tokens (default 0; GGUF: tokenizer.ggml.unknown_token_id) */
  readonly unknownId?: number;
  /** GGUF token types (1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte), when the file has them */
  readonly tokenTypes?: Int32Array;
}

export interface Checkpoint {
  readonly format: "llama2c" | "gguf";
  /** llama2.c: 0 (legacy), 1 or 2; GGUF: 3 */
  readonly version: number;
  readonly config: ModelConfig;
  /** every tensor the model needs, by canonical name; `output` is absent when the classifier is tied to token_embd */
  readonly tensors: ReadonlyMap<string, TensorInfo>;
  /** the embedded tokenizer (GGUF), else null */
  readonly tokenizer: TokenizerData | null;
  readonly source: ByteSource;
  /** GGUF only: every metadata entry (key → { type, value }; see format/gguf.ts) */
  readonly metadata?: ReadonlyMap<string, { readonly type: number; readonly value: unknown }>;
}
