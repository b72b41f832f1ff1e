// SIMD helpers shared by the integer-family kernels and the casts (casts.ts, ggml.ts, intblock.ts).
//
// Vector constants live in this module's static data (below tw_heap_base, identical in every
// instance, never written at run time) and are loaded once before a loop: V8 rematerializes
// v128.const inside loops, a load is cheaper. Everything here is exact; the rounding tricks are
// derived in comments and checked by test/kernels-int.test.ts (exhaustively for fp16).

// ---------------------------------------------------------------------------------------------
// Constants (each 16 bytes, 16-byte aligned)

/** 0x7FFFFFFF: clears the sign bit. */
export const K_ABS: usize = memory.data<u32>([0x7fffffff, 0x7fffffff, 0x7fffffff, 0x7fffffff], 16);
/** 0x80000000: the sign bit. */
export const K_SIGN: usize = memory.data<u32>([0x80000000, 0x80000000, 0x80000000, 0x80000000], 16);
/** 12582912.0 = 1.5·2^23: adding it rounds |v| < 2^22 to an integer (RNE) held in the low bits. */
export const K_MAGIC: usize = memory.data<u32>([0x4b400000, 0x4b400000, 0x4b400000, 0x4b400000], 16);
/** 0.49999997 = nextafter(0.5, 0): trunc(v + copysign(P, v)) is C roundf(v) for |v| < 2^23. */
export const K_HALF_DOWN: usize = memory.data<u32>([0x3effffff, 0x3effffff, 0x3effffff, 0x3effffff], 16);
/** 1.0f */
export const K_ONE: usize = memory.data<f32>([1.0, 1.0, 1.0, 1.0], 16);
/** 0x7F7FFFFF: largest finite f32 bits; a lane above it (as i32, sign cleared) is Inf/NaN. */
export const K_MAXFIN: usize = memory.data<u32>([0x7f7fffff, 0x7f7fffff, 0x7f7fffff, 0x7f7fffff], 16);
/** 0x007FFFFF: lanes at or below it (sign cleared) are zero or subnormal. */
export const K_SUBN: usize = memory.data<u32>([0x007fffff, 0x007fffff, 0x007fffff, 0x007fffff], 16);
/** 0x7F800000 */
export const K_EXP: usize = memory.data<u32>([0x7f800000, 0x7f800000, 0x7f800000, 0x7f800000], 16);
/** 2^112 and 2^-110 (f32 -> f16 range scaling, XNNPACK method). */
export const K_TO_INF: usize = memory.data<u32>([0x77800000, 0x77800000, 0x77800000, 0x77800000], 16);
export const K_TO_ZERO: usize = memory.data<u32>([0x08800000, 0x08800000, 0x08800000, 0x08800000], 16);
/** 0x38800000 = the smallest bias (2^-14 exponent field, pre-shifted) */
export const K_MINBIAS: usize = memory.data<u32>([0x38800000, 0x38800000, 0x38800000, 0x38800000], 16);
/** 0x07800000 */
export const K_BIASADD: usize = memory.data<u32>([0x07800000, 0x07800000, 0x07800000, 0x07800000], 16);
/** 0x7C00 / 0xFFF / 0x7E00 / 0x8000 */
export const K_7C00: usize = memory.data<u32>([0x7c00, 0x7c00, 0x7c00, 0x7c00], 16);
export const K_FFF: usize = memory.data<u32>([0xfff, 0xfff, 0xfff, 0xfff], 16);
export const K_7E00: usize = memory.data<u32>([0x7e00, 0x7e00, 0x7e00, 0x7e00], 16);
export const K_8000: usize = memory.data<u32>([0x8000, 0x8000, 0x8000, 0x8000], 16);
/** 0x0FFFE000 = f16 exponent+mantissa moved to f32 position (h << 13) */
export const K_F16EM: usize = memory.data<u32>([0x0fffe000, 0x0fffe000, 0x0fffe000, 0x0fffe000], 16);
/** 0x0F7FFFFF: (h << 13) above it means exponent field 31 (Inf/NaN) */
export const K_F16INF: usize = memory.data<u32>([0x0f7fffff, 0x0f7fffff, 0x0f7fffff, 0x0f7fffff], 16);
/** 2^112 as a multiplier that rebiases (exponent 15 -> 127), handles f16 subnormals exactly. */
export const K_2P112: usize = memory.data<u32>([0x77800000, 0x77800000, 0x77800000, 0x77800000], 16);
/** 0x7FFF and 1 (bf16 rounding) */
export const K_7FFF: usize = memory.data<u32>([0x7fff, 0x7fff, 0x7fff, 0x7fff], 16);
export const K_I1: usize = memory.data<u32>([1, 1, 1, 1], 16);
export const K_7FC0: usize = memory.data<u32>([0x7fc0, 0x7fc0, 0x7fc0, 0x7fc0], 16);
/** Lane indices 0..3 (stochastic rounding element index). */
export const K_IOTA: usize = memory.data<u32>([0, 1, 2, 3], 16);
/** 2^-24 */
export const K_2M24: usize = memory.data<u32>([0x33800000, 0x33800000, 0x33800000, 0x33800000], 16);
/** 0x0F (low nibble per byte) and 0x08 per byte */
export const K_NIB: usize = memory.data<u8>([15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15], 16);
export const K_B8: usize = memory.data<u8>([8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8], 16);

// ---------------------------------------------------------------------------------------------
// Horizontal reductions: four vectors (one per block) -> one vector holding each block's result.

// @ts-ignore: decorator
@inline export function hmaxS4(a: v128, b: v128, c: v128, d: v128): v128 {
  const ab = i32x4.max_s(i32x4.shuffle(a, b, 0, 1, 4, 5), i32x4.shuffle(a, b, 2, 3, 6, 7));
  const cd = i32x4.max_s(i32x4.shuffle(c, d, 0, 1, 4, 5), i32x4.shuffle(c, d, 2, 3, 6, 7));
  return i32x4.max_s(i32x4.shuffle(ab, cd, 0, 2, 4, 6), i32x4.shuffle(ab, cd, 1, 3, 5, 7));
}

// @ts-ignore: decorator
@inline export function hpmax4(a: v128, b: v128, c: v128, d: v128): v128 {
  const ab = f32x4.pmax(i32x4.shuffle(a, b, 0, 1, 4, 5), i32x4.shuffle(a, b, 2, 3, 6, 7));
  const cd = f32x4.pmax(i32x4.shuffle(c, d, 0, 1, 4, 5), i32x4.shuffle(c, d, 2, 3, 6, 7));
  return f32x4.pmax(i32x4.shuffle(ab, cd, 0, 2, 4, 6), i32x4.shuffle(ab, cd, 1, 3, 5, 7));
}

// @ts-ignore: decorator
@inline export function hpmin4(a: v128, b: v128, c: v128, d: v128): v128 {
  const ab = f32x4.pmin(i32x4.shuffle(a, b, 0, 1, 4, 5), i32x4.shuffle(a, b, 2, 3, 6, 7));
  const cd = f32x4.pmin(i32x4.shuffle(c, d, 0, 1, 4, 5), i32x4.shuffle(c, d, 2, 3, 6, 7));
  return f32x4.pmin(i32x4.shuffle(ab, cd, 0, 2, 4, 6), i32x4.shuffle(ab, cd, 1, 3, 5, 7));
}

// @ts-ignore: decorator
@inline export function hadd4(a: v128, b: v128, c: v128, d: v128): v128 {
  const ab = f32x4.add(i32x4.shuffle(a, b, 0, 1, 4, 5), i32x4.shuffle(a, b, 2, 3, 6, 7));
  const cd = f32x4.add(i32x4.shuffle(c, d, 0, 1, 4, 5), i32x4.shuffle(c, d, 2, 3, 6, 7));
  return f32x4.add(i32x4.shuffle(ab, cd, 0, 2, 4, 6), i32x4.shuffle(ab, cd, 1, 3, 5, 7));
}

/** Broadcast lane k of v to all lanes (k must be a constant). */
// @ts-ignore: decorator
@inline export function lane(v: v128, k: i32): v128 {
  if (k == 0) return i32x4.shuffle(v, v, 0, 0, 0, 0);
  if (k == 1) return i32x4.shuffle(v, v, 1, 1, 1, 1);
  if (k == 2) return i32x4.shuffle(v, v, 2, 2, 2, 2);
  return i32x4.shuffle(v, v, 3, 3, 3, 3);
}

// ---------------------------------------------------------------------------------------------
// fp16 / bf16 lane conversions (i32 lanes hold the 16-bit codes in their low half)

/**
 * f32 -> binary16 code, RNE, overflow -> ±Inf, NaN -> 0x7E00 | sign (XNNPACK / FP16-library method:
 * scaling by 2^112·2^-110 sends |x| >= 65520 to Inf, then adding 2^(max(e, -14) + 13)-ish bias makes
 * the FPU round at the fp16 ulp; exponent and mantissa are read back from the sum's bits).
 */
// @ts-ignore: decorator
@inline export function f16EncodeV(
  x: v128, cAbs: v128, cToInf: v128, cToZero: v128, cExp: v128, cMinBias: v128, cBiasAdd: v128,
  c7C00: v128, cFFF: v128, c7E00: v128, c8000: v128,
): v128 {
  const a = v128.and(x, cAbs);
  const base0 = f32x4.mul(f32x4.mul(a, cToInf), cToZero);
  const bias = i32x4.add(i32x4.max_s(v128.and(a, cExp), cMinBias), cBiasAdd);
  const base = f32x4.add(bias, base0);
  const nonsign = i32x4.add(v128.and(i32x4.shr_u(base, 13), c7C00), v128.and(base, cFFF));
  const nan = i32x4.gt_s(a, cExp);
  const r = v128.bitselect(c7E00, nonsign, nan);
  return v128.or(r, v128.and(i32x4.shr_u(x, 16), c8000));
}

/**
 * binary16 code (low 16 bits of each i32 lane, upper bits zero) -> f32, exact (NaN payloads kept).
 * em = (h & 0x7FFF) << 13 read as an f32 has the value 2^-112 times the fp16 value (normal and
 * subnormal alike), so one multiply by 2^112 rebiases exactly; exponent 31 gets its f32 Inf/NaN
 * exponent by OR-ing 0x7F800000 (the product's exponent 143 = 0b10001111 is covered by the OR).
 */
// @ts-ignore: decorator
@inline export function f16DecodeV(h: v128, cEm: v128, c2p112: v128, cInf: v128, cExp: v128, c8000: v128): v128 {
  const em = v128.and(i32x4.shl(h, 13), cEm);
  const v = f32x4.mul(em, c2p112);
  const inf = v128.and(i32x4.gt_s(em, cInf), cExp);
  return v128.or(v128.or(v, inf), i32x4.shl(v128.and(h, c8000), 16));
}

// ---------------------------------------------------------------------------------------------
// Integer-code decoding (int8/int4, q8_0/q4_0): value = f32(c · scale), stored or added (never fused).

/** Scale the i32 lanes c by the scale lanes s and store (acc: add to) 4 floats at p. */
// @ts-ignore: decorator
@inline export function put4(p: usize, c: v128, s: v128, acc: bool): void {
  let v = f32x4.mul(f32x4.convert_i32x4_s(c), s);
  if (acc) v = f32x4.add(v128.load(p), v);
  v128.store(p, v);
}

/** Eight codes as i16 lanes -> 8 floats at p. */
// @ts-ignore: decorator
@inline export function put8(p: usize, c16: v128, s: v128, acc: bool): void {
  put4(p, i32x4.extend_low_i16x8_s(c16), s, acc);
  put4(p + 16, i32x4.extend_high_i16x8_s(c16), s, acc);
}
