// ggml Q8_0 and Q4_0 (FORMATS.md section 4), byte-compatible with ggml's quantize_row_q8_0_ref /
// quantize_row_q4_0_ref: the multiplier is f32(1/d) of the unrounded f32 d, the scale is fp16_rne(d).
//
// Quantize works on groups of four blocks: one pass computes the four block maxima (reduced into
// the lanes of one vector), one vector division gives the four d and one more the four 1/d, the
// fp16 scales are converted together; a second pass (from L1) encodes the elements. A group with
// anything unusual (a non-finite element, an fp16 overflow, a subnormal d, a q4_0 +a/-a tie) is
// re-done by the scalar per-block code, which implements FORMATS.md literally. Tails too.
import { descFormat, FMT_Q8_0 } from "./formats";
import { f32ToF16 } from "./half";
import {
  K_ABS, K_SIGN, K_MAGIC, K_HALF_DOWN, K_ONE, K_EXP, K_MINBIAS, K_BIASADD,
  K_7C00, K_FFF, K_8000, K_F16EM, K_2P112, K_F16INF, K_NIB, K_B8,
  hmaxS4, hpmax4, hpmin4, hadd4, lane, f16DecodeV, put4, put8,
} from "./simd-util";

const Q8_BYTES: usize = 34;
const Q4_BYTES: usize = 18;

export function ggmlQuantize(desc: u32, src: usize, n: u32, dst: usize): i32 {
  return descFormat(desc) == FMT_Q8_0 ? q8Quantize(src, n, dst) : q4Quantize(src, n, dst);
}

export function ggmlDequantize(desc: u32, src: usize, n: u32, dst: usize, acc: bool): void {
  if (descFormat(desc) == FMT_Q8_0) {
    if (acc) q8DequantAcc(src, n, dst);
    else q8DequantSet(src, n, dst);
  } else {
    if (acc) q4DequantAcc(src, n, dst);
    else q4DequantSet(src, n, dst);
  }
}

// ---------------------------------------------------------------------------------------------
// Scalar reference paths (tails and unusual groups)

/** C roundf (half away from zero), saturated to ±q; NaN -> 0. */
// @ts-ignore: decorator
@inline function roundAwaySat(v: f32, q: f32): i32 {
  if (v != v) return 0;
  const a = abs<f32>(v);
  let r = floor<f32>(a);
  if (a - r >= <f32>0.5) r += 1; // a - floor(a) is exact
  r = min<f32>(r, q);
  return <i32>(v < 0 ? -r : r);
}

/** Largest |x| of the first cnt elements, or -1 if one of them is Inf/NaN. */
// @ts-ignore: decorator
@inline function scalarAmax(s: usize, cnt: i32): f32 {
  let amax: f32 = 0;
  for (let i = 0; i < cnt; i++) {
    const a = abs<f32>(load<f32>(s + (<usize>i << 2)));
    if (!(a <= f32.MAX_VALUE)) return -1;
    amax = max<f32>(amax, a);
  }
  return amax;
}

/** One q8_0 block from cnt (<= 32) elements, the rest +0. Returns 1 if the fp16 scale overflowed. */
function q8BlockScalar(s: usize, cnt: i32, o: usize): i32 {
  const amax = scalarAmax(s, cnt);
  if (amax < 0) {
    store<u16>(o, 0x7e00);
    memory.fill(o + 2, 0, 32);
    return 0;
  }
  const d: f32 = amax / <f32>127;
  let id: f32 = d != 0 ? <f32>1 / d : 0;
  let h = f32ToF16(d);
  let clipped = 0;
  if (h >= 0x7c00) {
    h = 0x7bff;
    id = <f32>1 / <f32>65504;
    clipped = 1;
  }
  store<u16>(o, <u16>h);
  for (let i = 0; i < 32; i++) {
    const x: f32 = i < cnt ? load<f32>(s + (<usize>i << 2)) : 0;
    store<i8>(o + 2 + <usize>i, <i8>roundAwaySat(x * id, 127));
  }
  return clipped;
}

/** q4_0 code: clamp(trunc(f32(v + 8.5)), 0, 15), NaN -> 0. */
// @ts-ignore: decorator
@inline function q4Code(v: f32): u32 {
  const t = trunc<f32>(v + <f32>8.5);
  if (t != t) return 0;
  return <u32>max<f32>(<f32>0, min<f32>(t, <f32>15));
}

function q4BlockScalar(s: usize, cnt: i32, o: usize): i32 {
  let amax: f32 = 0;
  let m: f32 = 0;
  for (let i = 0; i < cnt; i++) {
    const x = load<f32>(s + (<usize>i << 2));
    const a = abs<f32>(x);
    if (!(a <= f32.MAX_VALUE)) {
      store<u16>(o, 0x7e00);
      memory.fill(o + 2, 0, 16);
      return 0;
    }
    if (a > amax) {
      amax = a;
      m = x;
    }
  }
  let d: f32 = m / <f32>-8;
  let id: f32 = d != 0 ? <f32>1 / d : 0;
  let h = f32ToF16(d);
  let clipped = 0;
  if ((h & 0x7fff) >= 0x7c00) {
    h = (h & 0x8000) | 0x7bff;
    d = (h & 0x8000) != 0 ? <f32>-65504 : <f32>65504;
    id = <f32>1 / d;
    clipped = 1;
  }
  store<u16>(o, <u16>h);
  for (let j = 0; j < 16; j++) {
    const x0: f32 = j < cnt ? load<f32>(s + (<usize>j << 2)) : 0;
    const x1: f32 = j + 16 < cnt ? load<f32>(s + (<usize>(j + 16) << 2)) : 0;
    store<u8>(o + 2 + <usize>j, <u8>(q4Code(x0 * id) | (q4Code(x1 * id) << 4)));
  }
  return clipped;
}

// ---------------------------------------------------------------------------------------------
// SIMD quantize

/** Per-lane max of |x| bits over one block of 32 (i32 max on sign-cleared bits; NaN > Inf > finite). */
// @ts-ignore: decorator
@inline function absMax32(s: usize, cAbs: v128): v128 {
  const a = i32x4.max_s(v128.and(v128.load(s), cAbs), v128.and(v128.load(s, 16), cAbs));
  const b = i32x4.max_s(v128.and(v128.load(s, 32), cAbs), v128.and(v128.load(s, 48), cAbs));
  const c = i32x4.max_s(v128.and(v128.load(s, 64), cAbs), v128.and(v128.load(s, 80), cAbs));
  const d = i32x4.max_s(v128.and(v128.load(s, 96), cAbs), v128.and(v128.load(s, 112), cAbs));
  return i32x4.max_s(i32x4.max_s(a, b), i32x4.max_s(c, d));
}

/** roundf(x·id) as exact i32 lanes: trunc(v + copysign(0.49999997, v)), then the magic-number conversion. */
// @ts-ignore: decorator
@inline function q8Round(x: v128, id: v128, cSign: v128, cHalf: v128, cMagic: v128): v128 {
  const v = f32x4.mul(x, id);
  const t = f32x4.trunc(f32x4.add(v, v128.or(v128.and(v, cSign), cHalf)));
  return i32x4.sub(f32x4.add(t, cMagic), cMagic);
}

// @ts-ignore: decorator
@inline function q8Codes16(s: usize, id: v128, cSign: v128, cHalf: v128, cMagic: v128): v128 {
  const a = i16x8.narrow_i32x4_s(q8Round(v128.load(s), id, cSign, cHalf, cMagic), q8Round(v128.load(s, 16), id, cSign, cHalf, cMagic));
  const b = i16x8.narrow_i32x4_s(q8Round(v128.load(s, 32), id, cSign, cHalf, cMagic), q8Round(v128.load(s, 48), id, cSign, cHalf, cMagic));
  return i8x16.narrow_i16x8_s(a, b);
}

/**
 * fp16 RNE code of d >= 0 (i32 lanes) for a finite d < 65520 (other lanes are flagged by the
 * caller): XNNPACK's bias trick without the Inf/NaN/sign handling. base = 2^(max(e, -14) + 15) + 4d
 * makes the FPU round 4d at the fp16 quantum; the sum's exponent and low bits form the code.
 */
// @ts-ignore: decorator
@inline function f16ScaleCode(d: v128): v128 {
  const bias = i32x4.add(i32x4.max_s(v128.and(d, v128.load(K_EXP)), v128.load(K_MINBIAS)), v128.load(K_BIASADD));
  const base = f32x4.add(bias, f32x4.mul(d, f32x4.splat(4)));
  return i32x4.add(v128.and(i32x4.shr_u(base, 13), v128.load(K_7C00)), v128.and(base, v128.load(K_FFF)));
}

/**
 * The four q8_0 scales of the blocks at s: stores the fp16 fields at o + k·34 and returns the four
 * multipliers id = 1/d (0 for d = 0), all bits set (NaN) in unusual lanes: Inf/NaN elements, fp16
 * overflow (d >= 65520), or a subnormal d. The scalar code redoes such groups.
 */
// @ts-ignore: decorator
@inline function q8Scales(s: usize, o: usize, cAbs: v128, c127: v128, cOne: v128): v128 {
  const amax = hmaxS4(absMax32(s, cAbs), absMax32(s + 128, cAbs), absMax32(s + 256, cAbs), absMax32(s + 384, cAbs));
  const d = f32x4.div(amax, c127);
  const nz = i32x4.ne(d, i32x4.splat(0));
  const id = v128.and(f32x4.div(cOne, d), nz);
  const h = f16ScaleCode(d);
  v128.store16_lane(o, h, 0);
  v128.store16_lane(o + Q8_BYTES, h, 2);
  v128.store16_lane(o + 2 * Q8_BYTES, h, 4);
  v128.store16_lane(o + 3 * Q8_BYTES, h, 6);
  const bad = v128.or(i32x4.gt_s(d, i32x4.splat(0x477fefff)), v128.and(i32x4.lt_s(d, i32x4.splat(0x00800000)), nz));
  return v128.or(id, bad);
}

function q8Quantize(src: usize, n: u32, dst: usize): i32 {
  const cAbs = v128.load(K_ABS), cSign = v128.load(K_SIGN), cHalf = v128.load(K_HALF_DOWN);
  const cMagic = v128.load(K_MAGIC), cOne = v128.load(K_ONE), c127 = f32x4.splat(127);
  const full = n >>> 5;
  const groups = full & ~3;
  let clipped = 0;
  // Software-pipelined (scales of group g + 4 before the elements of group g) with a call-free
  // inner loop; an unusual group leaves it for the scalar code (see intblock.ts).
  let g: u32 = 0;
  let cur = i32x4.splat(0);
  if (groups > 0) cur = q8Scales(src, dst, cAbs, c127, cOne);
  while (g < groups) {
    let nxt = cur;
    while (true) {
      if (g + 4 < groups) nxt = q8Scales(src + (<usize>(g + 4) << 7), dst + <usize>(g + 4) * Q8_BYTES, cAbs, c127, cOne);
      if (v128.any_true(f32x4.ne(cur, cur))) break;
      const s = src + (<usize>g << 7);
      const o = dst + <usize>g * Q8_BYTES;
      let idk = lane(cur, 0);
      v128.store(o + 2, q8Codes16(s, idk, cSign, cHalf, cMagic));
      v128.store(o + 18, q8Codes16(s + 64, idk, cSign, cHalf, cMagic));
      idk = lane(cur, 1);
      v128.store(o + 36, q8Codes16(s + 128, idk, cSign, cHalf, cMagic));
      v128.store(o + 52, q8Codes16(s + 192, idk, cSign, cHalf, cMagic));
      idk = lane(cur, 2);
      v128.store(o + 70, q8Codes16(s + 256, idk, cSign, cHalf, cMagic));
      v128.store(o + 86, q8Codes16(s + 320, idk, cSign, cHalf, cMagic));
      idk = lane(cur, 3);
      v128.store(o + 104, q8Codes16(s + 384, idk, cSign, cHalf, cMagic));
      v128.store(o + 120, q8Codes16(s + 448, idk, cSign, cHalf, cMagic));
      g += 4;
      cur = nxt;
      if (g >= groups) break;
    }
    if (g >= groups) break;
    for (let k: u32 = 0; k < 4; k++) clipped += q8BlockScalar(src + (<usize>(g + k) << 7), 32, dst + <usize>(g + k) * Q8_BYTES);
    g += 4;
    cur = nxt;
  }
  for (let b = groups; b < full; b++) clipped += q8BlockScalar(src + (<usize>b << 7), 32, dst + <usize>b * Q8_BYTES);
  const rem = <i32>(n & 31);
  if (rem != 0) clipped += q8BlockScalar(src + (<usize>full << 7), rem, dst + <usize>full * Q8_BYTES);
  return clipped;
}

// q4_0: per block the signed max, the signed min and a plain sum (non-finite detector: any Inf or
// NaN makes it non-finite; an overflowing sum of finite values only sends the group to the scalar path).
// @ts-ignore: decorator
@inline function pmax32(s: usize): v128 {
  const a = f32x4.pmax(f32x4.pmax(v128.load(s), v128.load(s, 16)), f32x4.pmax(v128.load(s, 32), v128.load(s, 48)));
  const b = f32x4.pmax(f32x4.pmax(v128.load(s, 64), v128.load(s, 80)), f32x4.pmax(v128.load(s, 96), v128.load(s, 112)));
  return f32x4.pmax(a, b);
}
// @ts-ignore: decorator
@inline function pmin32(s: usize): v128 {
  const a = f32x4.pmin(f32x4.pmin(v128.load(s), v128.load(s, 16)), f32x4.pmin(v128.load(s, 32), v128.load(s, 48)));
  const b = f32x4.pmin(f32x4.pmin(v128.load(s, 64), v128.load(s, 80)), f32x4.pmin(v128.load(s, 96), v128.load(s, 112)));
  return f32x4.pmin(a, b);
}
// @ts-ignore: decorator
@inline function sum32(s: usize): v128 {
  const a = f32x4.add(f32x4.add(v128.load(s), v128.load(s, 16)), f32x4.add(v128.load(s, 32), v128.load(s, 48)));
  const b = f32x4.add(f32x4.add(v128.load(s, 64), v128.load(s, 80)), f32x4.add(v128.load(s, 96), v128.load(s, 112)));
  return f32x4.add(a, b);
}

/** min(15, trunc(x·id + 8.5)) as an integer-valued f32 (the argument is >= 0 on the fast path). */
// @ts-ignore: decorator
@inline function q4T(x: v128, id: v128, c85: v128, c15: v128): v128 {
  return f32x4.pmin(f32x4.trunc(f32x4.add(f32x4.mul(x, id), c85)), c15);
}

/** Byte lanes (as i32) lo | hi << 4 for element vectors at s + off and s + 64 + off. */
// @ts-ignore: decorator
@inline function q4Pair(s: usize, off: usize, id: v128, c85: v128, c15: v128, c16: v128, cMagic: v128): v128 {
  const lo = q4T(v128.load(s + off), id, c85, c15);
  const hi = q4T(v128.load(s + off + 64), id, c85, c15);
  return i32x4.sub(f32x4.add(f32x4.add(lo, f32x4.mul(hi, c16)), cMagic), cMagic);
}

// @ts-ignore: decorator
@inline function q4Block(s: usize, o: usize, id: v128, c85: v128, c15: v128, c16: v128, cMagic: v128): void {
  const p0 = q4Pair(s, 0, id, c85, c15, c16, cMagic);
  const p1 = q4Pair(s, 16, id, c85, c15, c16, cMagic);
  const p2 = q4Pair(s, 32, id, c85, c15, c16, cMagic);
  const p3 = q4Pair(s, 48, id, c85, c15, c16, cMagic);
  v128.store(o, i8x16.narrow_i16x8_u(i16x8.narrow_i32x4_u(p0, p1), i16x8.narrow_i32x4_u(p2, p3)));
}

/**
 * The four q4_0 scales of the blocks at s: m = the signed extreme (+0 for an all-zero block),
 * d = m / -8; stores the fp16 fields and returns id = 1/d (0 for d = 0), NaN in unusual lanes:
 * Inf/NaN elements (the plain sum is non-finite; a finite overflow only costs a scalar redo),
 * a +a/-a tie (the first one wins: found by the scalar scan), fp16 overflow, a subnormal d.
 */
// @ts-ignore: decorator
@inline function q4Scales(s: usize, o: usize, cAbs: v128, cSign: v128, cOne: v128, cM8: v128): v128 {
  const mx = hpmax4(pmax32(s), pmax32(s + 128), pmax32(s + 256), pmax32(s + 384));
  const mn = hpmin4(pmin32(s), pmin32(s + 128), pmin32(s + 256), pmin32(s + 384));
  const sum = hadd4(sum32(s), sum32(s + 128), sum32(s + 256), sum32(s + 384));
  const nmn = v128.xor(mn, cSign);
  const zero = f32x4.splat(0);
  const pos = f32x4.gt(mx, nmn);
  const amax = f32x4.pmax(mx, nmn);
  const m = v128.and(v128.bitselect(mx, mn, pos), f32x4.ne(amax, zero));
  const tie = v128.and(f32x4.eq(mx, nmn), f32x4.gt(mx, zero));
  const d = f32x4.mul(m, cM8); // == m / -8 (scaling by a power of two: the same rounding)
  const nz = f32x4.ne(d, zero);
  const id = v128.and(f32x4.div(cOne, d), nz);
  const ad = v128.and(d, cAbs);
  const h = v128.or(f16ScaleCode(ad), i32x4.shr_u(v128.and(d, cSign), 16));
  v128.store16_lane(o, h, 0);
  v128.store16_lane(o + Q4_BYTES, h, 2);
  v128.store16_lane(o + 2 * Q4_BYTES, h, 4);
  v128.store16_lane(o + 3 * Q4_BYTES, h, 6);
  let bad = v128.or(tie, i32x4.gt_s(v128.and(sum, cAbs), i32x4.splat(0x7f7fffff)));
  bad = v128.or(bad, i32x4.gt_s(ad, i32x4.splat(0x477fefff)));
  bad = v128.or(bad, v128.and(i32x4.lt_s(ad, i32x4.splat(0x00800000)), nz));
  return v128.or(id, bad);
}

function q4Quantize(src: usize, n: u32, dst: usize): i32 {
  const cAbs = v128.load(K_ABS), cSign = v128.load(K_SIGN), cMagic = v128.load(K_MAGIC), cOne = v128.load(K_ONE);
  const c85 = f32x4.splat(8.5), c15 = f32x4.splat(15), c16 = f32x4.splat(16), cM8 = f32x4.splat(-0.125);
  const full = n >>> 5;
  const groups = full & ~3;
  let clipped = 0;
  let g: u32 = 0;
  let cur = i32x4.splat(0);
  if (groups > 0) cur = q4Scales(src, dst, cAbs, cSign, cOne, cM8);
  while (g < groups) {
    let nxt = cur;
    while (true) {
      if (g + 4 < groups) nxt = q4Scales(src + (<usize>(g + 4) << 7), dst + <usize>(g + 4) * Q4_BYTES, cAbs, cSign, cOne, cM8);
      if (v128.any_true(f32x4.ne(cur, cur))) break;
      const s = src + (<usize>g << 7);
      const o = dst + <usize>g * Q4_BYTES;
      q4Block(s, o + 2, lane(cur, 0), c85, c15, c16, cMagic);
      q4Block(s + 128, o + Q4_BYTES + 2, lane(cur, 1), c85, c15, c16, cMagic);
      q4Block(s + 256, o + 2 * Q4_BYTES + 2, lane(cur, 2), c85, c15, c16, cMagic);
      q4Block(s + 384, o + 3 * Q4_BYTES + 2, lane(cur, 3), c85, c15, c16, cMagic);
      g += 4;
      cur = nxt;
      if (g >= groups) break;
    }
    if (g >= groups) break;
    for (let k: u32 = 0; k < 4; k++) clipped += q4BlockScalar(src + (<usize>(g + k) << 7), 32, dst + <usize>(g + k) * Q4_BYTES);
    g += 4;
    cur = nxt;
  }
  for (let b = groups; b < full; b++) clipped += q4BlockScalar(src + (<usize>b << 7), 32, dst + <usize>b * Q4_BYTES);
  const rem = <i32>(n & 31);
  if (rem != 0) clipped += q4BlockScalar(src + (<usize>full << 7), rem, dst + <usize>full * Q4_BYTES);
  return clipped;
}

// ---------------------------------------------------------------------------------------------
// Dequantize: value = f32(c · d) (q4_0: f32((c − 8) · d)); accumulate adds it to dst in f32.

function q8DequantAcc(src: usize, n: u32, dst: usize): void { q8Dequant(src, n, dst, true); }
function q8DequantSet(src: usize, n: u32, dst: usize): void { q8Dequant(src, n, dst, false); }
function q4DequantAcc(src: usize, n: u32, dst: usize): void { q4Dequant(src, n, dst, true); }
function q4DequantSet(src: usize, n: u32, dst: usize): void { q4Dequant(src, n, dst, false); }


// @ts-ignore: decorator
@inline function putScalar(p: usize, v: f32, acc: bool): void {
  if (acc) store<f32>(p, load<f32>(p) + v);
  else store<f32>(p, v);
}

// @ts-ignore: decorator
@inline function q8Dequant(src: usize, n: u32, dst: usize, acc: bool): void {
  const cEm = v128.load(K_F16EM), c2p112 = v128.load(K_2P112), cInf = v128.load(K_F16INF);
  const cExp = v128.load(K_EXP), c8000 = v128.load(K_8000);
  const full = n >>> 5;
  for (let b: u32 = 0; b < full; b++) {
    const p = src + <usize>b * Q8_BYTES;
    const o = dst + (<usize>b << 7);
    const d = f16DecodeV(v128.load16_splat(p), cEm, c2p112, cInf, cExp, c8000);
    put8(o, v128.load8x8_s(p, 2), d, acc);
    put8(o + 32, v128.load8x8_s(p, 10), d, acc);
    put8(o + 64, v128.load8x8_s(p, 18), d, acc);
    put8(o + 96, v128.load8x8_s(p, 26), d, acc);
  }
  const rem = n & 31;
  if (rem != 0) {
    const p = src + <usize>full * Q8_BYTES;
    const o = dst + (<usize>full << 7);
    const d = f32x4.extract_lane(f16DecodeV(v128.load16_splat(p), cEm, c2p112, cInf, cExp, c8000), 0);
    for (let i: u32 = 0; i < rem; i++) putScalar(o + (<usize>i << 2), <f32>load<i8>(p + 2 + <usize>i) * d, acc);
  }
}

// @ts-ignore: decorator
@inline function q4Dequant(src: usize, n: u32, dst: usize, acc: bool): void {
  const cEm = v128.load(K_F16EM), c2p112 = v128.load(K_2P112), cInf = v128.load(K_F16INF);
  const cExp = v128.load(K_EXP), c8000 = v128.load(K_8000), cNib = v128.load(K_NIB), c8 = v128.load(K_B8);
  const full = n >>> 5;
  for (let b: u32 = 0; b < full; b++) {
    const p = src + <usize>b * Q4_BYTES;
    const o = dst + (<usize>b << 7);
    const d = f16DecodeV(v128.load16_splat(p), cEm, c2p112, cInf, cExp, c8000);
    const q = v128.load(p, 2);
    const lo = i8x16.sub(v128.and(q, cNib), c8);
    const hi = i8x16.sub(v128.and(i16x8.shr_u(q, 4), cNib), c8);
    put8(o, i16x8.extend_low_i8x16_s(lo), d, acc);
    put8(o + 32, i16x8.extend_high_i8x16_s(lo), d, acc);
    put8(o + 64, i16x8.extend_low_i8x16_s(hi), d, acc);
    put8(o + 96, i16x8.extend_high_i8x16_s(hi), d, acc);
  }
  const rem = n & 31;
  if (rem != 0) {
    const p = src + <usize>full * Q4_BYTES;
    const o = dst + (<usize>full << 7);
    const d = f32x4.extract_lane(f16DecodeV(v128.load16_splat(p), cEm, c2p112, cInf, cExp, c8000), 0);
    for (let i: u32 = 0; i < rem; i++) {
      const byte = <i32>load<u8>(p + 2 + <usize>(i & 15));
      const c = i < 16 ? byte & 15 : byte >> 4;
      putScalar(o + (<usize>i << 2), <f32>(c - 8) * d, acc);
    }
  }
}
