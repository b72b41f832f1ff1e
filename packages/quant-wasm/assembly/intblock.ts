// Symmetric int8 (±127) and int4 (±7) block formats (FORMATS.md section 4): blocks of 8..128,
// fp16 / bf16 / f32 scales, RNE or stochastic rounding.
//   d = f32(amax / qmax); s = the scale kind's rounding of d; inv = s ≠ 0 ? f32(1 / s) : 0;
//   c = clamp(RNE_int(f32(x · inv)), −qmax, qmax)       (stochastic: floor(f32(v + u)))
//
// Quantize works on groups of four blocks (four maxima reduced into one vector, one division for
// the four d, one for the four 1/s). On the fast path the scale is zero or a normal number of its
// kind, which bounds |x · inv| by qmax·(1 + 2^−9)·(1 + 3·2^−24) < qmax + 0.5, so RNE needs no clamp;
// groups with a non-finite element, an fp16 overflow or a subnormal scale, and the tail, go
// through the scalar code, which follows FORMATS.md literally.
import { descBlock, descFormat, descScale, descRounding, FMT_INT4, SCALE_FP16, SCALE_BF16, SCALE_F32 } from "./formats";
import { f32ToF16, f16ToF32, f32ToBF16, bf16ToF32 } from "./half";
import {
  K_ABS, K_MAGIC, K_ONE, K_TO_INF, K_TO_ZERO, K_EXP, K_MINBIAS, K_BIASADD,
  K_7C00, K_FFF, K_7E00, K_8000, K_F16EM, K_2P112, K_F16INF, K_7FFF, K_I1, K_IOTA, K_2M24, K_NIB, K_B8,
  hmaxS4, lane, f16EncodeV, f16DecodeV, put4, put8,
} from "./simd-util";
import { srUniform } from "./rounding";

export function intQuantize(desc: u32, src: usize, n: u32, dst: usize, seed: u32, index0: u32): i32 {
  const B = descBlock(desc), int4 = descFormat(desc) == FMT_INT4, sc = descScale(desc);
  if (descRounding(desc) == 0) {
    if (int4) {
      switch (B) {
        case 8: return q4r8(src, n, dst, sc, seed, index0);
        case 16: return q4r16(src, n, dst, sc, seed, index0);
        case 32: return q4r32(src, n, dst, sc, seed, index0);
        case 64: return q4r64(src, n, dst, sc, seed, index0);
        default: return q4r128(src, n, dst, sc, seed, index0);
      }
    }
    switch (B) {
      case 8: return q8r8(src, n, dst, sc, seed, index0);
      case 16: return q8r16(src, n, dst, sc, seed, index0);
      case 32: return q8r32(src, n, dst, sc, seed, index0);
      case 64: return q8r64(src, n, dst, sc, seed, index0);
      default: return q8r128(src, n, dst, sc, seed, index0);
    }
  }
  if (int4) {
    switch (B) {
      case 8: return q4s8(src, n, dst, sc, seed, index0);
      case 16: return q4s16(src, n, dst, sc, seed, index0);
      case 32: return q4s32(src, n, dst, sc, seed, index0);
      case 64: return q4s64(src, n, dst, sc, seed, index0);
      default: return q4s128(src, n, dst, sc, seed, index0);
    }
  }
  switch (B) {
    case 8: return q8s8(src, n, dst, sc, seed, index0);
    case 16: return q8s16(src, n, dst, sc, seed, index0);
    case 32: return q8s32(src, n, dst, sc, seed, index0);
    case 64: return q8s64(src, n, dst, sc, seed, index0);
    default: return q8s128(src, n, dst, sc, seed, index0);
  }
}

// Specializations: int8/int4 (q8/q4 prefix here means 8-/4-bit), r = RNE, s = stochastic.
function q8r8(s: usize, n: u32, d: usize, sc: i32, seed: u32, i0: u32): i32 { return quantizeImpl(s, n, d, sc, seed, i0, 8, false, false); }
function q8r16(s: usize, n: u32, d: usize, sc: i32, seed: u32, i0: u32): i32 { return quantizeImpl(s, n, d, sc, seed, i0, 16, false, false); }
function q8r32(s: usize, n: u32, d: usize, sc: i32, seed: u32, i0: u32): i32 { return quantizeImpl(s, n, d, sc, seed, i0, 32, false, false); }
function q8r64(s: usize, n: u32, d: usize, sc: i32, seed: u32, i0: u32): i32 { return quantizeImpl(s, n, d, sc, seed, i0, 64, false, false); }
function q8r128(s: usize, n: u32, d: usize, sc: i32, seed: u32, i0: u32): i32 { return quantizeImpl(s, n, d, sc, seed, i0, 128, false, false); }
function q4r8(s: usize, n: u32, d: usize, sc: i32, seed: u32, i0: u32): i32 { return quantizeImpl(s, n, d, sc, seed, i0, 8, true, false); }
function q4r16(s: usize, n: u32, d: usize, sc: i32, seed: u32, i0: u32): i32 { return quantizeImpl(s, n, d, sc, seed, i0, 16, true, false); }
function q4r32(s: usize, n: u32, d: usize, sc: i32, seed: u32, i0: u32): i32 { return quantizeImpl(s, n, d, sc, seed, i0, 32, true, false); }
function q4r64(s: usize, n: u32, d: usize, sc: i32, seed: u32, i0: u32): i32 { return quantizeImpl(s, n, d, sc, seed, i0, 64, true, false); }
function q4r128(s: usize, n: u32, d: usize, sc: i32, seed: u32, i0: u32): i32 { return quantizeImpl(s, n, d, sc, seed, i0, 128, true, false); }
function q8s8(s: usize, n: u32, d: usize, sc: i32, seed: u32, i0: u32): i32 { return quantizeImpl(s, n, d, sc, seed, i0, 8, false, true); }
function q8s16(s: usize, n: u32, d: usize, sc: i32, seed: u32, i0: u32): i32 { return quantizeImpl(s, n, d, sc, seed, i0, 16, false, true); }
function q8s32(s: usize, n: u32, d: usize, sc: i32, seed: u32, i0: u32): i32 { return quantizeImpl(s, n, d, sc, seed, i0, 32, false, true); }
function q8s64(s: usize, n: u32, d: usize, sc: i32, seed: u32, i0: u32): i32 { return quantizeImpl(s, n, d, sc, seed, i0, 64, false, true); }
function q8s128(s: usize, n: u32, d: usize, sc: i32, seed: u32, i0: u32): i32 { return quantizeImpl(s, n, d, sc, seed, i0, 128, false, true); }
function q4s8(s: usize, n: u32, d: usize, sc: i32, seed: u32, i0: u32): i32 { return quantizeImpl(s, n, d, sc, seed, i0, 8, true, true); }
function q4s16(s: usize, n: u32, d: usize, sc: i32, seed: u32, i0: u32): i32 { return quantizeImpl(s, n, d, sc, seed, i0, 16, true, true); }
function q4s32(s: usize, n: u32, d: usize, sc: i32, seed: u32, i0: u32): i32 { return quantizeImpl(s, n, d, sc, seed, i0, 32, true, true); }
function q4s64(s: usize, n: u32, d: usize, sc: i32, seed: u32, i0: u32): i32 { return quantizeImpl(s, n, d, sc, seed, i0, 64, true, true); }
function q4s128(s: usize, n: u32, d: usize, sc: i32, seed: u32, i0: u32): i32 { return quantizeImpl(s, n, d, sc, seed, i0, 128, true, true); }

// ---------------------------------------------------------------------------------------------
// Scalar path (FORMATS.md literally)


// @ts-ignore: decorator
@inline function scalarCode(x: f32, inv: f32, qmax: f32, stoch: bool, idx: u32, seed: u32): i32 {
  const v = x * inv;
  const t = stoch ? floor<f32>(v + srUniform(idx, seed)) : nearest<f32>(v);
  if (t != t) return 0;
  return <i32>max<f32>(-qmax, min<f32>(t, qmax));
}

/**
 * One block from cnt (<= B) elements at s (the rest +0) into o. idx = tensor index of element 0.
 * Returns 1 when the fp16 scale overflowed (the block is clipped), else 0.
 */
function blockScalar(s: usize, cnt: i32, o: usize, B: i32, int4: bool, sc: i32, stoch: bool, seed: u32, idx: u32): i32 {
  const qmax: f32 = int4 ? 7 : 127;
  const SB: usize = sc == SCALE_F32 ? 4 : 2;
  const eb: usize = <usize>(int4 ? B >> 1 : B);
  let amax: f32 = 0;
  for (let i = 0; i < cnt; i++) {
    const a = abs<f32>(load<f32>(s + (<usize>i << 2)));
    if (!(a <= f32.MAX_VALUE)) {
      if (sc == SCALE_FP16) store<u16>(o, 0x7e00);
      else if (sc == SCALE_BF16) store<u16>(o, 0x7fc0);
      else store<u32>(o, 0x7fc00000);
      memory.fill(o + SB, 0, eb);
      return 0;
    }
    amax = max<f32>(amax, a);
  }
  const d: f32 = amax / qmax;
  let sv: f32;
  let clipped = 0;
  if (sc == SCALE_FP16) {
    let h = f32ToF16(d);
    if (h >= 0x7c00) {
      h = 0x7bff;
      clipped = 1;
    }
    store<u16>(o, <u16>h);
    sv = f16ToF32(h);
  } else if (sc == SCALE_BF16) {
    const h = f32ToBF16(d);
    store<u16>(o, <u16>h);
    sv = bf16ToF32(h);
  } else {
    store<f32>(o, d);
    sv = d;
  }
  const inv: f32 = sv != 0 ? <f32>1 / sv : 0;
  const e = o + SB;
  if (int4) {
    const half = B >> 1;
    for (let j = 0; j < half; j++) {
      const x0: f32 = j < cnt ? load<f32>(s + (<usize>j << 2)) : 0;
      const x1: f32 = j + half < cnt ? load<f32>(s + (<usize>(j + half) << 2)) : 0;
      const c0 = scalarCode(x0, inv, qmax, stoch, idx + <u32>j, seed);
      const c1 = scalarCode(x1, inv, qmax, stoch, idx + <u32>(j + half), seed);
      store<u8>(e + <usize>j, <u8>((c0 & 15) | ((c1 & 15) << 4)));
    }
  } else {
    for (let j = 0; j < B; j++) {
      const x: f32 = j < cnt ? load<f32>(s + (<usize>j << 2)) : 0;
      store<i8>(e + <usize>j, <i8>scalarCode(x, inv, qmax, stoch, idx + <u32>j, seed));
    }
  }
  return clipped;
}

// ---------------------------------------------------------------------------------------------
// SIMD quantize

/** Per-lane max of sign-cleared bits (i32 order = |x| order; NaN > Inf > finite) over V vectors. */
// @ts-ignore: decorator
@inline function absMaxV(s: usize, V: i32, cAbs: v128): v128 {
  let acc = i32x4.max_s(v128.and(v128.load(s), cAbs), v128.and(v128.load(s, 16), cAbs));
  if (V >= 4) {
    acc = i32x4.max_s(acc, i32x4.max_s(v128.and(v128.load(s, 32), cAbs), v128.and(v128.load(s, 48), cAbs)));
  }
  if (V >= 8) {
    let acc2 = i32x4.max_s(v128.and(v128.load(s, 64), cAbs), v128.and(v128.load(s, 80), cAbs));
    acc2 = i32x4.max_s(acc2, i32x4.max_s(v128.and(v128.load(s, 96), cAbs), v128.and(v128.load(s, 112), cAbs)));
    for (let i = 8; i < V; i += 4) {
      const p = s + (<usize>i << 4);
      acc = i32x4.max_s(acc, i32x4.max_s(v128.and(v128.load(p), cAbs), v128.and(v128.load(p, 16), cAbs)));
      acc2 = i32x4.max_s(acc2, i32x4.max_s(v128.and(v128.load(p, 32), cAbs), v128.and(v128.load(p, 48), cAbs)));
    }
    acc = i32x4.max_s(acc, acc2);
  }
  return acc;
}

/**
 * Codes of 4 elements as i32 lanes holding 0x4B400000 + c (the magic-number form: the low byte is
 * c's two's complement byte). RNE: no clamp needed on the fast path (see the header). Stochastic:
 * c = clamp(floor(f32(v + u)), −qmax, qmax).
 */
// @ts-ignore: decorator
@inline function codes4(
  x: v128, inv: v128, cMagic: v128, STOCH: bool, idx: u32, seedV: v128, cQ: v128, cNQ: v128, cIota: v128, c2m24: v128,
): v128 {
  const v = f32x4.mul(x, inv);
  if (!STOCH) return f32x4.add(v, cMagic);
  let h = i32x4.add(i32x4.mul(i32x4.add(i32x4.splat(idx), cIota), i32x4.splat(0x9e3779b9)), seedV);
  h = v128.xor(h, i32x4.shr_u(h, 16));
  h = i32x4.mul(h, i32x4.splat(0x7feb352d));
  h = v128.xor(h, i32x4.shr_u(h, 15));
  h = i32x4.mul(h, i32x4.splat(0x846ca68b));
  h = v128.xor(h, i32x4.shr_u(h, 16));
  const u = f32x4.mul(f32x4.convert_i32x4_s(i32x4.shr_u(h, 8)), c2m24);
  const t = f32x4.pmax(f32x4.pmin(f32x4.floor(f32x4.add(v, u)), cQ), cNQ);
  return f32x4.add(t, cMagic);
}

/** int8: 16 codes from 4 magic-form vectors. */
// @ts-ignore: decorator
@inline function narrow16(a: v128, b: v128, c: v128, d: v128, cMagic: v128): v128 {
  return i8x16.narrow_i16x8_s(
    i16x8.narrow_i32x4_s(i32x4.sub(a, cMagic), i32x4.sub(b, cMagic)),
    i16x8.narrow_i32x4_s(i32x4.sub(c, cMagic), i32x4.sub(d, cMagic)),
  );
}

/** int4: byte lanes (c_lo & 15) | (c_hi & 15) << 4 from two magic-form vectors (magic low byte is 0). */
// @ts-ignore: decorator
@inline function nib4(lo: v128, hi: v128, c15: v128, cF0: v128): v128 {
  return v128.or(v128.and(lo, c15), v128.and(i32x4.shl(hi, 4), cF0));
}

// @ts-ignore: decorator
@inline function bytes16(a: v128, b: v128, c: v128, d: v128): v128 {
  return i8x16.narrow_i16x8_u(i16x8.narrow_i32x4_u(a, b), i16x8.narrow_i32x4_u(c, d));
}

/** Encode one full block (s: B floats, e: element field). idx = tensor index of its first element. */
// @ts-ignore: decorator
@inline function encodeBlock(
  s: usize, e: usize, inv: v128, B: i32, INT4: bool, STOCH: bool, idx: u32,
  cMagic: v128, seedV: v128, cQ: v128, cNQ: v128, cIota: v128, c2m24: v128, c15: v128, cF0: v128,
): void {
  if (!INT4) {
    if (B == 8) {
      const a = codes4(v128.load(s), inv, cMagic, STOCH, idx, seedV, cQ, cNQ, cIota, c2m24);
      const b = codes4(v128.load(s, 16), inv, cMagic, STOCH, idx + 4, seedV, cQ, cNQ, cIota, c2m24);
      const w = i16x8.narrow_i32x4_s(i32x4.sub(a, cMagic), i32x4.sub(b, cMagic));
      v128.store64_lane(e, i8x16.narrow_i16x8_s(w, w), 0);
    } else {
      for (let j = 0; j < B; j += 16) {
        const p = s + (<usize>j << 2);
        const q = idx + <u32>j;
        const a = codes4(v128.load(p), inv, cMagic, STOCH, q, seedV, cQ, cNQ, cIota, c2m24);
        const b = codes4(v128.load(p, 16), inv, cMagic, STOCH, q + 4, seedV, cQ, cNQ, cIota, c2m24);
        const c = codes4(v128.load(p, 32), inv, cMagic, STOCH, q + 8, seedV, cQ, cNQ, cIota, c2m24);
        const d = codes4(v128.load(p, 48), inv, cMagic, STOCH, q + 12, seedV, cQ, cNQ, cIota, c2m24);
        v128.store(e + <usize>j, narrow16(a, b, c, d, cMagic));
      }
    }
  } else {
    const H = B >> 1;
    const hs: usize = <usize>H << 2;
    if (B == 8) {
      const lo = codes4(v128.load(s), inv, cMagic, STOCH, idx, seedV, cQ, cNQ, cIota, c2m24);
      const hi = codes4(v128.load(s, 16), inv, cMagic, STOCH, idx + 4, seedV, cQ, cNQ, cIota, c2m24);
      const w = nib4(lo, hi, c15, cF0);
      v128.store32_lane(e, bytes16(w, w, w, w), 0);
    } else if (B == 16) {
      const a = nib4(
        codes4(v128.load(s), inv, cMagic, STOCH, idx, seedV, cQ, cNQ, cIota, c2m24),
        codes4(v128.load(s, 32), inv, cMagic, STOCH, idx + 8, seedV, cQ, cNQ, cIota, c2m24), c15, cF0);
      const b = nib4(
        codes4(v128.load(s, 16), inv, cMagic, STOCH, idx + 4, seedV, cQ, cNQ, cIota, c2m24),
        codes4(v128.load(s, 48), inv, cMagic, STOCH, idx + 12, seedV, cQ, cNQ, cIota, c2m24), c15, cF0);
      v128.store64_lane(e, bytes16(a, b, a, b), 0);
    } else {
      for (let j = 0; j < H; j += 16) {
        const p = s + (<usize>j << 2);
        const q = idx + <u32>j;
        const qh = q + <u32>H;
        const a = nib4(
          codes4(v128.load(p), inv, cMagic, STOCH, q, seedV, cQ, cNQ, cIota, c2m24),
          codes4(v128.load(p + hs), inv, cMagic, STOCH, qh, seedV, cQ, cNQ, cIota, c2m24), c15, cF0);
        const b = nib4(
          codes4(v128.load(p, 16), inv, cMagic, STOCH, q + 4, seedV, cQ, cNQ, cIota, c2m24),
          codes4(v128.load(p + hs, 16), inv, cMagic, STOCH, qh + 4, seedV, cQ, cNQ, cIota, c2m24), c15, cF0);
        const c = nib4(
          codes4(v128.load(p, 32), inv, cMagic, STOCH, q + 8, seedV, cQ, cNQ, cIota, c2m24),
          codes4(v128.load(p + hs, 32), inv, cMagic, STOCH, qh + 8, seedV, cQ, cNQ, cIota, c2m24), c15, cF0);
        const d = nib4(
          codes4(v128.load(p, 48), inv, cMagic, STOCH, q + 12, seedV, cQ, cNQ, cIota, c2m24),
          codes4(v128.load(p + hs, 48), inv, cMagic, STOCH, qh + 12, seedV, cQ, cNQ, cIota, c2m24), c15, cF0);
        v128.store(e + <usize>j, bytes16(a, b, c, d));
      }
    }
  }
}

/** Stochastic-rounding element encoder for one full block (not inlined: see quantizeImpl). */
function encodeBlockStoch(s: usize, e: usize, inv: v128, B: i32, INT4: bool, idx: u32, seed: u32): void {
  const cMagic = v128.load(K_MAGIC), seedV = i32x4.splat(seed), cIota = v128.load(K_IOTA), c2m24 = v128.load(K_2M24);
  const qmax: f32 = INT4 ? 7 : 127;
  const cQ = f32x4.splat(qmax), cNQ = f32x4.splat(-qmax), c15 = i32x4.splat(15), cF0 = i32x4.splat(0xf0);
  if (INT4) {
    if (B == 8) encodeBlock(s, e, inv, 8, true, true, idx, cMagic, seedV, cQ, cNQ, cIota, c2m24, c15, cF0);
    else if (B == 16) encodeBlock(s, e, inv, 16, true, true, idx, cMagic, seedV, cQ, cNQ, cIota, c2m24, c15, cF0);
    else encodeBlock(s, e, inv, B, true, true, idx, cMagic, seedV, cQ, cNQ, cIota, c2m24, c15, cF0);
  } else {
    if (B == 8) encodeBlock(s, e, inv, 8, false, true, idx, cMagic, seedV, cQ, cNQ, cIota, c2m24, c15, cF0);
    else encodeBlock(s, e, inv, B, false, true, idx, cMagic, seedV, cQ, cNQ, cIota, c2m24, c15, cF0);
  }
}

/**
 * Scales of the four blocks at s: stores each block's scale field at o + k·BB and returns the four
 * inverses 1/s (0 for s = 0) with all bits set (NaN) in the lanes of unusual blocks: non-finite,
 * fp16 overflow, or a subnormal nonzero scale (the scalar code then redoes the whole group).
 */
// @ts-ignore: decorator
@inline function groupScales(s: usize, o: usize, sc: i32, B: i32, INT4: bool, cAbs: v128, cQ: v128, cOne: v128): v128 {
  const V = B >> 2;
  const FB: usize = <usize>B << 2;
  const BB: usize = (sc == SCALE_F32 ? 4 : 2) + <usize>(INT4 ? B >> 1 : B);
  const amax = hmaxS4(absMaxV(s, V, cAbs), absMaxV(s + FB, V, cAbs), absMaxV(s + 2 * FB, V, cAbs), absMaxV(s + 3 * FB, V, cAbs));
  const d = f32x4.div(amax, cQ);
  let h: v128, sv: v128, bad: v128;
  if (sc == SCALE_FP16) {
    // fp16 RNE of d >= 0 by the FPU (XNNPACK's bias trick without the Inf/NaN/sign handling, since
    // those lanes are flagged): base = 2^(max(e, -14) + 15) + 4d rounds 4d at the fp16 quantum, so
    // base - bias = 4·s exactly and base's low bits hold the fp16 code.
    const bias = i32x4.add(i32x4.max_s(v128.and(d, v128.load(K_EXP)), v128.load(K_MINBIAS)), v128.load(K_BIASADD));
    const base = f32x4.add(bias, f32x4.mul(d, f32x4.splat(4)));
    h = i32x4.add(v128.and(i32x4.shr_u(base, 13), v128.load(K_7C00)), v128.and(base, v128.load(K_FFF)));
    sv = f32x4.mul(f32x4.sub(base, bias), f32x4.splat(0.25));
    // fp16 overflow (d >= 65520) / non-finite, or a subnormal nonzero scale
    bad = v128.or(i32x4.gt_s(d, i32x4.splat(0x477fefff)),
      v128.and(i32x4.lt_s(h, i32x4.splat(0x0400)), i32x4.ne(h, i32x4.splat(0))));
  } else if (sc == SCALE_BF16) {
    h = i32x4.shr_u(i32x4.add(i32x4.add(d, v128.load(K_7FFF)), v128.and(i32x4.shr_u(d, 16), v128.load(K_I1))), 16);
    sv = i32x4.shl(h, 16);
    bad = v128.or(i32x4.gt_s(h, i32x4.splat(0x7f7f)),
      v128.and(i32x4.lt_s(h, i32x4.splat(0x0080)), i32x4.ne(h, i32x4.splat(0))));
  } else {
    h = d;
    sv = d;
    bad = v128.or(i32x4.gt_s(d, i32x4.splat(0x7f7fffff)),
      v128.and(i32x4.lt_s(d, i32x4.splat(0x00800000)), i32x4.ne(d, i32x4.splat(0))));
  }
  if (sc == SCALE_F32) {
    v128.store32_lane(o, h, 0);
    v128.store32_lane(o + BB, h, 1);
    v128.store32_lane(o + 2 * BB, h, 2);
    v128.store32_lane(o + 3 * BB, h, 3);
  } else {
    v128.store16_lane(o, h, 0);
    v128.store16_lane(o + BB, h, 2);
    v128.store16_lane(o + 2 * BB, h, 4);
    v128.store16_lane(o + 3 * BB, h, 6);
  }
  return v128.or(v128.and(f32x4.div(cOne, sv), i32x4.ne(sv, i32x4.splat(0))), bad);
}

// @ts-ignore: decorator
@inline function quantizeImpl(
  src: usize, n: u32, dst: usize, sc: i32, seed: u32, index0: u32, B: i32, INT4: bool, STOCH: bool,
): i32 {
  const qmax: f32 = INT4 ? 7 : 127;
  const SB: usize = sc == SCALE_F32 ? 4 : 2;
  const BB: usize = SB + <usize>(INT4 ? B >> 1 : B); // block bytes
  const V = B >> 2;
  const FB: usize = <usize>B << 2; // f32 bytes per block
  const cAbs = v128.load(K_ABS), cMagic = v128.load(K_MAGIC), cOne = v128.load(K_ONE);
  const cQ = f32x4.splat(qmax), cNQ = f32x4.splat(-qmax);
  const seedV = i32x4.splat(seed), cIota = v128.load(K_IOTA), c2m24 = v128.load(K_2M24);
  const c15 = i32x4.splat(15), cF0 = i32x4.splat(0xf0);
  const full = n / <u32>B;
  const groups = full & ~3;
  let clipped = 0;
  // Software-pipelined: the scales of group g + 4 (a long dependency chain: reduce, two divisions,
  // scale rounding) are computed before the elements of group g are encoded, so the out-of-order
  // core overlaps the two. The inner loop contains no call (a call would make V8 spill every
  // vector register); a group flagged unusual leaves it for the scalar code and comes back.
  let g: u32 = 0;
  let cur = i32x4.splat(0);
  if (groups > 0) cur = groupScales(src, dst, sc, B, INT4, cAbs, cQ, cOne);
  while (g < groups) {
    let nxt = cur;
    while (true) {
      if (g + 4 < groups) nxt = groupScales(src + <usize>(g + 4) * FB, dst + <usize>(g + 4) * BB, sc, B, INT4, cAbs, cQ, cOne);
      if (v128.any_true(f32x4.ne(cur, cur))) break;
      const s = src + <usize>g * FB;
      const o = dst + <usize>g * BB + SB;
      const i0 = index0 + g * <u32>B;
      if (STOCH) {
        // stochastic rounding is hash-bound: one out-of-line block encoder per (B, int4) keeps the module small
        encodeBlockStoch(s, o, lane(cur, 0), B, INT4, i0, seed);
        encodeBlockStoch(s + FB, o + BB, lane(cur, 1), B, INT4, i0 + <u32>B, seed);
        encodeBlockStoch(s + 2 * FB, o + 2 * BB, lane(cur, 2), B, INT4, i0 + 2 * <u32>B, seed);
        encodeBlockStoch(s + 3 * FB, o + 3 * BB, lane(cur, 3), B, INT4, i0 + 3 * <u32>B, seed);
      } else {
        encodeBlock(s, o, lane(cur, 0), B, INT4, false, i0, cMagic, seedV, cQ, cNQ, cIota, c2m24, c15, cF0);
        encodeBlock(s + FB, o + BB, lane(cur, 1), B, INT4, false, i0 + <u32>B, cMagic, seedV, cQ, cNQ, cIota, c2m24, c15, cF0);
        encodeBlock(s + 2 * FB, o + 2 * BB, lane(cur, 2), B, INT4, false, i0 + 2 * <u32>B, cMagic, seedV, cQ, cNQ, cIota, c2m24, c15, cF0);
        encodeBlock(s + 3 * FB, o + 3 * BB, lane(cur, 3), B, INT4, false, i0 + 3 * <u32>B, cMagic, seedV, cQ, cNQ, cIota, c2m24, c15, cF0);
      }
      g += 4;
      cur = nxt;
      if (g >= groups) break;
    }
    if (g >= groups) break;
    for (let k: u32 = 0; k < 4; k++) {
      const bk = g + k;
      clipped += blockScalar(src + <usize>bk * FB, B, dst + <usize>bk * BB, B, INT4, sc, STOCH, seed, index0 + bk * <u32>B);
    }
    g += 4;
    cur = nxt;
  }
  let b = groups;
  for (; b < full; b++) {
    clipped += blockScalar(src + <usize>b * FB, B, dst + <usize>b * BB, B, INT4, sc, STOCH, seed, index0 + b * <u32>B);
  }
  const rem = n - full * <u32>B;
  if (rem != 0) {
    clipped += blockScalar(src + <usize>full * FB, <i32>rem, dst + <usize>full * BB, B, INT4, sc, STOCH, seed, index0 + full * <u32>B);
  }
  return clipped;
}

// ---------------------------------------------------------------------------------------------
// Dequantize: value = f32(c · s); accumulate: dst += value (separate f32 add).

export function intDequantize(desc: u32, src: usize, n: u32, dst: usize, acc: bool): void {
  const B = descBlock(desc), int4 = descFormat(desc) == FMT_INT4, sc = descScale(desc);
  if (acc) {
    if (int4) {
      if (B == 8) dq4a8(src, n, dst, sc); else if (B == 16) dq4a16(src, n, dst, sc); else if (B == 32) dq4a32(src, n, dst, sc);
      else if (B == 64) dq4a64(src, n, dst, sc); else dq4a128(src, n, dst, sc);
    } else {
      if (B == 8) dq8a8(src, n, dst, sc); else if (B == 16) dq8a16(src, n, dst, sc); else if (B == 32) dq8a32(src, n, dst, sc);
      else if (B == 64) dq8a64(src, n, dst, sc); else dq8a128(src, n, dst, sc);
    }
  } else {
    if (int4) {
      if (B == 8) dq4s8(src, n, dst, sc); else if (B == 16) dq4s16(src, n, dst, sc); else if (B == 32) dq4s32(src, n, dst, sc);
      else if (B == 64) dq4s64(src, n, dst, sc); else dq4s128(src, n, dst, sc);
    } else {
      if (B == 8) dq8s8(src, n, dst, sc); else if (B == 16) dq8s16(src, n, dst, sc); else if (B == 32) dq8s32(src, n, dst, sc);
      else if (B == 64) dq8s64(src, n, dst, sc); else dq8s128(src, n, dst, sc);
    }
  }
}

function dq8a8(s: usize, n: u32, d: usize, sc: i32): void { dequantImpl(s, n, d, sc, 8, false, true); }
function dq8a16(s: usize, n: u32, d: usize, sc: i32): void { dequantImpl(s, n, d, sc, 16, false, true); }
function dq8a32(s: usize, n: u32, d: usize, sc: i32): void { dequantImpl(s, n, d, sc, 32, false, true); }
function dq8a64(s: usize, n: u32, d: usize, sc: i32): void { dequantImpl(s, n, d, sc, 64, false, true); }
function dq8a128(s: usize, n: u32, d: usize, sc: i32): void { dequantImpl(s, n, d, sc, 128, false, true); }
function dq4a8(s: usize, n: u32, d: usize, sc: i32): void { dequantImpl(s, n, d, sc, 8, true, true); }
function dq4a16(s: usize, n: u32, d: usize, sc: i32): void { dequantImpl(s, n, d, sc, 16, true, true); }
function dq4a32(s: usize, n: u32, d: usize, sc: i32): void { dequantImpl(s, n, d, sc, 32, true, true); }
function dq4a64(s: usize, n: u32, d: usize, sc: i32): void { dequantImpl(s, n, d, sc, 64, true, true); }
function dq4a128(s: usize, n: u32, d: usize, sc: i32): void { dequantImpl(s, n, d, sc, 128, true, true); }
function dq8s8(s: usize, n: u32, d: usize, sc: i32): void { dequantImpl(s, n, d, sc, 8, false, false); }
function dq8s16(s: usize, n: u32, d: usize, sc: i32): void { dequantImpl(s, n, d, sc, 16, false, false); }
function dq8s32(s: usize, n: u32, d: usize, sc: i32): void { dequantImpl(s, n, d, sc, 32, false, false); }
function dq8s64(s: usize, n: u32, d: usize, sc: i32): void { dequantImpl(s, n, d, sc, 64, false, false); }
function dq8s128(s: usize, n: u32, d: usize, sc: i32): void { dequantImpl(s, n, d, sc, 128, false, false); }
function dq4s8(s: usize, n: u32, d: usize, sc: i32): void { dequantImpl(s, n, d, sc, 8, true, false); }
function dq4s16(s: usize, n: u32, d: usize, sc: i32): void { dequantImpl(s, n, d, sc, 16, true, false); }
function dq4s32(s: usize, n: u32, d: usize, sc: i32): void { dequantImpl(s, n, d, sc, 32, true, false); }
function dq4s64(s: usize, n: u32, d: usize, sc: i32): void { dequantImpl(s, n, d, sc, 64, true, false); }
function dq4s128(s: usize, n: u32, d: usize, sc: i32): void { dequantImpl(s, n, d, sc, 128, true, false); }


/** The block's scale value splatted over 4 lanes (fp16 / bf16 / f32 field at p). */
// @ts-ignore: decorator
@inline function scaleV(p: usize, sc: i32, cEm: v128, c2p112: v128, cInf: v128, cExp: v128, c8000: v128): v128 {
  if (sc == SCALE_FP16) return f16DecodeV(v128.load16_splat(p), cEm, c2p112, cInf, cExp, c8000);
  if (sc == SCALE_BF16) return i32x4.shl(v128.load16_splat(p), 16);
  return v128.load32_splat(p);
}

// @ts-ignore: decorator
@inline function dequantImpl(src: usize, n: u32, dst: usize, sc: i32, B: i32, INT4: bool, ACC: bool): void {
  const SB: usize = sc == SCALE_F32 ? 4 : 2;
  const BB: usize = SB + <usize>(INT4 ? B >> 1 : B);
  const FB: usize = <usize>B << 2;
  const cEm = v128.load(K_F16EM), c2p112 = v128.load(K_2P112), cInf = v128.load(K_F16INF);
  const cExp = v128.load(K_EXP), c8000 = v128.load(K_8000), cNib = v128.load(K_NIB), c8 = v128.load(K_B8);
  const full = n / <u32>B;
  for (let b: u32 = 0; b < full; b++) {
    const p = src + <usize>b * BB;
    const o = dst + <usize>b * FB;
    const sv = scaleV(p, sc, cEm, c2p112, cInf, cExp, c8000);
    const e = p + SB;
    if (!INT4) {
      for (let j = 0; j < B; j += 8) put8(o + (<usize>j << 2), v128.load8x8_s(e + <usize>j), sv, ACC);
    } else if (B == 8) {
      const q = v128.load32_zero(e);
      const lo = i8x16.sub(v128.xor(v128.and(q, cNib), c8), c8);
      const hi = i8x16.sub(v128.xor(v128.and(i16x8.shr_u(q, 4), cNib), c8), c8);
      put4(o, i32x4.extend_low_i16x8_s(i16x8.extend_low_i8x16_s(lo)), sv, ACC);
      put4(o + 16, i32x4.extend_low_i16x8_s(i16x8.extend_low_i8x16_s(hi)), sv, ACC);
    } else {
      const H = B >> 1;
      const ho: usize = <usize>H << 2;
      for (let j = 0; j < H; j += 8) {
        const q = v128.load64_zero(e + <usize>j);
        const lo = i8x16.sub(v128.xor(v128.and(q, cNib), c8), c8);
        const hi = i8x16.sub(v128.xor(v128.and(i16x8.shr_u(q, 4), cNib), c8), c8);
        put8(o + (<usize>j << 2), i16x8.extend_low_i8x16_s(lo), sv, ACC);
        put8(o + ho + (<usize>j << 2), i16x8.extend_low_i8x16_s(hi), sv, ACC);
      }
    }
  }
  const rem = n - full * <u32>B;
  if (rem != 0) {
    const p = src + <usize>full * BB;
    const o = dst + <usize>full * FB;
    const sv = f32x4.extract_lane(scaleV(p, sc, cEm, c2p112, cInf, cExp, c8000), 0);
    const e = p + SB;
    const H = <u32>(B >> 1);
    for (let i: u32 = 0; i < rem; i++) {
      let c: i32;
      if (INT4) {
        const byte = <i32>load<u8>(e + <usize>(i < H ? i : i - H));
        const nib = i < H ? byte & 15 : byte >> 4;
        c = (nib ^ 8) - 8;
      } else {
        c = <i32>load<i8>(e + <usize>i);
      }
      const v = <f32>c * sv;
      const q = o + (<usize>i << 2);
      if (ACC) store<f32>(q, load<f32>(q) + v);
      else store<f32>(q, v);
    }
  }
}
