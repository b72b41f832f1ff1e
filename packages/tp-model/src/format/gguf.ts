// GGUF (ggml's model file format, versions 2 and 3; little-endian) reader for architecture `llama`.
//
// Layout: "GGUF" magic, uint32 version, uint64 tensor_count, uint64 kv_count; kv_count metadata
// entries (string key, uint32 value type, value); tensor_count tensor infos (string name, uint32
// n_dims, uint64 ne[n_dims] with ne[0] the contiguous dimension, uint32 ggml type, uint64 offset
// relative to the data section); padding to `general.alignment` (default 32); the data section.
// A string is a uint64 byte length then UTF-8 bytes (no NUL). An array is uint32 item type,
// uint64 count, items. Value types: GGUF_VALUE_TYPE below.
//
// Only the header is read (incrementally, in chunks through the ByteSource); every length and count
// is checked against the bytes the file has left before anything is allocated.
import { checkConfig } from "../config.js";
import type { ModelConfig } from "../config.js";
import { tensorDataBytes } from "./tensor-read.js";
import type { ByteSource, Checkpoint, TensorInfo, TensorType, TokenizerData } from "./types.js";

/** "GGUF" as a little-endian uint32 */
export const GGUF_MAGIC = 0x46554747;
export const GGUF_DEFAULT_ALIGNMENT = 32;

/** GGUF metadata value types (gguf.h enum gguf_type). */
export const GGUF_VALUE_TYPE = {
  UINT8: 0, INT8: 1, UINT16: 2, INT16: 3, UINT32: 4, INT32: 5, FLOAT32: 6, BOOL: 7, STRING: 8, ARRAY: 9,
  UINT64: 10, INT64: 11, FLOAT64: 12,
} as const;
const VALUE_TYPE_NAMES = ["uint8", "int8", "uint16", "int16", "uint32", "int32", "float32", "bool", "string", "array", "uint64", "int64", "float64"];
const SCALAR_BYTES = [1, 1, 2, 2, 4, 4, 4, 1, -1, -1, 8, 8, 8];

/** ggml tensor types this package reads (ggml.h enum ggml_type) and the TensorType each becomes. */
export const GGML_TYPE: Readonly<Record<number, TensorType>> = { 0: "f32", 1: "f16", 2: "q4_0", 8: "q8_0", 30: "bf16" };
/** The inverse of GGML_TYPE (for the writer). */
export const GGML_TYPE_ID: Readonly<Partial<Record<TensorType, number>>> = { f32: 0, f16: 1, q4_0: 2, q8_0: 8, bf16: 30 };
/** ggml type names, for messages about types that are not supported. */
const GGML_TYPE_NAMES: Record<number, string> = {
  0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 6: "Q5_0", 7: "Q5_1", 8: "Q8_0", 9: "Q8_1", 10: "Q2_K", 11: "Q3_K", 12: "Q4_K",
  13: "Q5_K", 14: "Q6_K", 15: "Q8_K", 16: "IQ2_XXS", 17: "IQ2_XS", 18: "IQ3_XXS", 19: "IQ1_S", 20: "IQ4_NL", 21: "IQ3_S",
  22: "IQ2_S", 23: "IQ4_XS", 24: "I8", 25: "I16", 26: "I32", 27: "I64", 28: "F64", 29: "IQ1_M", 30: "BF16",
  34: "TQ1_0", 35: "TQ2_0", 39: "MXFP4",
};

/** A metadata array: its item type and items (numeric arrays as typed arrays, strings as raw bytes). */
export interface GgufArray {
  readonly itemType: number;
  readonly values:
    | Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array | Float64Array
    | BigUint64Array | BigInt64Array | readonly Uint8Array[] | readonly GgufArray[];
}
/** A metadata value: integers as numbers (64-bit ones as bigint when beyond 2^53), strings decoded. */
export type GgufValue = number | bigint | boolean | string | GgufArray;
/** Metadata, with the value type of every key. */
export interface GgufMetadataEntry {
  readonly type: number;
  readonly value: GgufValue;
}

/** The parsed header of a GGUF file (any architecture). */
export interface GgufHeader {
  readonly version: number;
  readonly metadata: ReadonlyMap<string, GgufMetadataEntry>;
  /** tensors by their GGUF name (e.g. "blk.0.attn_q.weight"), in file order */
  readonly tensors: readonly GgufTensorEntry[];
  readonly alignment: number;
  /** absolute offset of the data section */
  readonly dataOffset: number;
}
export interface GgufTensorEntry {
  readonly name: string;
  /** ggml ne[]: ne[0] is the contiguous (column) dimension */
  readonly ne: readonly number[];
  readonly ggmlType: number;
  /** offset relative to the data section */
  readonly offset: number;
}

const td = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });

/** Sequential reads of the header through a ByteSource, chunk by chunk. */
class HeaderReader {
  private buf: Uint8Array = new Uint8Array(0);
  private bufStart = 0;
  pos = 0;
  constructor(readonly src: ByteSource, private readonly chunk: number) {}
  get remaining(): number {
    return this.src.size - this.pos;
  }
  /** Make `n` bytes at pos available; `what` names the field for the truncation error. */
  async need(n: number, what: string): Promise<DataView> {
    if (n > this.remaining) {
      throw new Error(`${this.src.name}: GGUF file truncated in ${what} (needs ${n} bytes at offset ${this.pos}; file of ${this.src.size} bytes)`);
    }
    const end = this.pos + n;
    if (this.pos < this.bufStart || end > this.bufStart + this.buf.length) {
      const len = Math.min(this.src.size - this.pos, Math.max(n, this.chunk));
      this.buf = await this.src.read(this.pos, len);
      this.bufStart = this.pos;
    }
    const o = this.pos - this.bufStart;
    this.pos = end;
    return new DataView(this.buf.buffer, this.buf.byteOffset + o, n);
  }
  async u32(what: string): Promise<number> {
    return (await this.need(4, what)).getUint32(0, true);
  }
  /** uint64 as a number; larger than 2^53 → an error naming the field. */
  async u64(what: string): Promise<number> {
    const v = (await this.need(8, what)).getBigUint64(0, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`${this.src.name}: ${what} = ${v} is absurd (file of ${this.src.size} bytes)`);
    return Number(v);
  }
  async bytes(n: number, what: string): Promise<Uint8Array> {
    const dv = await this.need(n, what);
    return new Uint8Array(dv.buffer, dv.byteOffset, n).slice();
  }
  /** A GGUF string's raw bytes; its length is checked against the bytes the file has left. */
  async strBytes(what: string): Promise<Uint8Array> {
    const n = await this.u64(`the length of ${what}`);
    if (n > this.remaining) {
      throw new Error(`${this.src.name}: ${what} claims ${n} bytes but only ${this.remaining} remain in the file (truncated or corrupt)`);
    }
    return this.bytes(n, what);
  }
  async str(what: string): Promise<string> {
    return td.decode(await this.strBytes(what));
  }
}

async function readValue(r: HeaderReader, type: number, what: string, depth: number): Promise<GgufValue> {
  const name = r.src.name;
  switch (type) {
    case GGUF_VALUE_TYPE.STRING:
      return r.str(what);
    case GGUF_VALUE_TYPE.ARRAY: {
      if (depth > 4) throw new Error(`${name}: ${what}: arrays nested deeper than 4 levels`);
      const itemType = await r.u32(`the item type of ${what}`);
      if (itemType >= VALUE_TYPE_NAMES.length) throw new Error(`${name}: ${what}: unknown array item type ${itemType}`);
      const n = await r.u64(`the length of ${what}`);
      // every item needs at least 1 byte (strings 8, arrays 12): cap by what the file has left
      const minItem = itemType === GGUF_VALUE_TYPE.STRING ? 8 : itemType === GGUF_VALUE_TYPE.ARRAY ? 12 : SCALAR_BYTES[itemType]!;
      if (n * minItem > r.remaining) {
        throw new Error(`${name}: ${what} claims ${n} items of type ${VALUE_TYPE_NAMES[itemType]} but only ${r.remaining} bytes remain in the file (truncated or corrupt)`);
      }
      if (itemType === GGUF_VALUE_TYPE.STRING) {
        const out: Uint8Array[] = [];
        for (let i = 0; i < n; i++) out.push(await r.strBytes(`${what}[${i}]`));
        return { itemType, values: out };
      }
      if (itemType === GGUF_VALUE_TYPE.ARRAY) {
        const out: GgufArray[] = [];
        for (let i = 0; i < n; i++) out.push((await readValue(r, itemType, `${what}[${i}]`, depth + 1)) as GgufArray);
        return { itemType, values: out };
      }
      const sz = SCALAR_BYTES[itemType]!;
      const raw = await r.bytes(n * sz, what); // a fresh, aligned copy
      const b = raw.buffer as ArrayBuffer;
      const values = [
        () => raw, () => new Int8Array(b), () => new Uint16Array(b), () => new Int16Array(b), () => new Uint32Array(b),
        () => new Int32Array(b), () => new Float32Array(b), () => raw, null, null, () => new BigUint64Array(b),
        () => new BigInt64Array(b), () => new Float64Array(b),
      ][itemType]!();
      return { itemType, values };
    }
    default: {
      if (type >= VALUE_TYPE_NAMES.length) throw new Error(`${name}: ${what}: unknown value type ${type}`);
      const dv = await r.need(SCALAR_BYTES[type]!, what);
      switch (type) {
        case 0: return dv.getUint8(0);
        case 1: return dv.getInt8(0);
        case 2: return dv.getUint16(0, true);
        case 3: return dv.getInt16(0, true);
        case 4: return dv.getUint32(0, true);
        case 5: return dv.getInt32(0, true);
        case 6: return dv.getFloat32(0, true);
        case 7: {
          const v = dv.getUint8(0);
          if (v > 1) throw new Error(`${name}: ${what}: bool value ${v}`);
          return v === 1;
        }
        case 10: {
          const v = dv.getBigUint64(0, true);
          return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
        }
        case 11: {
          const v = dv.getBigInt64(0, true);
          return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v;
        }
        default: return dv.getFloat64(0, true);
      }
    }
  }
}

/** Minimum bytes of one tensor info (empty name, 1 dim) and one kv entry (empty key, a 1-byte value). */
const MIN_TENSOR_INFO = 8 + 4 + 8 + 4 + 8;
const MIN_KV = 8 + 4 + 1;

/**
 * Parse a GGUF header (any architecture): metadata, tensor infos, alignment and the data offset.
 * Reads `chunk` bytes at a time (default 1 MiB). Errors name the file and the field.
 */
export async function readGgufHeader(source: ByteSource, chunk = 1 << 20): Promise<GgufHeader> {
  const name = source.name;
  if (source.size < 24) {
    throw new Error(`${name}: ${source.size} bytes is too short for a GGUF header (24 bytes: magic, version, tensor and kv counts)`);
  }
  const r = new HeaderReader(source, chunk);
  const magic = await r.u32("the magic");
  if (magic !== GGUF_MAGIC) throw new Error(`${name}: not a GGUF file (magic 0x${magic.toString(16).padStart(8, "0")}, expected "GGUF")`);
  const version = await r.u32("the version");
  if (version !== 2 && version !== 3) {
    const hint = version >= 1 << 16 ? " (a big-endian GGUF? only little-endian files are supported)" : "";
    throw new Error(`${name}: unsupported GGUF version ${version}${hint}; supported: 3 (and 2, the same layout)`);
  }
  const nTensors = await r.u64("the tensor count");
  const nKv = await r.u64("the metadata count");
  const cannotFit = (what: string, n: number) =>
    new Error(`${name}: ${what} ${n} cannot fit in the ${r.remaining} bytes that remain (file of ${source.size} bytes: truncated or corrupt)`);
  if (nTensors * MIN_TENSOR_INFO > r.remaining) throw cannotFit("tensor count", nTensors);
  if (nKv * MIN_KV > r.remaining) throw cannotFit("metadata count", nKv);
  const metadata = new Map<string, GgufMetadataEntry>();
  for (let i = 0; i < nKv; i++) {
    const key = await r.str(`metadata key #${i}`);
    const type = await r.u32(`the value type of metadata "${key}"`);
    if (type >= VALUE_TYPE_NAMES.length) throw new Error(`${name}: metadata "${key}" has unknown value type ${type}`);
    const value = await readValue(r, type, `metadata "${key}"`, 0);
    if (metadata.has(key)) throw new Error(`${name}: metadata key "${key}" appears twice`);
    metadata.set(key, { type, value });
  }
  const tensors: GgufTensorEntry[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < nTensors; i++) {
    const tname = await r.str(`the name of tensor #${i}`);
    const nd = await r.u32(`the dimension count of tensor "${tname}"`);
    if (nd < 1 || nd > 4) throw new Error(`${name}: tensor "${tname}" has ${nd} dimensions (GGUF allows 1 to 4)`);
    const ne: number[] = [];
    for (let d = 0; d < nd; d++) {
      const v = await r.u64(`ne[${d}] of tensor "${tname}"`);
      ne.push(v);
    }
    const ggmlType = await r.u32(`the type of tensor "${tname}"`);
    const offset = await r.u64(`the offset of tensor "${tname}"`);
    if (seen.has(tname)) throw new Error(`${name}: tensor "${tname}" appears twice`);
    seen.add(tname);
    tensors.push({ name: tname, ne, ggmlType, offset });
  }
  let alignment = GGUF_DEFAULT_ALIGNMENT;
  const al = metadata.get("general.alignment");
  if (al !== undefined) {
    if (typeof al.value !== "number" || !Number.isInteger(al.value) || al.value <= 0 || (al.value & (al.value - 1)) !== 0 || al.value > 1 << 20) {
      throw new Error(`${name}: general.alignment = ${String(al.value)} is not a power of two`);
    }
    alignment = al.value;
  }
  const dataOffset = Math.ceil(r.pos / alignment) * alignment;
  return { version, metadata, tensors, alignment, dataOffset };
}

// ---------------------------------------------------------------------------------------------
// llama

function getNum(h: GgufHeader, name: string, key: string, required: boolean, integer: boolean): number | undefined {
  const e = h.metadata.get(key);
  if (e === undefined) {
    if (required) throw new Error(`${name}: metadata "${key}" is missing`);
    return undefined;
  }
  let v = e.value;
  if (typeof v === "bigint") throw new Error(`${name}: metadata "${key}" = ${v} is absurd`);
  if (typeof v !== "number") throw new Error(`${name}: metadata "${key}" is a ${VALUE_TYPE_NAMES[e.type]}, expected a number`);
  if (integer && !Number.isInteger(v)) throw new Error(`${name}: metadata "${key}" = ${v} is not an integer`);
  if (!Number.isFinite(v)) throw new Error(`${name}: metadata "${key}" = ${v} is not finite`);
  return v;
}

function getStr(h: GgufHeader, name: string, key: string): string | undefined {
  const e = h.metadata.get(key);
  if (e === undefined) return undefined;
  if (typeof e.value !== "string") throw new Error(`${name}: metadata "${key}" is a ${VALUE_TYPE_NAMES[e.type]}, expected a string`);
  return e.value;
}

function getArr(h: GgufHeader, name: string, key: string, itemTypes: readonly number[]): GgufArray | undefined {
  const e = h.metadata.get(key);
  if (e === undefined) return undefined;
  const v = e.value;
  if (typeof v !== "object" || !itemTypes.includes(v.itemType)) {
    const got = typeof v === "object" ? `an array of ${VALUE_TYPE_NAMES[v.itemType]}` : `a ${VALUE_TYPE_NAMES[e.type]}`;
    throw new Error(`${name}: metadata "${key}" is ${got}, expected an array of ${itemTypes.map((t) => VALUE_TYPE_NAMES[t]).join(" or ")}`);
  }
  return v;
}

/** "▁" (U+2581, E2 96 81) → " " in a SentencePiece token's bytes. */
export function spaceFromSentencePiece(b: Uint8Array): Uint8Array {
  let n = 0;
  for (let i = 0; i + 2 < b.length; i++) if (b[i] === 0xe2 && b[i + 1] === 0x96 && b[i + 2] === 0x81) n++;
  if (n === 0) return b;
  const out = new Uint8Array(b.length - 2 * n);
  let o = 0;
  for (let i = 0; i < b.length; i++) {
    if (i + 2 < b.length && b[i] === 0xe2 && b[i + 1] === 0x96 && b[i + 2] === 0x81) {
      out[o++] = 0x20;
      i += 2;
    } else out[o++] = b[i]!;
  }
  return out;
}

function readTokenizer(h: GgufHeader, name: string): TokenizerData | null {
  const model = getStr(h, name, "tokenizer.ggml.model");
  const toks = getArr(h, name, "tokenizer.ggml.tokens", [GGUF_VALUE_TYPE.STRING]);
  if (model === undefined && toks === undefined) return null;
  if (model !== "llama") throw new Error(`${name}: tokenizer.ggml.model is ${model === undefined ? "missing" : `"${model}"`}; only the "llama" (SentencePiece) tokenizer is supported`);
  if (toks === undefined) throw new Error(`${name}: tokenizer.ggml.tokens is missing`);
  const raw = toks.values as readonly Uint8Array[];
  const n = raw.length;
  const pieces = raw.map(spaceFromSentencePiece);
  const sc = getArr(h, name, "tokenizer.ggml.scores", [GGUF_VALUE_TYPE.FLOAT32]);
  const scores = sc === undefined ? new Float32Array(n) : (sc.values as Float32Array);
  if (scores.length !== n) throw new Error(`${name}: tokenizer.ggml.scores has ${scores.length} entries for ${n} tokens`);
  const tt = getArr(h, name, "tokenizer.ggml.token_type", [GGUF_VALUE_TYPE.INT32, GGUF_VALUE_TYPE.UINT32]);
  let tokenTypes: Int32Array | undefined;
  if (tt !== undefined) {
    tokenTypes = new Int32Array((tt.values as Int32Array | Uint32Array).buffer.slice(0));
    if (tokenTypes.length !== n) throw new Error(`${name}: tokenizer.ggml.token_type has ${tokenTypes.length} entries for ${n} tokens`);
  }
  const id = (key: string, dflt: number): number => {
    const v = getNum(h, name, key, false, true) ?? dflt;
    if (v < 0 || v >= n) throw new Error(`${name}: ${key} = ${v} is outside the vocabulary (${n} tokens)`);
    return v;
  };
  let longest = 0;
  for (const p of pieces) longest = Math.max(longest, p.length);
  const data: TokenizerData = {
    pieces, scores, maxTokenLength: longest,
    bosId: id("tokenizer.ggml.bos_token_id", 1), eosId: id("tokenizer.ggml.eos_token_id", 2),
    unknownId: id("tokenizer.ggml.unknown_token_id", 0),
    ...(tokenTypes ? { tokenTypes } : {}),
  };
  return data;
}

const LAYER_TENSORS = ["attn_norm", "attn_q", "attn_k", "attn_v", "attn_output", "ffn_norm", "ffn_gate", "ffn_down", "ffn_up"] as const;

/** The canonical shape [rows, cols] (or [n]) of every tensor a llama of config `c` has. */
export function llamaTensorShapes(c: ModelConfig, tiedOutput: boolean): Map<string, number[]> {
  const kv = c.nKvHeads * c.headSize;
  const m = new Map<string, number[]>([["token_embd", [c.vocabSize, c.dim]], ["output_norm", [c.dim]]]);
  if (!tiedOutput) m.set("output", [c.vocabSize, c.dim]);
  const per: Record<(typeof LAYER_TENSORS)[number], number[]> = {
    attn_norm: [c.dim], attn_q: [c.nHeads * c.headSize, c.dim], attn_k: [kv, c.dim], attn_v: [kv, c.dim],
    attn_output: [c.dim, c.nHeads * c.headSize], ffn_norm: [c.dim], ffn_gate: [c.hiddenDim, c.dim],
    ffn_down: [c.dim, c.hiddenDim], ffn_up: [c.hiddenDim, c.dim],
  };
  for (let l = 0; l < c.nLayers; l++) for (const t of LAYER_TENSORS) m.set(`blk.${l}.${t}`, per[t]);
  return m;
}

/**
 * Read a GGUF checkpoint of architecture `llama`: config from the `llama.*` metadata, the tensor
 * directory (canonical names, shapes checked against the config, every tensor inside the file) and
 * the embedded tokenizer. Only the header is read. Every error names the file.
 */
export async function readGgufCheckpoint(source: ByteSource): Promise<Checkpoint> {
  const name = source.name;
  const h = await readGgufHeader(source);
  const arch = getStr(h, name, "general.architecture");
  if (arch !== "llama") throw new Error(`${name}: architecture ${arch === undefined ? "missing (general.architecture)" : `"${arch}"`} is not supported; only "llama"`);
  const int = (key: string, required = true) => getNum(h, name, key, required, true);
  const dim = int("llama.embedding_length")!;
  const nHeads = int("llama.attention.head_count")!;
  const tokenizer = readTokenizer(h, name);
  const vocabMeta = int("llama.vocab_size", false);
  if (vocabMeta !== undefined && tokenizer !== null && vocabMeta !== tokenizer.pieces.length) {
    throw new Error(`${name}: llama.vocab_size = ${vocabMeta} but the tokenizer has ${tokenizer.pieces.length} tokens`);
  }
  const vocabSize = tokenizer?.pieces.length ?? vocabMeta;
  if (vocabSize === undefined) throw new Error(`${name}: no vocabulary size (neither tokenizer.ggml.tokens nor llama.vocab_size)`);
  const config: ModelConfig = {
    dim,
    hiddenDim: int("llama.feed_forward_length")!,
    nLayers: int("llama.block_count")!,
    nHeads,
    nKvHeads: int("llama.attention.head_count_kv", false) ?? nHeads,
    vocabSize,
    seqLen: int("llama.context_length")!,
    headSize: nHeads > 0 && dim % nHeads === 0 ? dim / nHeads : Math.max(1, Math.floor(dim / Math.max(1, nHeads))),
    rmsEps: getNum(h, name, "llama.attention.layer_norm_rms_epsilon", true, false)!,
    ropeTheta: getNum(h, name, "llama.rope.freq_base", false, false) ?? 10000,
  };
  checkConfig(config, `${name} (GGUF metadata)`);
  const rot = int("llama.rope.dimension_count", false);
  if (rot !== undefined && rot !== config.headSize) {
    throw new Error(`${name}: llama.rope.dimension_count = ${rot} ≠ head size ${config.headSize} (partial rotary embeddings are not supported)`);
  }
  const scaling = getStr(h, name, "llama.rope.scaling.type");
  const factor = getNum(h, name, "llama.rope.scaling.factor", false, false);
  if ((scaling !== undefined && scaling !== "none") || (scaling === undefined && factor !== undefined && factor !== 1 && factor !== 0)) {
    throw new Error(`${name}: RoPE scaling (${scaling ?? "factor " + factor}) is not supported`);
  }
  const experts = getNum(h, name, "llama.expert_count", false, true);
  if (experts !== undefined && experts > 0) throw new Error(`${name}: mixture-of-experts llama (${experts} experts) is not supported`);
  for (const k of ["llama.attention.key_length", "llama.attention.value_length"]) {
    const v = int(k, false);
    if (v !== undefined && v !== config.headSize) throw new Error(`${name}: ${k} = ${v} ≠ head size ${config.headSize} (dim / heads)`);
  }

  const byName = new Map(h.tensors.map((t) => [t.name, t]));
  const tied = !byName.has("output.weight");
  const shapes = llamaTensorShapes(config, tied);
  const tensors = new Map<string, TensorInfo>();
  for (const t of h.tensors) {
    const canon = t.name.endsWith(".weight") ? t.name.slice(0, -".weight".length) : t.name;
    const want = shapes.get(canon);
    if (want === undefined) throw new Error(`${name}: unexpected tensor "${t.name}" for a llama of ${config.nLayers} layers`);
    const type = GGML_TYPE[t.ggmlType];
    if (type === undefined) {
      const tn = GGML_TYPE_NAMES[t.ggmlType] ?? `#${t.ggmlType}`;
      throw new Error(`${name}: tensor "${t.name}" has ggml type ${tn}, not supported (supported: F32, F16, BF16, Q8_0, Q4_0)`);
    }
    // ggml ne[] is innermost first: [cols, rows]; canonical shape is [rows, cols]
    const trailing = t.ne.slice(want.length);
    if (t.ne.length < want.length || trailing.some((x) => x !== 1)) {
      throw new Error(`${name}: tensor "${t.name}" has ne [${t.ne.join(", ")}], expected ${want.length} dimension(s) [${[...want].reverse().join(", ")}]`);
    }
    const shape = t.ne.slice(0, want.length).reverse();
    if (shape.some((x, i) => x !== want[i])) {
      throw new Error(`${name}: tensor "${t.name}" has shape [${shape.join(", ")}], the config needs [${want.join(", ")}]`);
    }
    const n = shape.reduce((a, b) => a * b, 1);
    if ((type === "q8_0" || type === "q4_0") && t.ne[0]! % 32 !== 0) {
      throw new Error(`${name}: tensor "${t.name}" (${type}) has ${t.ne[0]} columns, not a multiple of the 32-value block`);
    }
    if (t.offset % h.alignment !== 0) {
      throw new Error(`${name}: tensor "${t.name}" offset ${t.offset} is not a multiple of the alignment ${h.alignment}`);
    }
    const byteLength = tensorDataBytes(type, n);
    const offset = h.dataOffset + t.offset;
    if (offset + byteLength > source.size) {
      throw new Error(`${name}: tensor "${t.name}" (${type} [${shape.join(", ")}]) needs bytes ${offset}..${offset + byteLength} but the file has ${source.size} bytes (truncated)`);
    }
    tensors.set(canon, { name: canon, type, shape, offset, byteLength });
  }
  for (const k of shapes.keys()) {
    if (!tensors.has(k)) throw new Error(`${name}: tensor "${k}.weight" is missing`);
  }
  return { format: "gguf", version: h.version, config, tensors, tokenizer, source, metadata: h.metadata };
}
