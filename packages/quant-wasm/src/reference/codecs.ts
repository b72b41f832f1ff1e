// Scalar reference codecs: one readable implementation of FORMATS.md sections 2, 4 and 5.
// Every f32 operation is written as Math.fround(a op b), in the order FORMATS.md gives.
// This is the test oracle for the SIMD kernels and the "scalar JS" baseline of the benchmark.
import { blockBytes, bytesFor, formatByName, resolveCodec, SCALE_BYTES } from "../formats.js";
import type { CodecSpec, FormatName } from "../formats.js";
import { decodeBf16, decodeFp16, encodeBf16, encodeFp16, pow2, roundHalfEven } from "./half.js";
import {
  decodeE8m0, e8m0ScaleOf, encodeStochasticWith, encodeWith, minifloatInfo, stochasticUniform,
} from "./minifloat.js";
import type { MinifloatInfo, MinifloatKind } from "./minifloat.js";

const fround = Math.fround;

/** Result of a quantization: the packed bytes and the number of blocks whose FP16 scale overflowed. */
export interface QuantizeResult {
  /** Packed bytes, exactly `bytesFor(spec, n)` long. */
  readonly bytes: Uint8Array;
  /** Blocks counted as clipped (FORMATS.md section 4, "FP16 scale overflow"). */
  readonly clipped: number;
}

// ---------------------------------------------------------------------------------------------
// Format families

type Family =
  | { readonly kind: "cast" }
  | { readonly kind: "q8_0" }
  | { readonly kind: "q4_0" }
  | { readonly kind: "int"; readonly qmax: number }
  | { readonly kind: "mx"; readonly elem: MinifloatInfo | null; readonly emax: number }
  | { readonly kind: "mf16"; readonly elem: MinifloatInfo }
  | { readonly kind: "nvfp4"; readonly elem: MinifloatInfo; readonly scale: MinifloatInfo };

/** Element kind of each minifloat-element format. */
const ELEMENT_KIND: Partial<Record<FormatName, MinifloatKind>> = {
  "mxfp8-e4m3": "e4m3", "mxfp8-e5m2": "e5m2", "mxfp6-e2m3": "e2m3", "mxfp6-e3m2": "e3m2",
  mxfp4: "e2m1", "fp5-e2m2": "e2m2", "fp5-e3m1": "e3m1", "fp4-e2m1": "e2m1", nvfp4: "e2m1",
};

function familyOf(spec: CodecSpec): Family {
  const f = spec.format;
  if (spec.block === 0) return { kind: "cast" };
  if (f === "q8_0") return { kind: "q8_0" };
  if (f === "q4_0") return { kind: "q4_0" };
  if (f === "int8") return { kind: "int", qmax: 127 };
  if (f === "int4") return { kind: "int", qmax: 7 };
  if (f === "mxint8") return { kind: "mx", elem: null, emax: 0 };
  const elem = minifloatInfo(ELEMENT_KIND[f]!);
  if (f === "nvfp4") return { kind: "nvfp4", elem, scale: minifloatInfo("ue4m3") };
  if (spec.scale === "e8m0") return { kind: "mx", elem, emax: elem.emax };
  return { kind: "mf16", elem };
}

// ---------------------------------------------------------------------------------------------
// Small helpers

/** Clamp an integer-valued double to [lo, hi]; NaN becomes 0 (FORMATS.md section 3). */
function clampInt(c: number, lo: number, hi: number): number {
  if (c !== c) return 0;
  return c < lo ? lo : c > hi ? hi : c;
}

/** C roundf: round half away from zero (exact for f32 inputs). */
function roundHalfAway(y: number): number {
  return y < 0 ? -Math.floor(-y + 0.5) : Math.floor(y + 0.5);
}

/** The fp16 scale code of d with the FORMATS.md overflow rule (Inf → 0x7BFF, keeping d's sign). */
function fp16Scale(d: number): number {
  const h = encodeFp16(d);
  return (h & 0x7fff) === 0x7c00 ? (h & 0x8000) | 0x7bff : h;
}

/** True when fp16_rne(d) is ±Inf (the block counts as clipped). */
function isFp16Overflow(d: number): boolean {
  return (encodeFp16(d) & 0x7fff) === 0x7c00;
}

/** The NaN scale field of a non-finite block (FORMATS.md section 4). */
function writeNaNScale(dv: DataView, off: number, scale: string): void {
  switch (scale) {
    case "fp16": dv.setUint16(off, 0x7e00, true); break;
    case "bf16": dv.setUint16(off, 0x7fc0, true); break;
    case "f32": dv.setUint32(off, 0x7fc00000, true); break;
    case "e8m0": dv.setUint8(off, 0xff); break;
    case "ue4m3": dv.setUint8(off, 0x7f); break;
    default: throw new Error(`no NaN scale for "${scale}"`);
  }
}

// ---------------------------------------------------------------------------------------------
// Element fields (FORMATS.md section 2)

/** Pack B element codes (already masked to `bits`) at out[off..]. The destination must be zero. */
function packElements(codes: Uint8Array, bits: number, B: number, out: Uint8Array, off: number): void {
  if (bits === 8) {
    for (let i = 0; i < B; i++) out[off + i] = codes[i]!;
    return;
  }
  const half = B / 2;
  for (let j = 0; j < half; j++) out[off + j] = (codes[j]! & 0xf) | ((codes[j + half]! & 0xf) << 4);
  const hi = off + half;
  if (bits === 5) {
    for (let i = 0; i < B; i++) if ((codes[i]! & 0x10) !== 0) out[hi + (i >> 3)]! |= 1 << (i & 7);
  } else if (bits === 6) {
    const q = B / 4;
    for (let j = 0; j < q; j++) {
      let b = 0;
      for (let k = 0; k < 4; k++) b |= ((codes[j + k * q]! >> 4) & 3) << (2 * k);
      out[hi + j] = b;
    }
  }
}

/** Unpack B element codes from bytes[off..] (inverse of packElements). */
function unpackElements(bytes: Uint8Array, off: number, bits: number, B: number, codes: Uint8Array): void {
  if (bits === 8) {
    for (let i = 0; i < B; i++) codes[i] = bytes[off + i]!;
    return;
  }
  const half = B / 2;
  for (let j = 0; j < half; j++) {
    const b = bytes[off + j]!;
    codes[j] = b & 0xf;
    codes[j + half] = b >> 4;
  }
  const hi = off + half;
  if (bits === 5) {
    for (let i = 0; i < B; i++) codes[i] = codes[i]! | (((bytes[hi + (i >> 3)]! >> (i & 7)) & 1) << 4);
  } else if (bits === 6) {
    const q = B / 4;
    for (let j = 0; j < q; j++) {
      const b = bytes[hi + j]!;
      for (let k = 0; k < 4; k++) codes[j + k * q] = codes[j + k * q]! | (((b >> (2 * k)) & 3) << 4);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Quantize

/** Per-call state of the block encoder (no per-element allocation). */
interface EncodeState {
  readonly spec: CodecSpec;
  readonly fam: Family;
  readonly dv: DataView;
  readonly seed: number;
  readonly stochastic: boolean;
  /** The block's values (padding +0), and its element codes. */
  readonly buf: Float64Array;
  readonly codes: Uint8Array;
  /** nvfp4 per-tensor scale S_t. */
  readonly tensorScale: number;
}

/**
 * Encode one finite block into st.codes and the scale field at `off`; returns 1 if the block's
 * FP16 scale overflowed (clipped), else 0. `base` = tensor index of the block's first element.
 */
function encodeBlock(st: EncodeState, amax: number, off: number, base: number): number {
  const { fam, dv, buf, codes, seed, stochastic } = st;
  const B = buf.length;
  switch (fam.kind) {
    case "q8_0": {
      // ggml quantize_row_q8_0_ref: d = amax/127, id = 1/d, scale = fp16(d), c = roundf(x·id)
      let d = fround(amax / 127);
      let id = d !== 0 ? fround(1 / d) : 0;
      let clipped = 0;
      if (isFp16Overflow(d)) {
        d = 65504;
        id = fround(1 / 65504);
        clipped = 1;
      }
      dv.setUint16(off, fp16Scale(d), true);
      for (let j = 0; j < B; j++) codes[j] = clampInt(roundHalfAway(fround(buf[j]! * id)), -127, 127) & 0xff;
      return clipped;
    }
    case "q4_0": {
      // ggml quantize_row_q4_0_ref: m = signed value of the first largest |x| (+0 when all zero)
      let am = 0;
      let m = 0;
      for (let j = 0; j < B; j++) {
        const a = Math.abs(buf[j]!);
        if (am < a) {
          am = a;
          m = buf[j]!;
        }
      }
      let d = fround(m / -8);
      let id = d !== 0 ? fround(1 / d) : 0;
      let clipped = 0;
      if (isFp16Overflow(d)) {
        d = d < 0 ? -65504 : 65504;
        id = fround(1 / d);
        clipped = 1;
      }
      dv.setUint16(off, fp16Scale(d), true);
      for (let j = 0; j < B; j++) {
        codes[j] = clampInt(Math.trunc(fround(fround(buf[j]! * id) + 8.5)), 0, 15);
      }
      return clipped;
    }
    case "int": {
      const qmax = fam.qmax;
      const mask = qmax === 127 ? 0xff : 0xf;
      const d = fround(amax / qmax);
      let s: number;
      let clipped = 0;
      if (st.spec.scale === "fp16") {
        if (isFp16Overflow(d)) clipped = 1;
        const h = fp16Scale(d);
        dv.setUint16(off, h, true);
        s = decodeFp16(h);
      } else if (st.spec.scale === "bf16") {
        const h = encodeBf16(d);
        dv.setUint16(off, h, true);
        s = decodeBf16(h);
      } else {
        dv.setFloat32(off, d, true);
        s = d;
      }
      const inv = s !== 0 ? fround(1 / s) : 0;
      for (let j = 0; j < B; j++) {
        const v = fround(buf[j]! * inv);
        const c = stochastic
          ? Math.floor(fround(v + stochasticUniform(base + j, seed)))
          : roundHalfEven(v);
        codes[j] = clampInt(c, -qmax, qmax) & mask;
      }
      return clipped;
    }
    case "mx": {
      const X = e8m0ScaleOf(amax, fam.emax);
      dv.setUint8(off, X);
      const mul = pow2(127 - X);
      const elem = fam.elem;
      for (let j = 0; j < B; j++) {
        const v = fround(buf[j]! * mul);
        if (elem === null) { // mxint8: c = RNE_int(v·64), clamped to ±127
          const w = fround(v * 64);
          const c = stochastic ? Math.floor(fround(w + stochasticUniform(base + j, seed))) : roundHalfEven(w);
          codes[j] = clampInt(c, -127, 127) & 0xff;
        } else {
          codes[j] = stochastic ? encodeStochasticWith(elem, v, stochasticUniform(base + j, seed)) : encodeWith(elem, v);
        }
      }
      return 0;
    }
    case "mf16": {
      const d = fround(amax / fam.elem.maxFinite);
      const clipped = isFp16Overflow(d) ? 1 : 0;
      const h = fp16Scale(d);
      dv.setUint16(off, h, true);
      const s = decodeFp16(h);
      const inv = s !== 0 ? fround(1 / s) : 0;
      for (let j = 0; j < B; j++) {
        const v = fround(buf[j]! * inv);
        codes[j] = stochastic ? encodeStochasticWith(fam.elem, v, stochasticUniform(base + j, seed)) : encodeWith(fam.elem, v);
      }
      return clipped;
    }
    case "nvfp4": {
      const St = st.tensorScale;
      const code = St === 0 ? 0 : encodeWith(fam.scale, fround(amax / fround(St * 6)));
      dv.setUint8(off, code);
      const d = fround(fam.scale.values[code]! * St);
      const inv = d !== 0 ? fround(1 / d) : 0;
      for (let j = 0; j < B; j++) {
        const v = fround(buf[j]! * inv);
        codes[j] = stochastic ? encodeStochasticWith(fam.elem, v, stochasticUniform(base + j, seed)) : encodeWith(fam.elem, v);
      }
      return 0;
    }
    case "cast":
      throw new Error("unreachable: casts have no blocks");
  }
}

function quantizeCast(spec: CodecSpec, x: Float32Array, out: Uint8Array): void {
  const n = x.length;
  const bits = new Uint32Array(x.buffer, x.byteOffset, n);
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  if (spec.format === "f32") {
    for (let i = 0; i < n; i++) dv.setUint32(4 * i, bits[i]!, true);
    return;
  }
  const fp16 = spec.format === "fp16";
  for (let i = 0; i < n; i++) {
    const v = x[i]!;
    let h: number;
    if (v !== v) h = (fp16 ? 0x7e00 : 0x7fc0) | ((bits[i]! >>> 31) << 15); // quiet NaN, input's sign
    else h = fp16 ? encodeFp16(v) : encodeBf16(v);
    dv.setUint16(2 * i, h, true);
  }
}

/**
 * Quantize `x` with a codec (FORMATS.md sections 2 and 4). The scalar, readable reference: the
 * wasm kernels must produce exactly these bytes and this clipped count. `seed` (u32) only matters
 * for stochastic rounding.
 */
export function referenceQuantize(spec: CodecSpec, x: Float32Array, seed = 0): QuantizeResult {
  const s = resolveCodec(spec.format, spec);
  const n = x.length;
  const out = new Uint8Array(bytesFor(s, n));
  if (s.block === 0) {
    quantizeCast(s, x, out);
    return { bytes: out, clipped: 0 };
  }
  const info = formatByName(s.format);
  const fam = familyOf(s);
  const B = s.block;
  const bb = blockBytes(s);
  const sb = SCALE_BYTES[s.scale];
  const dv = new DataView(out.buffer);
  let tensorScale = 0;
  if (fam.kind === "nvfp4") {
    let G = 0;
    for (let i = 0; i < n; i++) {
      const a = Math.abs(x[i]!);
      if (a !== Infinity && a > G) G = a; // NaN fails the comparison
    }
    tensorScale = fround(G / 2688);
    dv.setFloat32(0, tensorScale, true);
  }
  const st: EncodeState = {
    spec: s, fam, dv, seed: seed >>> 0, stochastic: s.rounding === "stochastic",
    buf: new Float64Array(B), codes: new Uint8Array(B), tensorScale,
  };
  let clipped = 0;
  const nb = Math.ceil(n / B);
  for (let k = 0; k < nb; k++) {
    const base = k * B;
    const m = Math.min(B, n - base);
    let amax = 0;
    let finite = true;
    for (let j = 0; j < B; j++) {
      const v = j < m ? x[base + j]! : 0;
      st.buf[j] = v;
      const a = Math.abs(v);
      if (!(a < Infinity)) finite = false;
      else if (a > amax) amax = a;
    }
    const off = info.tensorHeaderBytes + k * bb;
    if (!finite) { // NaN/Inf policy: NaN scale, element codes 0 (already zero)
      writeNaNScale(dv, off, s.scale);
      continue;
    }
    clipped += encodeBlock(st, amax, off, base);
    packElements(st.codes, info.elementBits, B, out, off + sb);
  }
  return { bytes: out, clipped };
}

// ---------------------------------------------------------------------------------------------
// Dequantize

function checkDecodeArgs(spec: CodecSpec, bytes: Uint8Array, n: number): CodecSpec {
  const s = resolveCodec(spec.format, spec);
  const need = bytesFor(s, n);
  if (bytes.length < need) throw new RangeError(`${s.format}: ${n} elements need ${need} packed bytes, got ${bytes.length}`);
  return s;
}

function decodeInto(s: CodecSpec, bytes: Uint8Array, n: number, dst: Float32Array, acc: boolean): void {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (s.block === 0) {
    if (s.format === "f32" && !acc) { // bit copy: NaN payloads preserved
      const bits = new Uint32Array(dst.buffer, dst.byteOffset, n);
      for (let i = 0; i < n; i++) bits[i] = dv.getUint32(4 * i, true);
      return;
    }
    for (let i = 0; i < n; i++) {
      const v = s.format === "f32" ? dv.getFloat32(4 * i, true)
        : s.format === "fp16" ? decodeFp16(dv.getUint16(2 * i, true)) : decodeBf16(dv.getUint16(2 * i, true));
      dst[i] = acc ? fround(dst[i]! + v) : v;
    }
    return;
  }
  const info = formatByName(s.format);
  const fam = familyOf(s);
  const B = s.block;
  const bb = blockBytes(s);
  const sb = SCALE_BYTES[s.scale];
  const codes = new Uint8Array(B);
  const ev = new Float64Array(B); // element values of one block
  const St = fam.kind === "nvfp4" ? dv.getFloat32(0, true) : 0;
  const nb = Math.ceil(n / B);
  for (let k = 0; k < nb; k++) {
    const off = info.tensorHeaderBytes + k * bb;
    unpackElements(bytes, off + sb, info.elementBits, B, codes);
    // scale value
    let sv: number;
    switch (s.scale) {
      case "fp16": sv = decodeFp16(dv.getUint16(off, true)); break;
      case "bf16": sv = decodeBf16(dv.getUint16(off, true)); break;
      case "f32": sv = dv.getFloat32(off, true); break;
      case "e8m0": sv = decodeE8m0(bytes[off]!); break;
      case "ue4m3": {
        const nv = fam.kind === "nvfp4" ? fam.scale : minifloatInfo("ue4m3");
        sv = fround(nv.values[bytes[off]!]! * St);
        break;
      }
      default: throw new Error(`unreachable scale ${s.scale}`);
    }
    // element values
    for (let j = 0; j < B; j++) {
      const c = codes[j]!;
      switch (fam.kind) {
        case "q8_0": ev[j] = (c << 24) >> 24; break;
        case "q4_0": ev[j] = c - 8; break;
        case "int": ev[j] = fam.qmax === 127 ? (c << 24) >> 24 : (c << 28) >> 28; break;
        case "mx": ev[j] = fam.elem === null ? ((c << 24) >> 24) / 64 : fam.elem.values[c]!; break;
        case "mf16": case "nvfp4": ev[j] = fam.elem.values[c]!; break;
        default: throw new Error("unreachable");
      }
    }
    const base = k * B;
    const m = Math.min(B, n - base);
    for (let j = 0; j < m; j++) {
      const v = fround(ev[j]! * sv);
      dst[base + j] = acc ? fround(dst[base + j]! + v) : v;
    }
  }
}

/** Decode n values (FORMATS.md section 5). `bytes` must hold at least bytesFor(spec, n) bytes. */
export function referenceDequantize(spec: CodecSpec, bytes: Uint8Array, n: number): Float32Array {
  const s = checkDecodeArgs(spec, bytes, n);
  const out = new Float32Array(n);
  decodeInto(s, bytes, n, out, false);
  return out;
}

/** Decode n values and add them into dst: dst_i = f32(dst_i + value_i) (FORMATS.md section 5). */
export function referenceDequantizeAccumulate(spec: CodecSpec, bytes: Uint8Array, n: number, dst: Float32Array): void {
  const s = checkDecodeArgs(spec, bytes, n);
  if (dst.length < n) throw new RangeError(`dst holds ${dst.length} values, need ${n}`);
  decodeInto(s, bytes, n, dst, true);
}

/**
 * Sum k packed inputs in f32 in index order (scratch = decode(in_0); scratch += decode(in_1); …)
 * and quantize the sum: the reference for `tw_reduce_quantize` (FORMATS.md section 6).
 */
export function referenceReduceQuantize(spec: CodecSpec, inputs: readonly Uint8Array[], n: number, seed = 0): QuantizeResult {
  if (inputs.length === 0) throw new RangeError("referenceReduceQuantize needs at least one input");
  const acc = referenceDequantize(spec, inputs[0]!, n);
  for (let k = 1; k < inputs.length; k++) referenceDequantizeAccumulate(spec, inputs[k]!, n, acc);
  return referenceQuantize(spec, acc, seed);
}
