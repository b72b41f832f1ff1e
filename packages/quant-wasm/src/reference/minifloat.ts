// Scalar minifloat element codecs (FORMATS.md section 3), E8M0 block exponents (section 4) and the
// stochastic-rounding hash (section 4). The encoders enumerate every representable magnitude once,
// then pick the nearest one per value (binary search + explicit tie rule), so they share no bit
// tricks with the SIMD kernels.
import { floorLog2, pow2, signBitOf } from "./half.js";

/** Minifloat element kinds (FORMATS.md section 3). `ue4m3` is the nvfp4 block scale. */
export type MinifloatKind = "e2m1" | "e2m2" | "e3m1" | "e2m3" | "e3m2" | "e4m3" | "e5m2" | "ue4m3";

/** Every minifloat kind, narrowest first. */
export const MINIFLOAT_KINDS: readonly MinifloatKind[] = ["e2m1", "e2m2", "e3m1", "e2m3", "e3m2", "e4m3", "e5m2", "ue4m3"];

/** Precomputed description of one minifloat kind. */
export interface MinifloatInfo {
  readonly kind: MinifloatKind;
  /** Code width in bits (sign included; ue4m3 is 8 bits whose MSB the encoder leaves 0). */
  readonly bits: number;
  readonly expBits: number;
  readonly mantBits: number;
  readonly bias: number;
  /** The sign bit (the code's MSB). */
  readonly signBit: number;
  /** Largest finite positive code; codes 0..maxCode are the finite magnitudes in increasing order. */
  readonly maxCode: number;
  /** Largest finite value. */
  readonly maxFinite: number;
  /** floor(log2(maxFinite)): the OCP MX `emax` of the element type. */
  readonly emax: number;
  /** mags[c] = value of the positive code c, for c = 0..maxCode (strictly increasing). */
  readonly mags: Float64Array;
  /** values[c] = decoded value of every code c < 2^bits (NaN/Inf codes included). */
  readonly values: Float64Array;
}

function specialValue(kind: MinifloatKind, code: number): number | undefined {
  const bits = kind === "e4m3" || kind === "ue4m3" ? 8 : undefined;
  if (bits === 8 && (code & 0x7f) === 0x7f) return NaN; // S.1111.111 (ue4m3: 0x7F; 0xFF also, as E4M3)
  if (kind === "e5m2" && ((code >>> 2) & 0x1f) === 0x1f) {
    const neg = (code & 0x80) !== 0;
    if ((code & 3) === 0) return neg ? -Infinity : Infinity;
    return NaN;
  }
  return undefined;
}

function buildInfo(kind: MinifloatKind, expBits: number, mantBits: number, bias: number): MinifloatInfo {
  const bits = 1 + expBits + mantBits;
  const signBit = 1 << (bits - 1);
  const values = new Float64Array(1 << bits);
  for (let code = 0; code < values.length; code++) {
    const special = specialValue(kind, code);
    if (special !== undefined) {
      values[code] = special;
      continue;
    }
    const e = (code >>> mantBits) & ((1 << expBits) - 1);
    const m = code & ((1 << mantBits) - 1);
    // e > 0: 2^(e-b)·(1 + m/2^M); e = 0: 2^(1-b)·m/2^M
    const a = e > 0 ? pow2(e - bias) * (1 + m / (1 << mantBits)) : pow2(1 - bias) * (m / (1 << mantBits));
    values[code] = (code & signBit) !== 0 ? -a : a;
  }
  let maxCode = 0;
  while (maxCode + 1 < signBit && Number.isFinite(values[maxCode + 1]!)) maxCode++;
  const mags = values.slice(0, maxCode + 1);
  for (let c = 1; c <= maxCode; c++) {
    if (!(mags[c]! > mags[c - 1]!)) throw new Error(`minifloat ${kind}: magnitudes not increasing at ${c}`);
  }
  const maxFinite = mags[maxCode]!;
  return { kind, bits, expBits, mantBits, bias, signBit, maxCode, maxFinite, emax: floorLog2(maxFinite), mags, values };
}

const INFOS: Readonly<Record<MinifloatKind, MinifloatInfo>> = {
  e2m1: buildInfo("e2m1", 2, 1, 1),
  e2m2: buildInfo("e2m2", 2, 2, 1),
  e3m1: buildInfo("e3m1", 3, 1, 3),
  e2m3: buildInfo("e2m3", 2, 3, 1),
  e3m2: buildInfo("e3m2", 3, 2, 3),
  e4m3: buildInfo("e4m3", 4, 3, 7),
  e5m2: buildInfo("e5m2", 5, 2, 15),
  ue4m3: buildInfo("ue4m3", 4, 3, 7),
};

/** The table and parameters of a minifloat kind (throws on an unknown kind). */
export function minifloatInfo(kind: MinifloatKind): MinifloatInfo {
  const info = INFOS[kind];
  if (!info) throw new RangeError(`unknown minifloat kind "${String(kind)}"; known: ${MINIFLOAT_KINDS.join(", ")}`);
  return info;
}

/** Largest c in [0, maxCode] with mags[c] <= a (a >= 0, not NaN). */
function floorIndex(mags: Float64Array, maxCode: number, a: number): number {
  if (a >= mags[maxCode]!) return maxCode;
  let lo = 0;
  let hi = maxCode; // invariant: mags[lo] <= a < mags[hi]
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if (mags[mid]! <= a) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** Magnitude code of |v| (v finite or ±Inf), RNE among the finite values, saturating. */
function nearestMagnitudeCode(info: MinifloatInfo, a: number): number {
  const mags = info.mags;
  const c = floorIndex(mags, info.maxCode, a);
  if (c === info.maxCode) return c; // at or above max finite: saturate
  const below = a - mags[c]!; // exact: both are short binary fractions of similar magnitude
  const above = mags[c + 1]! - a;
  if (below < above) return c;
  if (above < below) return c + 1;
  return (c & 1) === 0 ? c : c + 1; // tie: the even code (even mantissa LSB)
}

/**
 * Encode an f32 value as a minifloat code, RNE (FORMATS.md section 3): nearest representable
 * magnitude, ties to the even code, saturating at max finite (±Inf included); the sign bit is the
 * sign bit of v (−0 gives the negative-zero code). NaN encodes as code 0 (see FORMATS.md: only
 * reachable when a block inverse scale overflows). `ue4m3` ignores the sign (its inputs are ≥ 0).
 */
export function encodeMinifloat(kind: MinifloatKind, v: number): number {
  return encodeWith(minifloatInfo(kind), v);
}

/** encodeMinifloat with the table already looked up (the codecs' inner loop). */
export function encodeWith(info: MinifloatInfo, v: number): number {
  const kind = info.kind;
  if (v !== v) return 0;
  const code = nearestMagnitudeCode(info, Math.abs(v));
  return kind !== "ue4m3" && signBitOf(v) ? code | info.signBit : code;
}

/**
 * Encode an f32 value as a minifloat code with stochastic rounding (FORMATS.md section 4):
 * lo <= |v| < hi neighbouring magnitudes, p = f32(f32(|v| − lo) / f32(hi − lo)), hi if u < p else lo;
 * |v| >= max finite gives max finite; NaN gives code 0.
 */
export function encodeMinifloatStochastic(kind: MinifloatKind, v: number, u: number): number {
  return encodeStochasticWith(minifloatInfo(kind), v, u);
}

/** encodeMinifloatStochastic with the table already looked up (the codecs' inner loop). */
export function encodeStochasticWith(info: MinifloatInfo, v: number, u: number): number {
  const kind = info.kind;
  if (v !== v) return 0;
  const a = Math.abs(v);
  const mags = info.mags;
  let code = floorIndex(mags, info.maxCode, a);
  if (code < info.maxCode) {
    const lo = mags[code]!;
    const hi = mags[code + 1]!;
    const p = Math.fround(Math.fround(a - lo) / Math.fround(hi - lo));
    if (u < p) code++;
  }
  return kind !== "ue4m3" && signBitOf(v) ? code | info.signBit : code;
}

/**
 * Value of a minifloat code (every code accepted: E4M3/UE4M3 NaN codes → NaN, E5M2 Inf/NaN codes →
 * ±Inf/NaN). UE4M3 codes 0x80..0xFE, which the encoder never writes, decode as the E4M3 code.
 */
export function decodeMinifloat(kind: MinifloatKind, code: number): number {
  const info = minifloatInfo(kind);
  return info.values[code & ((1 << info.bits) - 1)]!;
}

/**
 * The E8M0 shared-exponent byte of a block (FORMATS.md section 4, MX): E = the f32 exponent field
 * of amax (0 when amax is zero or subnormal), X = max(E − emax, 0).
 */
export function e8m0ScaleOf(amax: number, emax: number): number {
  const E = amax >= pow2(-126) ? floorLog2(amax) + 127 : 0;
  return Math.max(E - emax, 0);
}

/** Value of an E8M0 byte: 2^(X − 127), and NaN for 0xFF. */
export function decodeE8m0(x: number): number {
  return x === 0xff ? NaN : pow2(x - 127);
}

/**
 * The stochastic-rounding uniform of element i (index from the start of the tensor) for a seed
 * (FORMATS.md section 4): a u32 hash of i and seed, u = (h >>> 8) · 2^−24 in [0, 1).
 */
export function stochasticUniform(i: number, seed: number): number {
  let h = (Math.imul(i, 0x9e3779b9) + seed) >>> 0;
  h = (h ^ (h >>> 16)) >>> 0;
  h = Math.imul(h, 0x7feb352d) >>> 0;
  h = (h ^ (h >>> 15)) >>> 0;
  h = Math.imul(h, 0x846ca68b) >>> 0;
  h = (h ^ (h >>> 16)) >>> 0;
  return (h >>> 8) * pow2(-24);
}
