// GGUF v3 writer, streaming: the header is built in memory (metadata and tensor infos: small), the
// tensor data is produced, encoded and written chunk by chunk, so a multi-GB file never exists in
// memory. The layout is the one gguf.ts reads (see there); every tensor's data starts at a multiple
// of `general.alignment` (32) relative to the data section, which itself starts aligned.
import { encodeBf16, encodeFp16, referenceQuantize } from "@tensorwire/quant-wasm/reference";
import type { CodecSpec } from "@tensorwire/quant-wasm";
import { GGML_TYPE_ID, GGUF_DEFAULT_ALIGNMENT, GGUF_MAGIC, GGUF_VALUE_TYPE } from "./gguf.js";
import type { GgufArray, GgufMetadataEntry, GgufValue } from "./gguf.js";
import { tensorDataBytes } from "./tensor-read.js";
import type { TensorType } from "./types.js";

/** Where written bytes go: a file (node-source.ts openFileSink), memory (memorySink) or a stream. */
export interface ByteSink {
  /** write the bytes after everything written so far; resolve when the bytes may be reused */
  write(bytes: Uint8Array): Promise<void>;
}

/** A sink collecting everything in memory (tests, small models). */
export function memorySink(): ByteSink & { bytes(): Uint8Array } {
  const parts: Uint8Array[] = [];
  let n = 0;
  return {
    async write(b: Uint8Array): Promise<void> {
      parts.push(b.slice());
      n += b.length;
    },
    bytes(): Uint8Array {
      const out = new Uint8Array(n);
      let o = 0;
      for (const p of parts) {
        out.set(p, o);
        o += p.length;
      }
      return out;
    },
  };
}

/** One tensor to write: its GGUF name, stored type, canonical shape and a producer of its f32 values. */
export interface GgufTensorSpec {
  /** GGUF name, e.g. "blk.0.attn_q.weight" */
  readonly name: string;
  /** stored type (llama2c-q8 is not a GGUF type) */
  readonly type: Exclude<TensorType, "llama2c-q8">;
  /** canonical [rows, cols] or [n] (written as ggml ne = [cols, rows]) */
  readonly shape: readonly number[];
  /**
   * Fill dst with the f32 values of the next `dst.length` elements in row-major order. Called
   * sequentially from the first element to the last (chunks are whole multiples of 32 values, or
   * the remainder).
   */
  next(dst: Float32Array): void | Promise<void>;
}

/** Progress: bytes written so far and the file's total. */
export type WriteProgress = (written: number, total: number) => void;

/** Metadata value constructors (type tags as gguf.ts reads them back). */
export const gguf = {
  u32: (v: number): GgufMetadataEntry => ({ type: GGUF_VALUE_TYPE.UINT32, value: v }),
  i32: (v: number): GgufMetadataEntry => ({ type: GGUF_VALUE_TYPE.INT32, value: v }),
  f32: (v: number): GgufMetadataEntry => ({ type: GGUF_VALUE_TYPE.FLOAT32, value: v }),
  bool: (v: boolean): GgufMetadataEntry => ({ type: GGUF_VALUE_TYPE.BOOL, value: v }),
  str: (v: string): GgufMetadataEntry => ({ type: GGUF_VALUE_TYPE.STRING, value: v }),
  strArray: (v: readonly Uint8Array[]): GgufMetadataEntry => ({ type: GGUF_VALUE_TYPE.ARRAY, value: { itemType: GGUF_VALUE_TYPE.STRING, values: v } }),
  f32Array: (v: Float32Array): GgufMetadataEntry => ({ type: GGUF_VALUE_TYPE.ARRAY, value: { itemType: GGUF_VALUE_TYPE.FLOAT32, values: v } }),
  i32Array: (v: Int32Array): GgufMetadataEntry => ({ type: GGUF_VALUE_TYPE.ARRAY, value: { itemType: GGUF_VALUE_TYPE.INT32, values: v } }),
};

const te = new TextEncoder();

/** Growable little-endian byte buffer for the header. */
class Out {
  private buf = new Uint8Array(1 << 16);
  private dv = new DataView(this.buf.buffer);
  n = 0;
  private room(k: number): void {
    if (this.n + k <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.n + k) cap *= 2;
    const b = new Uint8Array(cap);
    b.set(this.buf.subarray(0, this.n));
    this.buf = b;
    this.dv = new DataView(b.buffer);
  }
  u8(v: number): void { this.room(1); this.dv.setUint8(this.n, v); this.n += 1; }
  u32(v: number): void { this.room(4); this.dv.setUint32(this.n, v, true); this.n += 4; }
  u64(v: number | bigint): void { this.room(8); this.dv.setBigUint64(this.n, BigInt(v), true); this.n += 8; }
  bytes(b: Uint8Array): void { this.room(b.length); this.buf.set(b, this.n); this.n += b.length; }
  str(s: string | Uint8Array): void {
    const b = typeof s === "string" ? te.encode(s) : s;
    this.u64(b.length);
    this.bytes(b);
  }
  pad(align: number): void {
    const k = (align - (this.n % align)) % align;
    this.room(k);
    this.buf.fill(0, this.n, this.n + k);
    this.n += k;
  }
  result(): Uint8Array { return this.buf.slice(0, this.n); }
}

function writeScalar(o: Out, type: number, v: GgufValue, key: string): void {
  const num = (): number => {
    if (typeof v !== "number" && typeof v !== "bigint") throw new TypeError(`GGUF metadata "${key}": expected a number`);
    return Number(v);
  };
  const b8 = new DataView(new ArrayBuffer(8));
  switch (type) {
    case 0: o.u8(num() & 0xff); return;
    case 1: b8.setInt8(0, num()); o.bytes(new Uint8Array(b8.buffer, 0, 1)); return;
    case 2: b8.setUint16(0, num(), true); o.bytes(new Uint8Array(b8.buffer, 0, 2)); return;
    case 3: b8.setInt16(0, num(), true); o.bytes(new Uint8Array(b8.buffer, 0, 2)); return;
    case 4: o.u32(num() >>> 0); return;
    case 5: b8.setInt32(0, num(), true); o.bytes(new Uint8Array(b8.buffer, 0, 4)); return;
    case 6: b8.setFloat32(0, num(), true); o.bytes(new Uint8Array(b8.buffer, 0, 4)); return;
    case 7: o.u8(v === true ? 1 : 0); return;
    case 8: if (typeof v !== "string") throw new TypeError(`GGUF metadata "${key}": expected a string`); o.str(v); return;
    case 10: b8.setBigUint64(0, BigInt(v as number | bigint), true); o.bytes(new Uint8Array(b8.buffer)); return;
    case 11: b8.setBigInt64(0, BigInt(v as number | bigint), true); o.bytes(new Uint8Array(b8.buffer)); return;
    case 12: b8.setFloat64(0, num(), true); o.bytes(new Uint8Array(b8.buffer)); return;
    default: throw new TypeError(`GGUF metadata "${key}": unknown value type ${type}`);
  }
}

function writeValue(o: Out, e: GgufMetadataEntry, key: string): void {
  o.u32(e.type);
  if (e.type !== GGUF_VALUE_TYPE.ARRAY) return writeScalar(o, e.type, e.value, key);
  const a = e.value as GgufArray;
  o.u32(a.itemType);
  const vals = a.values as ArrayLike<unknown>;
  o.u64(vals.length);
  for (let i = 0; i < vals.length; i++) {
    const x = vals[i];
    if (a.itemType === GGUF_VALUE_TYPE.STRING) o.str(x as Uint8Array | string);
    else if (a.itemType === GGUF_VALUE_TYPE.ARRAY) writeValue(o, { type: GGUF_VALUE_TYPE.ARRAY, value: x as GgufArray }, key);
    else writeScalar(o, a.itemType, x as GgufValue, key);
  }
}

const Q: Record<"q8_0" | "q4_0", CodecSpec> = {
  q8_0: { format: "q8_0", block: 32, scale: "fp16", rounding: "rne" },
  q4_0: { format: "q4_0", block: 32, scale: "fp16", rounding: "rne" },
};

/** Encode f32 values as `type` (quant-wasm's reference encoders; f32 is a bit copy). */
function encode(type: GgufTensorSpec["type"], x: Float32Array): Uint8Array {
  switch (type) {
    case "f32": return new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
    case "f16":
    case "bf16": {
      const enc = type === "f16" ? encodeFp16 : encodeBf16;
      const out = new Uint16Array(x.length);
      for (let i = 0; i < x.length; i++) out[i] = enc(x[i]!);
      return new Uint8Array(out.buffer);
    }
    default: return referenceQuantize(Q[type], x).bytes;
  }
}

/** Values per chunk of tensor data (a multiple of 32): 4 Mi values = 16 MiB of f32. */
const CHUNK_VALUES = 1 << 22;

/**
 * Write a GGUF v3 file to `sink`: the metadata (in order; `general.alignment` is added as 32 unless
 * given), the tensor infos and the tensor data, each tensor produced by its `next` in chunks.
 * Returns the total bytes written. Entry order and contents are exactly what readGgufHeader returns.
 */
export async function writeGguf(
  sink: ByteSink,
  metadata: ReadonlyArray<readonly [string, GgufMetadataEntry]>,
  tensors: readonly GgufTensorSpec[],
  onProgress?: WriteProgress,
): Promise<number> {
  const md = [...metadata];
  let alignment = GGUF_DEFAULT_ALIGNMENT;
  const al = md.find(([k]) => k === "general.alignment");
  if (al) alignment = Number(al[1].value);
  else md.push(["general.alignment", gguf.u32(alignment)]);
  if (!(Number.isInteger(alignment) && alignment > 0 && (alignment & (alignment - 1)) === 0)) {
    throw new RangeError(`general.alignment ${alignment} is not a power of two`);
  }
  const o = new Out();
  o.u32(GGUF_MAGIC);
  o.u32(3);
  o.u64(tensors.length);
  o.u64(md.length);
  for (const [k, e] of md) {
    o.str(k);
    writeValue(o, e, k);
  }
  let rel = 0;
  const sizes: number[] = [];
  for (const t of tensors) {
    const id = GGML_TYPE_ID[t.type];
    if (id === undefined) throw new RangeError(`tensor ${t.name}: type ${t.type} cannot be stored in GGUF`);
    if (t.shape.length < 1 || t.shape.length > 4 || t.shape.some((d) => !Number.isSafeInteger(d) || d <= 0)) {
      throw new RangeError(`tensor ${t.name}: bad shape [${t.shape.join(", ")}]`);
    }
    const ne = [...t.shape].reverse();
    if ((t.type === "q8_0" || t.type === "q4_0") && ne[0]! % 32 !== 0) {
      throw new RangeError(`tensor ${t.name}: ${t.type} needs a multiple of 32 columns, got ${ne[0]}`);
    }
    o.str(t.name);
    o.u32(ne.length);
    for (const d of ne) o.u64(d);
    o.u32(id);
    o.u64(rel);
    const bytes = tensorDataBytes(t.type, ne.reduce((a, b) => a * b, 1));
    sizes.push(bytes);
    rel += Math.ceil(bytes / alignment) * alignment;
  }
  o.pad(alignment);
  const header = o.result();
  const total = header.length + rel;
  let written = 0;
  const put = async (b: Uint8Array): Promise<void> => {
    if (b.length === 0) return;
    await sink.write(b);
    written += b.length;
    onProgress?.(written, total);
  };
  await put(header);
  const buf = new Float32Array(CHUNK_VALUES);
  for (let k = 0; k < tensors.length; k++) {
    const t = tensors[k]!;
    const n = t.shape.reduce((a, b) => a * b, 1);
    for (let e = 0; e < n; e += CHUNK_VALUES) {
      const m = Math.min(CHUNK_VALUES, n - e);
      const view = buf.subarray(0, m);
      await t.next(view);
      await put(encode(t.type, view));
    }
    const padding = Math.ceil(sizes[k]! / alignment) * alignment - sizes[k]!;
    await put(new Uint8Array(padding));
  }
  if (written !== total) throw new Error(`GGUF writer: wrote ${written} bytes, expected ${total}`);
  return total;
}
