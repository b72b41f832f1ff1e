// Reading (a sub-matrix of) one stored tensor as f32: what a rank does to load its shard.
// Only the byte ranges covering the requested rows/columns are read (full-width row ranges in one
// coalesced read per chunk; column slices one read per row; block types: the covering blocks).
// Decoders are quant-wasm's scalar reference ones (FORMATS.md there: ggml Q8_0/Q4_0 are byte-compatible,
// IEEE binary16 and bfloat16 decode exactly); nothing is re-implemented here except llama2.c's
// int8 groups (q · scale in f32, as runq.c's dequantize does), which quant-wasm has no format for.
import { decodeBf16, decodeFp16, referenceDequantize } from "@tensorwire/quant-wasm/reference";
import type { CodecSpec } from "@tensorwire/quant-wasm";
import type { ByteSource, TensorInfo, TensorType } from "./types.js";

const Q8_0: CodecSpec = { format: "q8_0", block: 32, scale: "fp16", rounding: "rne" };
const Q4_0: CodecSpec = { format: "q4_0", block: 32, scale: "fp16", rounding: "rne" };

/** Elements per block and bytes per block of each stored type (casts: 1 element). */
export const TENSOR_TYPE_LAYOUT: Readonly<Record<TensorType, { readonly block: number; readonly bytes: number }>> = {
  f32: { block: 1, bytes: 4 },
  f16: { block: 1, bytes: 2 },
  bf16: { block: 1, bytes: 2 },
  q8_0: { block: 32, bytes: 34 },
  q4_0: { block: 32, bytes: 18 },
  "llama2c-q8": { block: 1, bytes: 1 }, // plus one f32 scale per groupSize values, stored apart
};

/** Bytes of `n` elements of `type` at `TensorInfo.offset` (for llama2c-q8: the int8 values only). */
export function tensorDataBytes(type: TensorType, n: number): number {
  const l = TENSOR_TYPE_LAYOUT[type];
  return Math.ceil(n / l.block) * l.bytes;
}

/** Read at most this many bytes at once, so loading a huge tensor never needs one huge buffer. */
const CHUNK_BYTES = 16 << 20;
/** Concurrent per-row reads of a column slice. */
const ROW_READS_IN_FLIGHT = 64;

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  throw new Error("@tensorwire/tp-model requires a little-endian host");
}

let fp16Table: Float32Array | null = null;
let bf16Table: Float32Array | null = null;
/** f32 value of every binary16 code, from quant-wasm's reference decoder (built once). */
function fp16Lut(): Float32Array {
  if (fp16Table === null) {
    fp16Table = new Float32Array(65536);
    for (let c = 0; c < 65536; c++) fp16Table[c] = decodeFp16(c);
  }
  return fp16Table;
}
function bf16Lut(): Float32Array {
  if (bf16Table === null) {
    bf16Table = new Float32Array(65536);
    for (let c = 0; c < 65536; c++) bf16Table[c] = decodeBf16(c);
  }
  return bf16Table;
}

/** [rows, cols] of a tensor; vectors [n] read as one row of n values. */
export function matrixShape(t: TensorInfo): [number, number] {
  if (t.shape.length === 1) return [1, t.shape[0]!];
  if (t.shape.length === 2) return [t.shape[0]!, t.shape[1]!];
  throw new Error(`tensor ${t.name}: ${t.shape.length}-dimensional tensors are not supported`);
}

/**
 * Decode the flat element range [e0, e0 + n) of `t` into dst[d0 .. d0 + n), reading only the bytes
 * that cover it.
 */
async function readFlat(source: ByteSource, t: TensorInfo, e0: number, n: number, dst: Float32Array, d0: number): Promise<void> {
  if (n === 0) return;
  switch (t.type) {
    case "f32": {
      const b = await source.read(t.offset + 4 * e0, 4 * n);
      new Uint8Array(dst.buffer, dst.byteOffset + 4 * d0, 4 * n).set(b); // bit copy (NaN payloads kept)
      return;
    }
    case "f16":
    case "bf16": {
      const b = await source.read(t.offset + 2 * e0, 2 * n);
      const lut = t.type === "f16" ? fp16Lut() : bf16Lut();
      for (let i = 0; i < n; i++) dst[d0 + i] = lut[b[2 * i]! | (b[2 * i + 1]! << 8)]!;
      return;
    }
    case "q8_0":
    case "q4_0": {
      const l = TENSOR_TYPE_LAYOUT[t.type];
      const b0 = Math.floor(e0 / l.block);
      const b1 = Math.ceil((e0 + n) / l.block);
      const bytes = await source.read(t.offset + b0 * l.bytes, (b1 - b0) * l.bytes);
      const vals = referenceDequantize(t.type === "q8_0" ? Q8_0 : Q4_0, bytes, (b1 - b0) * l.block);
      const skip = e0 - b0 * l.block;
      dst.set(vals.subarray(skip, skip + n), d0);
      return;
    }
    case "llama2c-q8": {
      const gs = t.groupSize!;
      const g0 = Math.floor(e0 / gs);
      const g1 = Math.ceil((e0 + n) / gs);
      const [q, s] = await Promise.all([source.read(t.offset + e0, n), source.read(t.scaleOffset! + 4 * g0, 4 * (g1 - g0))]);
      const sdv = new DataView(s.buffer, s.byteOffset, s.byteLength);
      for (let i = 0; i < n; i++) {
        const e = e0 + i;
        const qi = (q[i]! << 24) >> 24;
        dst[d0 + i] = Math.fround(qi * sdv.getFloat32(4 * (Math.floor(e / gs) - g0), true));
      }
      return;
    }
    default:
      throw new Error(`tensor ${(t as TensorInfo).name}: unsupported type ${String((t as TensorInfo).type)}`);
  }
}

/**
 * Fill `dst` (row-major, `rows` × `cols`) with the f32 values of rows [row0, row0 + rows) and
 * columns [col0, col0 + cols) of `tensor` (shape [rows, cols] as in TensorInfo; a vector [n] is one
 * row). Reads only the byte ranges covering that sub-matrix from `source`. Throws RangeError when
 * the sub-matrix is outside the tensor or dst is too small; read errors name the file.
 */
export async function readTensorRows(
  source: ByteSource, tensor: TensorInfo, row0: number, rows: number, col0: number, cols: number, dst: Float32Array,
): Promise<void> {
  const [R, C] = matrixShape(tensor);
  const ok = (v: number) => Number.isSafeInteger(v) && v >= 0;
  if (!ok(row0) || !ok(rows) || row0 + rows > R) {
    throw new RangeError(`tensor ${tensor.name} [${R}, ${C}]: rows ${row0}..${row0 + rows} are outside 0..${R}`);
  }
  if (!ok(col0) || !ok(cols) || col0 + cols > C) {
    throw new RangeError(`tensor ${tensor.name} [${R}, ${C}]: columns ${col0}..${col0 + cols} are outside 0..${C}`);
  }
  if (dst.length < rows * cols) {
    throw new RangeError(`tensor ${tensor.name}: dst holds ${dst.length} values, the ${rows}×${cols} sub-matrix needs ${rows * cols}`);
  }
  if (rows === 0 || cols === 0) return;
  const want = tensorDataBytes(tensor.type, R * C);
  if (tensor.byteLength !== want) {
    throw new Error(`${source.name}: tensor ${tensor.name} (${tensor.type}, [${R}, ${C}]) records ${tensor.byteLength} bytes, its shape needs ${want}`);
  }
  if (tensor.type === "llama2c-q8" && !(Number.isInteger(tensor.groupSize) && tensor.groupSize! > 0 && Number.isInteger(tensor.scaleOffset))) {
    throw new Error(`${source.name}: tensor ${tensor.name} is llama2c-q8 without a valid groupSize/scaleOffset`);
  }
  if (cols === C) {
    // full-width rows: contiguous in the file; coalesced reads of up to CHUNK_BYTES
    const rowBytes = Math.max(1, tensorDataBytes(tensor.type, C));
    const step = Math.max(1, Math.floor(CHUNK_BYTES / rowBytes));
    for (let r = 0; r < rows; r += step) {
      const k = Math.min(step, rows - r);
      await readFlat(source, tensor, (row0 + r) * C, k * C, dst, r * C);
    }
    return;
  }
  // a column slice: one read per row (a few in flight)
  for (let r = 0; r < rows; r += ROW_READS_IN_FLIGHT) {
    const k = Math.min(ROW_READS_IN_FLIGHT, rows - r);
    const reads: Promise<void>[] = [];
    for (let j = 0; j < k; j++) reads.push(readFlat(source, tensor, (row0 + r + j) * C + col0, cols, dst, (r + j) * cols));
    await Promise.all(reads);
  }
}

/** Convenience: a whole tensor as a new Float32Array. */
export async function readTensor(source: ByteSource, tensor: TensorInfo): Promise<Float32Array> {
  const [R, C] = matrixShape(tensor);
  const out = new Float32Array(R * C);
  await readTensorRows(source, tensor, 0, R, 0, C, out);
  return out;
}
