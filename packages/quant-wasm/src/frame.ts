// The TWQF frame: a self-describing, checksummed container for packed data that leaves the process
// (files, sockets, other runtimes). In-process exchange between workers uses the raw payload.
//
// Layout (all multi-byte fields little-endian; header = 28 bytes):
//
//   byte   0..3   magic "TWQF" = 0x54 0x57 0x51 0x46
//   byte   4      version = 1
//   byte   5      format id (FORMATS.md section 1, e.g. 8 = q8_0, 20 = mxfp4)
//   byte   6..7   block size B, u16 (0 for the casts f32/fp16/bf16)
//   byte   8      scale kind id: 0 none, 1 fp16, 2 bf16, 3 f32, 4 e8m0, 5 ue4m3
//   byte   9      flags: bit 0 = rounding used to encode (0 rne, 1 stochastic); bits 1..7 must be 0
//   byte  10..11  reserved, must be 0
//   byte  12..15  n, bits 0..31 (u32): the element count
//   byte  16..19  n, bits 32..52 (u32, bits 21..31 must be 0): n = lo + hi·2^32 ≤ 2^53 − 1
//   byte  20..23  payload length in bytes (u32); must equal bytesFor(spec, n)
//   byte  24..27  CRC-32 of bytes 0..23 followed by the payload (IEEE 802.3 / zlib: reflected
//                 polynomial 0xEDB88320, initial value and final xor 0xFFFFFFFF)
//   byte  28..    payload: the packed layout of FORMATS.md section 2; the frame ends with it
//
// The block size / scale kind / rounding must be a combination allowed for the format. decodeFrame
// checks every field, the exact total length (truncation and trailing bytes) and the checksum, and
// throws FrameError on any mismatch; it never reads outside the given bytes.
import { formatById, formatByName, resolveCodec, bytesFor, SCALE_IDS, type CodecSpec, type ScaleKind } from "./formats.js";

export const FRAME_MAGIC = "TWQF";
export const FRAME_VERSION = 1;
export const FRAME_HEADER_BYTES = 28;

const MAGIC_BYTES = [0x54, 0x57, 0x51, 0x46] as const;
const SCALE_BY_ID: readonly ScaleKind[] = (Object.keys(SCALE_IDS) as ScaleKind[]).sort((a, b) => SCALE_IDS[a] - SCALE_IDS[b]);

/** A malformed, truncated or corrupted frame (or arguments that cannot be framed). */
export class FrameError extends Error {
  override readonly name = "FrameError";
}

export interface DecodedFrame {
  spec: CodecSpec;
  /** Element count. */
  n: number;
  /** The packed payload: a view into the given bytes (no copy), exactly bytesFor(spec, n) long. */
  payload: Uint8Array;
}

/** Total frame size for n values of `spec`. */
export function frameBytes(codecOrSpec: CodecSpec | { spec: CodecSpec }, n: number): number {
  return FRAME_HEADER_BYTES + bytesFor(specOf(codecOrSpec), n);
}

/** Wrap a packed payload of n values in a TWQF frame (a new Uint8Array of frameBytes(spec, n)). */
export function encodeFrame(codecOrSpec: CodecSpec | { spec: CodecSpec }, payload: Uint8Array, n: number): Uint8Array {
  let spec: CodecSpec;
  try {
    const s = specOf(codecOrSpec);
    spec = resolveCodec(s.format, s);
  } catch (e) {
    throw new FrameError(`encodeFrame: ${(e as Error).message}`);
  }
  if (!Number.isSafeInteger(n) || n < 0) throw new FrameError(`encodeFrame: element count must be an integer in 0..2^53-1, got ${n}`);
  const len = bytesFor(spec, n);
  if (!(payload instanceof Uint8Array)) throw new FrameError("encodeFrame: payload must be a Uint8Array");
  if (payload.length !== len) throw new FrameError(`encodeFrame: payload has ${payload.length} bytes, ${spec.format} needs ${len} for ${n} values`);
  if (len > 0xffffffff) throw new FrameError(`encodeFrame: payload of ${len} bytes exceeds the u32 length field`);
  const out = new Uint8Array(FRAME_HEADER_BYTES + len);
  const dv = new DataView(out.buffer);
  out.set(MAGIC_BYTES, 0);
  dv.setUint8(4, FRAME_VERSION);
  dv.setUint8(5, formatByName(spec.format).id);
  dv.setUint16(6, spec.block, true);
  dv.setUint8(8, SCALE_IDS[spec.scale]);
  dv.setUint8(9, spec.rounding === "stochastic" ? 1 : 0);
  dv.setUint16(10, 0, true);
  dv.setUint32(12, n % 2 ** 32, true);
  dv.setUint32(16, Math.floor(n / 2 ** 32), true);
  dv.setUint32(20, len, true);
  out.set(payload, FRAME_HEADER_BYTES);
  dv.setUint32(24, frameCrc(out.subarray(0, 24), out.subarray(FRAME_HEADER_BYTES)), true);
  return out;
}

/** Parse and validate a TWQF frame; throws FrameError unless every field and the checksum are right. */
export function decodeFrame(bytes: Uint8Array): DecodedFrame {
  if (!(bytes instanceof Uint8Array)) throw new FrameError("decodeFrame: expected a Uint8Array");
  if (bytes.length < FRAME_HEADER_BYTES) {
    throw new FrameError(`truncated frame: ${bytes.length} bytes, the header alone is ${FRAME_HEADER_BYTES}`);
  }
  for (let i = 0; i < 4; i++) {
    if (bytes[i] !== MAGIC_BYTES[i]) throw new FrameError(`bad magic: not a TWQF frame (first bytes ${hex(bytes.subarray(0, 4))})`);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, FRAME_HEADER_BYTES);
  const version = dv.getUint8(4);
  if (version !== FRAME_VERSION) throw new FrameError(`unsupported frame version ${version} (this package reads version ${FRAME_VERSION})`);
  const formatId = dv.getUint8(5);
  const format = formatById(formatId);
  if (!format) throw new FrameError(`unknown format id ${formatId}`);
  const block = dv.getUint16(6, true);
  const scaleId = dv.getUint8(8);
  const scale = SCALE_BY_ID[scaleId];
  if (scale === undefined) throw new FrameError(`unknown scale kind id ${scaleId}`);
  const flags = dv.getUint8(9);
  if (flags & ~1) throw new FrameError(`reserved flag bits set (flags 0x${flags.toString(16)})`);
  if (dv.getUint16(10, true) !== 0) throw new FrameError("reserved header bytes 10..11 are not zero");
  let spec: CodecSpec;
  try {
    spec = resolveCodec(format.name, { block, scale, rounding: flags & 1 ? "stochastic" : "rne" });
  } catch (e) {
    throw new FrameError(`invalid codec in frame header: ${(e as Error).message}`);
  }
  const nLo = dv.getUint32(12, true);
  const nHi = dv.getUint32(16, true);
  if (nHi > 0x1fffff) throw new FrameError(`element count high word ${nHi} exceeds 21 bits (n must be ≤ 2^53 − 1)`);
  const n = nHi * 2 ** 32 + nLo;
  const len = dv.getUint32(20, true);
  const expected = bytesFor(spec, n);
  if (len !== expected) throw new FrameError(`payload length ${len} does not match ${expected} = bytesFor(${spec.format}, n = ${n})`);
  const total = FRAME_HEADER_BYTES + len;
  if (bytes.length < total) throw new FrameError(`truncated frame: ${bytes.length} bytes, ${total} expected`);
  if (bytes.length > total) throw new FrameError(`${bytes.length - total} trailing bytes after the frame (${total} bytes expected)`);
  const payload = bytes.subarray(FRAME_HEADER_BYTES, total);
  const stored = dv.getUint32(24, true);
  const actual = frameCrc(bytes.subarray(0, 24), payload);
  if (stored !== actual) throw new FrameError(`checksum mismatch: stored 0x${hex32(stored)}, computed 0x${hex32(actual)} (corrupted frame)`);
  return { spec, n, payload };
}

function specOf(x: CodecSpec | { spec: CodecSpec }): CodecSpec {
  return "spec" in x ? x.spec : x;
}


function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(" ");
}
function hex32(x: number): string {
  return x.toString(16).padStart(8, "0");
}

// ---- CRC-32 (IEEE), slicing-by-8 ----

const CRC_TABLES: Uint32Array[] = (() => {
  const t = Array.from({ length: 8 }, () => new Uint32Array(256));
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[0]![i] = c >>> 0;
  }
  for (let i = 0; i < 256; i++) {
    for (let s = 1; s < 8; s++) t[s]![i] = (t[s - 1]![i]! >>> 8) ^ t[0]![t[s - 1]![i]! & 0xff]!;
  }
  return t;
})();

function crcUpdate(crc: number, b: Uint8Array): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = CRC_TABLES as [Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array];
  let i = 0;
  const n = b.length;
  const end8 = n - (n % 8);
  for (; i < end8; i += 8) {
    const a = (crc ^ (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24))) >>> 0;
    crc = t7[a & 0xff]! ^ t6[(a >>> 8) & 0xff]! ^ t5[(a >>> 16) & 0xff]! ^ t4[a >>> 24]! ^
      t3[b[i + 4]!]! ^ t2[b[i + 5]!]! ^ t1[b[i + 6]!]! ^ t0[b[i + 7]!]!;
  }
  for (; i < n; i++) crc = t0[(crc ^ b[i]!) & 0xff]! ^ (crc >>> 8);
  return crc >>> 0;
}

/** CRC-32 (IEEE 802.3, as zlib's crc32) of the concatenation of the given byte arrays. */
export function crc32(...parts: Uint8Array[]): number {
  let c = 0xffffffff;
  for (const p of parts) c = crcUpdate(c, p);
  return (c ^ 0xffffffff) >>> 0;
}

function frameCrc(header24: Uint8Array, payload: Uint8Array): number {
  return crc32(header24, payload);
}
