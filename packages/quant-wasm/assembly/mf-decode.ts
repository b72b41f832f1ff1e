import { EK_E4M3, EK_E5M2, decodeBlockScalar, e8m0Value } from "./mf-scalar";

// SIMD minifloat block decoder: value_i = f32(element_value(c_i) · scale), dst = value or
// dst = f32(dst + value) (a separate add, never fused). 4/5/6-bit element values come from
// i8x16.swizzle lookups of the top two bytes of their f32 bits (every element value of these
// formats is exact in 16 bits: sign, 8 exponent bits, at most 3 mantissa bits); 8-bit minifloats
// are rebuilt with shifts and one exact multiply; mxint8 with an int -> f32 conversion.

/** Decode-side tables, 16 bytes each. */
export const KD: usize = memory.data<u8>([
  // 0: E2M1 (signed 4-bit code) byte 3 / 16: byte 2
  0x00, 0x3f, 0x3f, 0x3f, 0x40, 0x40, 0x40, 0x40, 0x80, 0xbf, 0xbf, 0xbf, 0xc0, 0xc0, 0xc0, 0xc0,
  0x00, 0x00, 0x80, 0xc0, 0x00, 0x40, 0x80, 0xc0, 0x00, 0x00, 0x80, 0xc0, 0x00, 0x40, 0x80, 0xc0,
  // 32: E2M2 magnitude byte 3 / 48: byte 2
  0x00, 0x3e, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40,
  0x00, 0x80, 0x00, 0x40, 0x80, 0xa0, 0xc0, 0xe0, 0x00, 0x20, 0x40, 0x60, 0x80, 0xa0, 0xc0, 0xe0,
  // 64: E3M1 magnitude byte 3 / 80: byte 2
  0x00, 0x3e, 0x3e, 0x3e, 0x3f, 0x3f, 0x3f, 0x3f, 0x40, 0x40, 0x40, 0x40, 0x41, 0x41, 0x41, 0x41,
  0x00, 0x00, 0x80, 0xc0, 0x00, 0x40, 0x80, 0xc0, 0x00, 0x40, 0x80, 0xc0, 0x00, 0x40, 0x80, 0xc0,
  // 96: E2M3 magnitude codes 0..15 byte 3 / 112: codes 16..31 byte 3 / 128: 0..15 byte 2 / 144: 16..31 byte 2
  0x00, 0x3e, 0x3e, 0x3e, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f,
  0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40,
  0x00, 0x00, 0x80, 0xc0, 0x00, 0x20, 0x40, 0x60, 0x80, 0x90, 0xa0, 0xb0, 0xc0, 0xd0, 0xe0, 0xf0,
  0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80, 0x90, 0xa0, 0xb0, 0xc0, 0xd0, 0xe0, 0xf0,
  // 160: E3M2 magnitude codes 0..15 byte 3 / 176: 16..31 byte 3 / 192: 0..15 byte 2 / 208: 16..31 byte 2
  0x00, 0x3d, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f,
  0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
  0x00, 0x80, 0x00, 0x40, 0x80, 0xa0, 0xc0, 0xe0, 0x00, 0x20, 0x40, 0x60, 0x80, 0xa0, 0xc0, 0xe0,
  0x00, 0x20, 0x40, 0x60, 0x80, 0xa0, 0xc0, 0xe0, 0x00, 0x20, 0x40, 0x60, 0x80, 0xa0, 0xc0, 0xe0,
  // 224: X0F / 240: X80
  0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f,
  0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
  // 256: bit of each byte (1,2,4,..,128 twice)
  0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80,
  // 272: 6-bit plane masks: bit4 of elements 0..15 / 288: sign of 0..15 / 304: bit4 of 16..31 / 320: sign of 16..31
  0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04,
  0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x08, 0x08, 0x08, 0x08, 0x08, 0x08, 0x08, 0x08,
  0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40,
  0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
  // 336: 0x80000000 x4 / 352: E4M3 NaN pattern 0x7F<<20 x4 / 368: 0x7fc00000 x4 / 384: E5M2 Inf threshold (0x7C<<21)-1 x4
  0x00, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00, 0x80,
  0x00, 0x00, 0xf0, 0x07, 0x00, 0x00, 0xf0, 0x07, 0x00, 0x00, 0xf0, 0x07, 0x00, 0x00, 0xf0, 0x07,
  0x00, 0x00, 0xc0, 0x7f, 0x00, 0x00, 0xc0, 0x7f, 0x00, 0x00, 0xc0, 0x7f, 0x00, 0x00, 0xc0, 0x7f,
  0xff, 0xff, 0x7f, 0x0f, 0xff, 0xff, 0x7f, 0x0f, 0xff, 0xff, 0x7f, 0x0f, 0xff, 0xff, 0x7f, 0x0f,
  // 400: 0x7f800000 x4 / 416: 2^(127-7) x4 / 432: 2^(127-15) x4
  0x00, 0x00, 0x80, 0x7f, 0x00, 0x00, 0x80, 0x7f, 0x00, 0x00, 0x80, 0x7f, 0x00, 0x00, 0x80, 0x7f,
  0x00, 0x00, 0x80, 0x7b, 0x00, 0x00, 0x80, 0x7b, 0x00, 0x00, 0x80, 0x7b, 0x00, 0x00, 0x80, 0x7b,
  0x00, 0x00, 0x80, 0x77, 0x00, 0x00, 0x80, 0x77, 0x00, 0x00, 0x80, 0x77, 0x00, 0x00, 0x80, 0x77,
]);
// @ts-ignore: decorator
@inline const D_X0F: usize = 224;
// @ts-ignore: decorator
@inline const D_X80: usize = 240;
// @ts-ignore: decorator
@inline const D_BITS: usize = 256;
// @ts-ignore: decorator
@inline const D_SIGN: usize = 336;
// @ts-ignore: decorator
@inline const D_NAN43: usize = 352;
// @ts-ignore: decorator
@inline const D_QNAN: usize = 368;
// @ts-ignore: decorator
@inline const D_INF52: usize = 384;
// @ts-ignore: decorator
@inline const D_EXPM: usize = 400;
// @ts-ignore: decorator
@inline const D_POW43: usize = 416;
// @ts-ignore: decorator
@inline const D_POW52: usize = 432;

/** Store 4 final values (acc: dst + v). */
// @ts-ignore: decorator
@inline function putv(q: usize, y: v128, ACC: bool): void {
  v128.store(q, ACC ? f32x4.add(v128.load(q), y) : y);
}
/** Store 4 decoded lanes v·sv (acc: dst + v·sv). */
// @ts-ignore: decorator
@inline function put4(q: usize, v: v128, sv: v128, ACC: bool): void {
  const y = f32x4.mul(v, sv);
  v128.store(q, ACC ? f32x4.add(v128.load(q), y) : y);
}

/** 16 elements from their f32 top bytes b3 (sign/exponent) and b2 -> dst (16 f32). */
// @ts-ignore: decorator
@inline function put16(q: usize, b3: v128, b2: v128, sv: v128, ACC: bool): void {
  const z = i32x4.splat(0);
  const w0 = i8x16.shuffle(b2, b3, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
  const w1 = i8x16.shuffle(b2, b3, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
  put4(q, i16x8.shuffle(z, w0, 0, 8, 1, 9, 2, 10, 3, 11), sv, ACC);
  put4(q + 16, i16x8.shuffle(z, w0, 4, 12, 5, 13, 6, 14, 7, 15), sv, ACC);
  put4(q + 32, i16x8.shuffle(z, w1, 0, 8, 1, 9, 2, 10, 3, 11), sv, ACC);
  put4(q + 48, i16x8.shuffle(z, w1, 4, 12, 5, 13, 6, 14, 7, 15), sv, ACC);
}
/** First 8 elements only (B = 8). */
// @ts-ignore: decorator
@inline function put8(q: usize, b3: v128, b2: v128, sv: v128, ACC: bool): void {
  const z = i32x4.splat(0);
  const w0 = i8x16.shuffle(b2, b3, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
  put4(q, i16x8.shuffle(z, w0, 0, 8, 1, 9, 2, 10, 3, 11), sv, ACC);
  put4(q + 16, i16x8.shuffle(z, w0, 4, 12, 5, 13, 6, 14, 7, 15), sv, ACC);
}

/** Sign bytes (0x80 / 0) of 16 elements from 16 bits of a 5-bit format's high-bit plane. */
// @ts-ignore: decorator
@inline function signs16(bits: u32, BITS: v128, X80: v128): v128 {
  const v = i16x8.splat(<i16>bits);
  const r = i8x16.shuffle(v, v, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1);
  return v128.and(i8x16.eq(v128.and(r, BITS), BITS), X80);
}

/**
 * Decode nblk full blocks of a 4-bit (E2M1) or 5-bit (E2M2/E3M1, T = table offset) format.
 * S = scale bytes (1 e8m0, 2 fp16; nvfp4 passes its d values via SCALE = 5 and a 4-byte header).
 */
// @ts-ignore: decorator
@inline export function dec45(
  src: usize, nblk: u32, dst: usize, B: i32, NB: i32, T: usize, SK: i32, ACC: bool, st: f32,
): void {
  const K = KD;
  const T3 = v128.load(K + T), T2 = v128.load(K + T, 16);
  const X0F = v128.load(K, D_X0F), X80 = v128.load(K, D_X80), BITS = v128.load(K, D_BITS);
  const S: usize = SK == 1 ? 2 : 1;
  const bb = S + <usize>((B * NB) >> 3);
  const half = <usize>(B >> 1);
  for (let k: u32 = 0; k < nblk; k++) {
    const p = src + <usize>k * bb;
    const el = p + S;
    const q = dst + ((<usize>k * <usize>B) << 2);
    const sv = f32x4.splat(scaleOf(p, SK, st));
    if (B == 8) {
      const by = v128.load32_zero(el);
      const lo = v128.and(by, X0F), hi = v128.and(i16x8.shr_u(by, 4), X0F);
      const c = i8x16.shuffle(lo, hi, 0, 1, 2, 3, 16, 17, 18, 19, 0, 1, 2, 3, 16, 17, 18, 19);
      let b3 = i8x16.swizzle(T3, c);
      if (NB == 5) b3 = v128.or(b3, signs16(<u32>load<u8>(el, 4), BITS, X80));
      put8(q, b3, i8x16.swizzle(T2, c), sv, ACC);
    } else if (B == 16) {
      const by = v128.load64_zero(el);
      const lo = v128.and(by, X0F), hi = v128.and(i16x8.shr_u(by, 4), X0F);
      const c = i8x16.shuffle(lo, hi, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23);
      let b3 = i8x16.swizzle(T3, c);
      if (NB == 5) b3 = v128.or(b3, signs16(<u32>load<u16>(el, 8), BITS, X80));
      put16(q, b3, i8x16.swizzle(T2, c), sv, ACC);
    } else {
      const Q = B >> 5;
      for (let g = 0; g < Q; g++) {
        const by = v128.load(el + (<usize>g << 4));
        const lo = v128.and(by, X0F), hi = v128.and(i16x8.shr_u(by, 4), X0F);
        let b3l = i8x16.swizzle(T3, lo), b3h = i8x16.swizzle(T3, hi);
        if (NB == 5) {
          b3l = v128.or(b3l, signs16(<u32>load<u16>(el + half + (<usize>g << 1)), BITS, X80));
          b3h = v128.or(b3h, signs16(<u32>load<u16>(el + half + (<usize>(g + Q) << 1)), BITS, X80));
        }
        put16(q + (<usize>g << 6), b3l, i8x16.swizzle(T2, lo), sv, ACC);
        put16(q + (<usize>(g + Q) << 6), b3h, i8x16.swizzle(T2, hi), sv, ACC);
      }
    }
  }
}

/** Scale value of the block at p: e8m0 (SK 4), fp16 (SK 1) or nvfp4 d = f32(ue4m3 · st) (SK 5). */
// @ts-ignore: decorator
@inline function scaleOf(p: usize, SK: i32, st: f32): f32 {
  if (SK == 1) return f16val(<u32>load<u16>(p));
  const x = <u32>load<u8>(p);
  if (SK == 5) return ue4m3val(x) * st;
  return reinterpret<f32>(x == 0 ? 0x00400000 : x == 0xff ? 0x7fc00000 : x << 23);
}

/** binary16 bits -> f32 (exact; no branches on the common path). */
// @ts-ignore: decorator
@inline export function f16val(h: u32): f32 {
  const sign = (h & 0x8000) << 16;
  const em = h & 0x7fff;
  let v: f32;
  if (em >= 0x7c00) v = reinterpret<f32>(0x7f800000 | ((em & 0x3ff) << 13));
  else v = reinterpret<f32>(em << 13) * reinterpret<f32>(0x77800000); // 2^112: rebias (subnormals too)
  return reinterpret<f32>(reinterpret<u32>(v) | sign);
}

/** UE4M3/E4M3 code -> f32 (0x7F/0xFF NaN). */
// @ts-ignore: decorator
@inline export function ue4m3val(c: u32): f32 {
  const m = c & 0x7f;
  const v = m == 0x7f ? reinterpret<f32>(0x7fc00000) : reinterpret<f32>(m << 20) * reinterpret<f32>(0x7b800000);
  return reinterpret<f32>(reinterpret<u32>(v) | ((c & 0x80) << 24));
}

/** Decode nblk full mxfp6 blocks (B = 32, e8m0). TL = table offset (E2M3 96, E3M2 160). */
// @ts-ignore: decorator
@inline export function dec6(src: usize, nblk: u32, dst: usize, TL: usize, ACC: bool): void {
  const K = KD;
  const T3L = v128.load(K + TL), T3H = v128.load(K + TL, 16);
  const T2L = v128.load(K + TL, 32), T2H = v128.load(K + TL, 48);
  const X0F = v128.load(K, D_X0F), X80 = v128.load(K, D_X80);
  const H0 = v128.load(K, 272), S0 = v128.load(K, 288), H1 = v128.load(K, 304), S1 = v128.load(K, 320);
  for (let k: u32 = 0; k < nblk; k++) {
    const p = src + <usize>k * 25;
    const q = dst + (<usize>k << 7);
    const sv = f32x4.splat(scaleOf(p, 4, 0));
    const by = v128.load(p, 1);
    const lo = v128.and(by, X0F), hi = v128.and(i16x8.shr_u(by, 4), X0F);
    const R = v128.load64_splat(p, 17);
    const h0 = i8x16.eq(v128.and(R, H0), H0), s0 = v128.and(i8x16.eq(v128.and(R, S0), S0), X80);
    put16(q, v128.or(v128.bitselect(i8x16.swizzle(T3H, lo), i8x16.swizzle(T3L, lo), h0), s0),
      v128.bitselect(i8x16.swizzle(T2H, lo), i8x16.swizzle(T2L, lo), h0), sv, ACC);
    const h1 = i8x16.eq(v128.and(R, H1), H1), s1 = v128.and(i8x16.eq(v128.and(R, S1), S1), X80);
    put16(q + 64, v128.or(v128.bitselect(i8x16.swizzle(T3H, hi), i8x16.swizzle(T3L, hi), h1), s1),
      v128.bitselect(i8x16.swizzle(T2H, hi), i8x16.swizzle(T2L, hi), h1), sv, ACC);
  }
}

/** 4 codes (lanes c<<24) of an 8-bit minifloat -> f32(value · 2^(X-127)) via one multiply by 2^(X-b). */
// @ts-ignore: decorator
@inline function val8(t: v128, M: i32, SIGN: v128, svb: v128): v128 {
  return v128.or(f32x4.mul(i32x4.shr_u(i32x4.shl(t, 1), 2 + M), svb), v128.and(t, SIGN));
}

/**
 * Decode nblk full mxfp8 blocks (B = 32, e8m0). bits(mag << (23-M)) is the element value times
 * 2^(b-127) exactly, so one multiply by 2^(X-b) gives f32(value · 2^(X-127)) with the single
 * rounding of FORMATS.md. Blocks holding NaN/Inf codes, the NaN scale or X - b > 127 take the
 * scalar path.
 */
// @ts-ignore: decorator
@inline export function dec8(src: usize, nblk: u32, dst: usize, E4M3: bool, ACC: bool): void {
  const K = KD;
  const SIGN = v128.load(K, D_SIGN);
  const M = E4M3 ? 3 : 2;
  const bias = E4M3 ? 7 : 15;
  const SPM = i8x16.splat(E4M3 ? 0x7f : 0x7c);
  for (let k: u32 = 0; k < nblk; k++) {
    const p = src + <usize>k * 33;
    const q = dst + (<usize>k << 7);
    const x = <i32>load<u8>(p);
    const c0 = v128.load(p, 1), c1 = v128.load(p, 17);
    const special = v128.or(i8x16.eq(v128.and(c0, SPM), SPM), i8x16.eq(v128.and(c1, SPM), SPM));
    if (x - bias > 127 || x == 0xff || v128.any_true(special)) {
      decodeBlockScalar(E4M3 ? EK_E4M3 : EK_E5M2, 32, p + 1, e8m0Value(<u32>x), 32, q, ACC);
      continue;
    }
    const svb = i32x4.splat((x - bias + 127) << 23);
    for (let h = 0; h < 2; h++) {
      const c = h == 0 ? c0 : c1;
      const o = q + (<usize>h << 6);
      const w0 = i16x8.extend_low_i8x16_u(c), w1 = i16x8.extend_high_i8x16_u(c);
      putv(o, val8(i32x4.shl(i32x4.extend_low_i16x8_u(w0), 24), M, SIGN, svb), ACC);
      putv(o + 16, val8(i32x4.shl(i32x4.extend_high_i16x8_u(w0), 24), M, SIGN, svb), ACC);
      putv(o + 32, val8(i32x4.shl(i32x4.extend_low_i16x8_u(w1), 24), M, SIGN, svb), ACC);
      putv(o + 48, val8(i32x4.shl(i32x4.extend_high_i16x8_u(w1), 24), M, SIGN, svb), ACC);
    }
  }
}

/** Decode nblk full mxint8 blocks: f32(c · 2^(X-127-6)) (c/64 · 2^(X-127) with one rounding). */
// @ts-ignore: decorator
@inline export function decI8(src: usize, nblk: u32, dst: usize, ACC: bool): void {
  for (let k: u32 = 0; k < nblk; k++) {
    const p = src + <usize>k * 33;
    const q = dst + (<usize>k << 7);
    // 2^(X-127) / 64 is exact (at least 2^-133), NaN for X = 0xFF
    const sv = f32x4.splat(scaleOf(p, 4, 0) * <f32>0.015625);
    for (let h = 0; h < 2; h++) {
      const c = v128.load(p + 1 + (<usize>h << 4));
      const o = q + (<usize>h << 6);
      const w0 = i16x8.extend_low_i8x16_s(c), w1 = i16x8.extend_high_i8x16_s(c);
      put4(o, f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(w0)), sv, ACC);
      put4(o + 16, f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(w0)), sv, ACC);
      put4(o + 32, f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(w1)), sv, ACC);
      put4(o + 48, f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(w1)), sv, ACC);
    }
  }
}

// Instantiations (acc and plain).
export function dE2M1(src: usize, nblk: u32, dst: usize, B: i32, sk: i32, acc: bool, st: f32): void {
  if (sk == 1) { if (acc) dec45(src, nblk, dst, B, 4, 0, 1, true, 0); else dec45(src, nblk, dst, B, 4, 0, 1, false, 0); }
  else if (sk == 5) { if (acc) dec45(src, nblk, dst, 16, 4, 0, 5, true, st); else dec45(src, nblk, dst, 16, 4, 0, 5, false, st); }
  else { if (acc) dec45(src, nblk, dst, B, 4, 0, 4, true, 0); else dec45(src, nblk, dst, B, 4, 0, 4, false, 0); }
}
export function dE2M2(src: usize, nblk: u32, dst: usize, B: i32, sk: i32, acc: bool): void {
  if (sk == 1) { if (acc) dec45(src, nblk, dst, B, 5, 32, 1, true, 0); else dec45(src, nblk, dst, B, 5, 32, 1, false, 0); }
  else { if (acc) dec45(src, nblk, dst, B, 5, 32, 4, true, 0); else dec45(src, nblk, dst, B, 5, 32, 4, false, 0); }
}
export function dE3M1(src: usize, nblk: u32, dst: usize, B: i32, sk: i32, acc: bool): void {
  if (sk == 1) { if (acc) dec45(src, nblk, dst, B, 5, 64, 1, true, 0); else dec45(src, nblk, dst, B, 5, 64, 1, false, 0); }
  else { if (acc) dec45(src, nblk, dst, B, 5, 64, 4, true, 0); else dec45(src, nblk, dst, B, 5, 64, 4, false, 0); }
}
export function dE2M3(src: usize, nblk: u32, dst: usize, acc: bool): void {
  if (acc) dec6(src, nblk, dst, 96, true); else dec6(src, nblk, dst, 96, false);
}
export function dE3M2(src: usize, nblk: u32, dst: usize, acc: bool): void {
  if (acc) dec6(src, nblk, dst, 160, true); else dec6(src, nblk, dst, 160, false);
}
export function dE4M3(src: usize, nblk: u32, dst: usize, acc: bool): void {
  if (acc) dec8(src, nblk, dst, true, true); else dec8(src, nblk, dst, true, false);
}
export function dE5M2(src: usize, nblk: u32, dst: usize, acc: bool): void {
  if (acc) dec8(src, nblk, dst, false, true); else dec8(src, nblk, dst, false, false);
}
export function dINT8(src: usize, nblk: u32, dst: usize, acc: bool): void {
  if (acc) decI8(src, nblk, dst, true); else decI8(src, nblk, dst, false);
}
