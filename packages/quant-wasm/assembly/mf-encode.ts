// SIMD minifloat block encoder: 4 blocks per step, one scale computation for the 4 blocks, one
// saturating RNE element encoder for every OCP minifloat in which the FPU addition does the rounding.
//
// Element encoder (4 lanes, v = |x|·mul clamped to max finite with pmin):
//   e = max(exponent bits of v, exponent bits of 2^(1-b))     element binade (subnormals: 2^(1-b))
//   C = e + (23-M)<<23                                         magic 2^(e'+23-M): its ulp is the
//   s = bits(v + C)                                            element spacing, so the add rounds (RNE)
//   code = (s - C) + (e - emin) >> (23-M)                      ulps + binade offset = magnitude code
// A round-up into the next binade carries through (s - C) = 2^M. The sign bit comes from x.
//
// Constants are v128s in static data, loaded once before the loops (no v128.const in loops, no
// writable scratch: several instances share the memory and run at the same time).
import { SCALE_FP16 } from "./formats";
import { EK_E2M1, EK_E2M2, EK_E3M1, EK_E2M3, EK_E3M2, EK_E4M3, EK_E5M2, EK_INT8, encodeBlockScalar } from "./mf-scalar";

/** Common constants, 16 bytes each (see the C_* offsets). */
export const KC: usize = memory.data<u32>([
  0x7fffffff, 0x7fffffff, 0x7fffffff, 0x7fffffff, // 0 ABS
  0x7f800000, 0x7f800000, 0x7f800000, 0x7f800000, // 16 EXPM
  0x477fe000, 0x477fe000, 0x477fe000, 0x477fe000, // 32 H_MAX 65504
  0x38800000, 0x38800000, 0x38800000, 0x38800000, // 48 H_EMIN 2^-14
  0x06800000, 0x06800000, 0x06800000, 0x06800000, // 64 H_SH 13<<23
  0x477ff000, 0x477ff000, 0x477ff000, 0x477ff000, // 80 H_CLIP 65520
  0x3f800000, 0x3f800000, 0x3f800000, 0x3f800000, // 96 ONE
  0x00400000, 0x00400000, 0x00400000, 0x00400000, // 112 MINMUL 2^-127
  254, 254, 254, 254,                             // 128 I254
  0x4b400000, 0x4b400000, 0x4b400000, 0x4b400000, // 144 MAGIC 12582912
  0x42800000, 0x42800000, 0x42800000, 0x42800000, // 160 F64
  0x0f0f0f0f, 0x0f0f0f0f, 0x0f0f0f0f, 0x0f0f0f0f, // 176 X0F
  0xf0f0f0f0, 0xf0f0f0f0, 0xf0f0f0f0, 0xf0f0f0f0, // 192 XF0
  0x03030303, 0x03030303, 0x03030303, 0x03030303, // 208 X03
  0x81818181, 0x81818181, 0x81818181, 0x81818181, // 224 M127 (i8 -127)
  0x7f7fffff, 0x7f7fffff, 0x7f7fffff, 0x7f7fffff, // 240 FMAX (largest finite f32 bits)
  0x007fffff, 0x007fffff, 0x007fffff, 0x007fffff, // 256 LOW (mantissa field)
  0x80808080, 0x80808080, 0x80808080, 0x80808080, // 272 X80
]);
// @ts-ignore: decorator
@inline export const C_ABS: usize = 0;
// @ts-ignore: decorator
@inline export const C_EXPM: usize = 16;
// @ts-ignore: decorator
@inline export const C_H_MAX: usize = 32;
// @ts-ignore: decorator
@inline export const C_H_EMIN: usize = 48;
// @ts-ignore: decorator
@inline export const C_H_SH: usize = 64;
// @ts-ignore: decorator
@inline export const C_H_CLIP: usize = 80;
// @ts-ignore: decorator
@inline export const C_ONE: usize = 96;
// @ts-ignore: decorator
@inline export const C_MINMUL: usize = 112;
// @ts-ignore: decorator
@inline export const C_I254: usize = 128;
// @ts-ignore: decorator
@inline export const C_MAGIC: usize = 144;
// @ts-ignore: decorator
@inline export const C_F64: usize = 160;
// @ts-ignore: decorator
@inline export const C_X0F: usize = 176;
// @ts-ignore: decorator
@inline export const C_XF0: usize = 192;
// @ts-ignore: decorator
@inline export const C_X03: usize = 208;
// @ts-ignore: decorator
@inline export const C_M127: usize = 224;
// @ts-ignore: decorator
@inline export const C_FMAX: usize = 240;
// @ts-ignore: decorator
@inline export const C_LOW: usize = 256;
// @ts-ignore: decorator
@inline export const C_X80: usize = 272;

/** Per element kind (16 B each): MAXV, EMIN (exponent bits of 2^(1-b)), SH23 ((23-M)<<23), EMAX, K2 (SH23 - (EMIN >> (23-M))). */
const KT_E2M1: usize = memory.data<u32>([
  0x40c00000, 0x40c00000, 0x40c00000, 0x40c00000, 127 << 23, 127 << 23, 127 << 23, 127 << 23,
  22 << 23, 22 << 23, 22 << 23, 22 << 23, 2, 2, 2, 2,
  0x0affff02, 0x0affff02, 0x0affff02, 0x0affff02, // K2
]);
const KT_E2M2: usize = memory.data<u32>([
  0x40e00000, 0x40e00000, 0x40e00000, 0x40e00000, 127 << 23, 127 << 23, 127 << 23, 127 << 23,
  21 << 23, 21 << 23, 21 << 23, 21 << 23, 2, 2, 2, 2,
  0x0a7ffe04, 0x0a7ffe04, 0x0a7ffe04, 0x0a7ffe04, // K2
]);
const KT_E3M1: usize = memory.data<u32>([
  0x41c00000, 0x41c00000, 0x41c00000, 0x41c00000, 125 << 23, 125 << 23, 125 << 23, 125 << 23,
  22 << 23, 22 << 23, 22 << 23, 22 << 23, 4, 4, 4, 4,
  0x0affff06, 0x0affff06, 0x0affff06, 0x0affff06, // K2
]);
const KT_E2M3: usize = memory.data<u32>([
  0x40f00000, 0x40f00000, 0x40f00000, 0x40f00000, 127 << 23, 127 << 23, 127 << 23, 127 << 23,
  20 << 23, 20 << 23, 20 << 23, 20 << 23, 2, 2, 2, 2,
  0x09fffc08, 0x09fffc08, 0x09fffc08, 0x09fffc08, // K2
]);
const KT_E3M2: usize = memory.data<u32>([
  0x41e00000, 0x41e00000, 0x41e00000, 0x41e00000, 125 << 23, 125 << 23, 125 << 23, 125 << 23,
  21 << 23, 21 << 23, 21 << 23, 21 << 23, 4, 4, 4, 4,
  0x0a7ffe0c, 0x0a7ffe0c, 0x0a7ffe0c, 0x0a7ffe0c, // K2
]);
const KT_E4M3: usize = memory.data<u32>([
  0x43e00000, 0x43e00000, 0x43e00000, 0x43e00000, 121 << 23, 121 << 23, 121 << 23, 121 << 23,
  20 << 23, 20 << 23, 20 << 23, 20 << 23, 8, 8, 8, 8,
  0x09fffc38, 0x09fffc38, 0x09fffc38, 0x09fffc38, // K2
]);
const KT_E5M2: usize = memory.data<u32>([
  0x47600000, 0x47600000, 0x47600000, 0x47600000, 113 << 23, 113 << 23, 113 << 23, 113 << 23,
  21 << 23, 21 << 23, 21 << 23, 21 << 23, 15, 15, 15, 15,
  0x0a7ffe3c, 0x0a7ffe3c, 0x0a7ffe3c, 0x0a7ffe3c, // K2
]);
const KT_INT8: usize = memory.data<u32>([
  0x42fe0000, 0x42fe0000, 0x42fe0000, 0x42fe0000, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0,
  0x00000000, 0x00000000, 0x00000000, 0x00000000, // K2
]);

/** Static constant table of an element kind (MAXV at 0, EMIN at 16, SH23 at 32, EMAX at 48, K2 at 64). */
export function kindConsts(ek: i32): usize {
  switch (ek) {
    case EK_E2M1: return KT_E2M1;
    case EK_E2M2: return KT_E2M2;
    case EK_E3M1: return KT_E3M1;
    case EK_E2M3: return KT_E2M3;
    case EK_E3M2: return KT_E3M2;
    case EK_E4M3: return KT_E4M3;
    case EK_E5M2: return KT_E5M2;
    default: return KT_INT8;
  }
}

/**
 * Saturating RNE magnitude codes of 4 lanes |x|·mul (see the header). The magic constant also
 * carries the binade offset in its low mantissa bits: C = 2^(e'+23-M) + ((e' - emin) << M)·ulp is
 * still on the element grid (the offset is even, M >= 1, so ties still go to the even code), and
 * the code is just the low 23 bits of bits(a + C). K2 = SH23 - (EMIN >> (23 - M)).
 */
// @ts-ignore: decorator
@inline export function enc4(
  x: v128, mul: v128, ABS: v128, EXPM: v128, MAXV: v128, EMIN: v128, K2: v128, LOW: v128, M: i32,
): v128 {
  const a = f32x4.pmin(f32x4.mul(v128.and(x, ABS), mul), MAXV);
  const e = i32x4.max_s(v128.and(a, EXPM), EMIN);
  const C = i32x4.add(i32x4.add(e, i32x4.shr_u(e, 23 - M)), K2);
  return v128.and(f32x4.add(a, C), LOW);
}

/**
 * 16 consecutive elements at p -> 16 code bytes. The sign bits come from narrowing the raw f32
 * bits with signed saturation (negative -> 0x80, non-negative -> 0..0x7F) and masking bit 7.
 */
// @ts-ignore: decorator
@inline export function enc16(
  p: usize, mul: v128, ABS: v128, EXPM: v128, MAXV: v128, EMIN: v128, K2: v128, LOW: v128, M: i32, NB: i32,
): v128 {
  const c0 = enc4(v128.load(p), mul, ABS, EXPM, MAXV, EMIN, K2, LOW, M);
  const c1 = enc4(v128.load(p, 16), mul, ABS, EXPM, MAXV, EMIN, K2, LOW, M);
  const c2 = enc4(v128.load(p, 32), mul, ABS, EXPM, MAXV, EMIN, K2, LOW, M);
  const c3 = enc4(v128.load(p, 48), mul, ABS, EXPM, MAXV, EMIN, K2, LOW, M);
  const mag = i8x16.narrow_i16x8_u(i16x8.narrow_i32x4_u(c0, c1), i16x8.narrow_i32x4_u(c2, c3));
  const sg = i8x16.narrow_i16x8_s(
    i16x8.narrow_i32x4_s(v128.load(p), v128.load(p, 16)),
    i16x8.narrow_i32x4_s(v128.load(p, 32), v128.load(p, 48)),
  );
  // bit 7 of each byte -> bit NB-1 (16-bit shifts: the other bits of sg are masked off first)
  const sb = v128.and(sg, i8x16.splat(<i8>0x80));
  return v128.or(mag, NB == 8 ? sb : i16x8.shr_u(sb, 8 - NB));
}

/** mxint8: 16 elements -> 16 int8 codes clamp(RNE_int(f32(f32(x·mul)·64)), -127, 127). */
// @ts-ignore: decorator
@inline function encI8x16(p: usize, mul: v128, F64: v128, MAGIC: v128, M127: v128): v128 {
  const c0 = i32x4.sub(f32x4.add(f32x4.mul(f32x4.mul(v128.load(p), mul), F64), MAGIC), MAGIC);
  const c1 = i32x4.sub(f32x4.add(f32x4.mul(f32x4.mul(v128.load(p, 16), mul), F64), MAGIC), MAGIC);
  const c2 = i32x4.sub(f32x4.add(f32x4.mul(f32x4.mul(v128.load(p, 32), mul), F64), MAGIC), MAGIC);
  const c3 = i32x4.sub(f32x4.add(f32x4.mul(f32x4.mul(v128.load(p, 48), mul), F64), MAGIC), MAGIC);
  return i8x16.max_s(i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(c0, c1), i16x8.narrow_i32x4_s(c2, c3)), M127);
}

/** Horizontal max of each of m0..m3 (u32 lanes) -> lane j = max(mj). */
// @ts-ignore: decorator
@inline export function hmax4(m0: v128, m1: v128, m2: v128, m3: v128): v128 {
  const t0 = i32x4.max_u(i32x4.shuffle(m0, m1, 0, 1, 4, 5), i32x4.shuffle(m0, m1, 2, 3, 6, 7));
  const t1 = i32x4.max_u(i32x4.shuffle(m2, m3, 0, 1, 4, 5), i32x4.shuffle(m2, m3, 2, 3, 6, 7));
  return i32x4.max_u(i32x4.shuffle(t0, t1, 0, 2, 4, 6), i32x4.shuffle(t0, t1, 1, 3, 5, 7));
}

/**
 * Encode one block's element field (B elements at p, multiplier lanes mul) into el.
 * Layouts of FORMATS.md section 2: 8-bit bytes; 4-bit split-half nibbles; 5-bit nibbles + bit plane;
 * 6-bit (B = 32) nibbles + 2-bit plane.
 */
// @ts-ignore: decorator
@inline export function encField(
  p: usize, el: usize, mul: v128, B: i32, M: i32, NB: i32, INT8: bool,
  ABS: v128, EXPM: v128, MAXV: v128, EMIN: v128, K2: v128, LOW: v128, K: usize,
): void {
  if (INT8) {
    const F64 = v128.load(K, C_F64), MAGIC = v128.load(K, C_MAGIC), M127 = v128.load(K, C_M127);
    v128.store(el, encI8x16(p, mul, F64, MAGIC, M127));
    v128.store(el, encI8x16(p + 64, mul, F64, MAGIC, M127), 16);
  } else if (NB == 8) {
    v128.store(el, enc16(p, mul, ABS, EXPM, MAXV, EMIN, K2, LOW, M, NB));
    v128.store(el, enc16(p + 64, mul, ABS, EXPM, MAXV, EMIN, K2, LOW, M, NB), 16);
  } else if (NB == 6) {
    const lo = enc16(p, mul, ABS, EXPM, MAXV, EMIN, K2, LOW, M, NB);
    const hi = enc16(p + 64, mul, ABS, EXPM, MAXV, EMIN, K2, LOW, M, NB);
    const X0F = v128.load(K, C_X0F), XF0 = v128.load(K, C_XF0), X03 = v128.load(K, C_X03);
    v128.store(el, v128.or(v128.and(lo, X0F), v128.and(i16x8.shl(hi, 4), XF0)));
    const t = v128.or(v128.and(i16x8.shr_u(lo, 4), X03), i16x8.shl(v128.and(i16x8.shr_u(hi, 4), X03), 4));
    const u = v128.or(t, i16x8.shl(i8x16.shuffle(t, t, 8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15), 2));
    v128.store_lane<i64>(el + 16, u, 0);
  } else if (B == 8) {
    const c0 = enc4(v128.load(p), mul, ABS, EXPM, MAXV, EMIN, K2, LOW, M);
    const c1 = enc4(v128.load(p, 16), mul, ABS, EXPM, MAXV, EMIN, K2, LOW, M);
    const w = i16x8.narrow_i32x4_u(c0, c1);
    const sw = i16x8.narrow_i32x4_s(v128.load(p), v128.load(p, 16));
    const sb = v128.and(i8x16.narrow_i16x8_s(sw, sw), i8x16.splat(<i8>0x80));
    const b = v128.or(i8x16.narrow_i16x8_u(w, w), i16x8.shr_u(sb, 8 - NB));
    const h = i8x16.shuffle(b, b, 4, 5, 6, 7, 4, 5, 6, 7, 4, 5, 6, 7, 4, 5, 6, 7);
    if (NB == 4) {
      v128.store_lane<i32>(el, v128.or(b, i16x8.shl(h, 4)), 0);
    } else {
      const X0F = v128.load(K, C_X0F), XF0 = v128.load(K, C_XF0);
      v128.store_lane<i32>(el, v128.or(v128.and(b, X0F), v128.and(i16x8.shl(h, 4), XF0)), 0);
      store<u8>(el, <u8>i8x16.bitmask(i16x8.shl(b, 3)), 4);
    }
  } else if (B == 16) {
    const b = enc16(p, mul, ABS, EXPM, MAXV, EMIN, K2, LOW, M, NB);
    const h = i8x16.shuffle(b, b, 8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15);
    if (NB == 4) {
      v128.store_lane<i64>(el, v128.or(b, i16x8.shl(h, 4)), 0);
    } else {
      const X0F = v128.load(K, C_X0F), XF0 = v128.load(K, C_XF0);
      v128.store_lane<i64>(el, v128.or(v128.and(b, X0F), v128.and(i16x8.shl(h, 4), XF0)), 0);
      store<u16>(el, <u16>i8x16.bitmask(i16x8.shl(b, 3)), 8);
    }
  } else {
    const Q = B >> 5;
    const half = <usize>(B >> 1);
    for (let q = 0; q < Q; q++) {
      const lo = enc16(p + (<usize>q << 6), mul, ABS, EXPM, MAXV, EMIN, K2, LOW, M, NB);
      const hi = enc16(p + (<usize>(q + Q) << 6), mul, ABS, EXPM, MAXV, EMIN, K2, LOW, M, NB);
      if (NB == 4) {
        v128.store(el + (<usize>q << 4), v128.or(lo, i16x8.shl(hi, 4)));
      } else {
        const X0F = v128.load(K, C_X0F), XF0 = v128.load(K, C_XF0);
        v128.store(el + (<usize>q << 4), v128.or(v128.and(lo, X0F), v128.and(i16x8.shl(hi, 4), XF0)));
        store<u16>(el + half + (<usize>q << 1), <u16>i8x16.bitmask(i16x8.shl(lo, 3)));
        store<u16>(el + half + (<usize>(q + Q) << 1), <u16>i8x16.bitmask(i16x8.shl(hi, 3)));
      }
    }
  }
}

/** Encode the element fields of 4 consecutive blocks with per-block multipliers mul (element space). */
// @ts-ignore: decorator
@inline function encBlocks4(
  gs: usize, el: usize, bytesB: usize, bb: usize, mul: v128, B: i32, M: i32, NB: i32, INT8: bool,
  ABS: v128, EXPM: v128, MAXV: v128, EMIN: v128, K2: v128, LOW: v128, K: usize,
): void {
  encField(gs, el, i32x4.shuffle(mul, mul, 0, 0, 0, 0), B, M, NB, INT8, ABS, EXPM, MAXV, EMIN, K2, LOW, K);
  encField(gs + bytesB, el + bb, i32x4.shuffle(mul, mul, 1, 1, 1, 1), B, M, NB, INT8, ABS, EXPM, MAXV, EMIN, K2, LOW, K);
  encField(gs + 2 * bytesB, el + 2 * bb, i32x4.shuffle(mul, mul, 2, 2, 2, 2), B, M, NB, INT8, ABS, EXPM, MAXV, EMIN, K2, LOW, K);
  encField(gs + 3 * bytesB, el + 3 * bb, i32x4.shuffle(mul, mul, 3, 3, 3, 3), B, M, NB, INT8, ABS, EXPM, MAXV, EMIN, K2, LOW, K);
}

/**
 * Quantize ng groups of 4 full blocks (E8M0 or FP16 scale) with RNE. Returns the clipped-block count.
 * Groups holding a non-finite value go through the scalar block encoder.
 */
// @ts-ignore: decorator
@inline export function quantGroups(
  ek: i32, src: usize, ng: u32, dst: usize, B: i32, M: i32, NB: i32, FP16: bool, INT8: bool,
): i32 {
  const K = KC, T = kindConsts(ek);
  const ABS = v128.load(K, C_ABS), EXPM = v128.load(K, C_EXPM);
  const MAXV = v128.load(T), EMIN = v128.load(T, 16), K2 = v128.load(T, 64), LOW = v128.load(K, C_LOW);
  const S: usize = FP16 ? 2 : 1;
  const bb = S + <usize>((B * NB) >> 3);
  const bytesB = <usize>B << 2;
  const vpb = B >> 2;
  let clipped = 0;
  for (let g: u32 = 0; g < ng; g++) {
    const gs = src + <usize>g * (bytesB << 2);
    const gd = dst + <usize>g * (bb << 2);
    let m0 = i32x4.splat(0), m1 = m0, m2 = m0, m3 = m0;
    for (let v = 0; v < vpb; v++) {
      const o = gs + (<usize>v << 4);
      m0 = i32x4.max_u(m0, v128.and(v128.load(o), ABS));
      m1 = i32x4.max_u(m1, v128.and(v128.load(o + bytesB), ABS));
      m2 = i32x4.max_u(m2, v128.and(v128.load(o + 2 * bytesB), ABS));
      m3 = i32x4.max_u(m3, v128.and(v128.load(o + 3 * bytesB), ABS));
    }
    const r = hmax4(m0, m1, m2, m3);
    if (v128.any_true(i32x4.gt_s(r, v128.load(K, C_FMAX)))) {
      for (let j = 0; j < 4; j++) {
        clipped += encodeBlockScalar(ek, B, FP16 ? SCALE_FP16 : 4, false, 0, 0,
          gs + <usize>j * bytesB, B, gd + <usize>j * bb, 0, 0);
      }
      continue;
    }
    if (FP16) {
      const d = f32x4.div(r, MAXV);
      const HE = v128.load(K, C_H_EMIN);
      const cd = f32x4.pmin(d, v128.load(K, C_H_MAX));
      const e = i32x4.max_s(v128.and(cd, EXPM), HE);
      const C = i32x4.add(e, v128.load(K, C_H_SH));
      const s = f32x4.add(cd, C);
      const val = f32x4.sub(s, C);
      const code = i32x4.add(i32x4.sub(s, C), i32x4.shr_u(i32x4.sub(e, HE), 13));
      clipped += popcnt(i32x4.bitmask(f32x4.ge(d, v128.load(K, C_H_CLIP))));
      const mul = v128.and(f32x4.div(v128.load(K, C_ONE), val), f32x4.ne(val, i32x4.splat(0)));
      store<u16>(gd, <u16>i32x4.extract_lane(code, 0));
      store<u16>(gd + bb, <u16>i32x4.extract_lane(code, 1));
      store<u16>(gd + 2 * bb, <u16>i32x4.extract_lane(code, 2));
      store<u16>(gd + 3 * bb, <u16>i32x4.extract_lane(code, 3));
      encBlocks4(gs, gd + S, bytesB, bb, mul, B, M, NB, INT8, ABS, EXPM, MAXV, EMIN, K2, LOW, K);
      continue;
    }
    const X = i32x4.max_s(i32x4.sub(i32x4.shr_u(r, 23), v128.load(T, 48)), i32x4.splat(0));
    store<u8>(gd, <u8>i32x4.extract_lane(X, 0));
    store<u8>(gd + bb, <u8>i32x4.extract_lane(X, 1));
    store<u8>(gd + 2 * bb, <u8>i32x4.extract_lane(X, 2));
    store<u8>(gd + 3 * bb, <u8>i32x4.extract_lane(X, 3));
    const mul = i32x4.max_s(i32x4.shl(i32x4.sub(v128.load(K, C_I254), X), 23), v128.load(K, C_MINMUL));
    encBlocks4(gs, gd + S, bytesB, bb, mul, B, M, NB, INT8, ABS, EXPM, MAXV, EMIN, K2, LOW, K);
  }
  return clipped;
}

// One instantiation per element kind and scale kind (B stays a run-time value).
export function qE2M1(src: usize, ng: u32, dst: usize, B: i32, fp16: bool): i32 {
  return fp16 ? quantGroups(EK_E2M1, src, ng, dst, B, 1, 4, true, false) : quantGroups(EK_E2M1, src, ng, dst, B, 1, 4, false, false);
}
export function qE2M2(src: usize, ng: u32, dst: usize, B: i32, fp16: bool): i32 {
  return fp16 ? quantGroups(EK_E2M2, src, ng, dst, B, 2, 5, true, false) : quantGroups(EK_E2M2, src, ng, dst, B, 2, 5, false, false);
}
export function qE3M1(src: usize, ng: u32, dst: usize, B: i32, fp16: bool): i32 {
  return fp16 ? quantGroups(EK_E3M1, src, ng, dst, B, 1, 5, true, false) : quantGroups(EK_E3M1, src, ng, dst, B, 1, 5, false, false);
}
export function qE2M3(src: usize, ng: u32, dst: usize): i32 {
  return quantGroups(EK_E2M3, src, ng, dst, 32, 3, 6, false, false);
}
export function qE3M2(src: usize, ng: u32, dst: usize): i32 {
  return quantGroups(EK_E3M2, src, ng, dst, 32, 2, 6, false, false);
}
export function qE4M3(src: usize, ng: u32, dst: usize): i32 {
  return quantGroups(EK_E4M3, src, ng, dst, 32, 3, 8, false, false);
}
export function qE5M2(src: usize, ng: u32, dst: usize): i32 {
  return quantGroups(EK_E5M2, src, ng, dst, 32, 2, 8, false, false);
}
export function qINT8(src: usize, ng: u32, dst: usize): i32 {
  return quantGroups(EK_INT8, src, ng, dst, 32, 0, 8, false, true);
}
