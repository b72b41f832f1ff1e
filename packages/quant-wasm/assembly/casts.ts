// Casts (FORMATS.md sections 2 and 5): f32 passthrough, IEEE binary16 and bfloat16, RNE,
// overflow to ±Inf, NaN -> quiet NaN with the input's sign. Decoding is exact.
import { descFormat, FMT_F32, FMT_FP16 } from "./formats";
import { f32ToF16, f16ToF32, f32ToBF16 } from "./half";
import {
  K_ABS, K_TO_INF, K_TO_ZERO, K_EXP, K_MINBIAS, K_BIASADD, K_7C00, K_FFF, K_7E00, K_8000,
  K_F16EM, K_2P112, K_F16INF, K_7FFF, K_I1, K_7FC0,
  f16EncodeV, f16DecodeV,
} from "./simd-util";

/** Encode n f32 values at src into dst (f32 copy, fp16 or bf16 codes). Never clips: returns 0. */
export function castQuantize(desc: u32, src: usize, n: u32, dst: usize): i32 {
  const fmt = descFormat(desc);
  if (fmt == FMT_F32) {
    memory.copy(dst, src, <usize>n << 2);
    return 0;
  }
  if (fmt == FMT_FP16) encodeFp16(src, n, dst);
  else encodeBf16(src, n, dst);
  return 0;
}

/** Decode n values into dst (acc: dst += value, one f32 add per element). */
export function castDequantize(desc: u32, src: usize, n: u32, dst: usize, acc: bool): void {
  const fmt = descFormat(desc);
  if (fmt == FMT_F32) {
    if (acc) accumulateF32(src, n, dst);
    else memory.copy(dst, src, <usize>n << 2);
    return;
  }
  if (fmt == FMT_FP16) {
    if (acc) decodeFp16Acc(src, n, dst);
    else decodeFp16Set(src, n, dst);
  } else {
    if (acc) decodeBf16Acc(src, n, dst);
    else decodeBf16Set(src, n, dst);
  }
}

function accumulateF32(src: usize, n: u32, dst: usize): void {
  const end = <usize>n << 2;
  let i: usize = 0;
  for (; i + 32 <= end; i += 32) {
    const a = f32x4.add(v128.load(dst + i), v128.load(src + i));
    const b = f32x4.add(v128.load(dst + i, 16), v128.load(src + i, 16));
    v128.store(dst + i, a);
    v128.store(dst + i, b, 16);
  }
  for (; i < end; i += 4) store<f32>(dst + i, load<f32>(dst + i) + load<f32>(src + i));
}

function encodeFp16(src: usize, n: u32, dst: usize): void {
  const cAbs = v128.load(K_ABS), cToInf = v128.load(K_TO_INF), cToZero = v128.load(K_TO_ZERO);
  const cExp = v128.load(K_EXP), cMinBias = v128.load(K_MINBIAS), cBiasAdd = v128.load(K_BIASADD);
  const c7C00 = v128.load(K_7C00), cFFF = v128.load(K_FFF), c7E00 = v128.load(K_7E00), c8000 = v128.load(K_8000);
  const nv = <usize>(n & ~7);
  let i: usize = 0;
  const cLo = i32x4.splat(0x38800000), cHi = i32x4.splat(0x477fefff); // |x| in [2^-14, 65520)
  const cRnd = i32x4.splat(0xc8000fff), c1 = v128.load(K_I1);
  for (; i < nv; i += 8) {
    const s = src + (i << 2);
    const x0 = v128.load(s), x1 = v128.load(s, 16);
    const a0 = v128.and(x0, cAbs), a1 = v128.and(x1, cAbs);
    let lo: v128, hi: v128;
    if (!v128.any_true(v128.or(i32x4.lt_s(i32x4.min_s(a0, a1), cLo), i32x4.gt_s(i32x4.max_s(a0, a1), cHi)))) {
      // all 8 results are normal fp16 numbers: rebias the exponent (−112 << 23) and round the 13
      // dropped bits to nearest even with one integer add: a + 0xFFF + odd − (112 << 23), >> 13
      lo = i32x4.shr_u(i32x4.add(i32x4.add(a0, cRnd), v128.and(i32x4.shr_u(a0, 13), c1)), 13);
      hi = i32x4.shr_u(i32x4.add(i32x4.add(a1, cRnd), v128.and(i32x4.shr_u(a1, 13), c1)), 13);
      lo = v128.or(lo, v128.and(i32x4.shr_u(x0, 16), c8000));
      hi = v128.or(hi, v128.and(i32x4.shr_u(x1, 16), c8000));
    } else {
      lo = f16EncodeV(x0, cAbs, cToInf, cToZero, cExp, cMinBias, cBiasAdd, c7C00, cFFF, c7E00, c8000);
      hi = f16EncodeV(x1, cAbs, cToInf, cToZero, cExp, cMinBias, cBiasAdd, c7C00, cFFF, c7E00, c8000);
    }
    v128.store(dst + (i << 1), i16x8.narrow_i32x4_u(lo, hi));
  }
  for (; i < <usize>n; i++) store<u16>(dst + (i << 1), <u16>f32ToF16(load<f32>(src + (i << 2))));
}

function encodeBf16(src: usize, n: u32, dst: usize): void {
  const cAbs = v128.load(K_ABS), cExp = v128.load(K_EXP), c7FFF = v128.load(K_7FFF), c1 = v128.load(K_I1);
  const c7FC0 = v128.load(K_7FC0), c8000 = v128.load(K_8000);
  const nv = <usize>(n & ~7);
  let i: usize = 0;
  for (; i < nv; i += 8) {
    const s = src + (i << 2);
    const lo = bf16V(v128.load(s), cAbs, cExp, c7FFF, c1, c7FC0, c8000);
    const hi = bf16V(v128.load(s, 16), cAbs, cExp, c7FFF, c1, c7FC0, c8000);
    v128.store(dst + (i << 1), i16x8.narrow_i32x4_u(lo, hi));
  }
  for (; i < <usize>n; i++) store<u16>(dst + (i << 1), <u16>f32ToBF16(load<f32>(src + (i << 2))));
}

/** bf16 RNE: (b + 0x7FFF + ((b >> 16) & 1)) >> 16 (overflow rounds into ±Inf); NaN -> 0x7FC0 | sign. */
// @ts-ignore: decorator
@inline function bf16V(b: v128, cAbs: v128, cExp: v128, c7FFF: v128, c1: v128, c7FC0: v128, c8000: v128): v128 {
  const hi = i32x4.shr_u(b, 16);
  const r = i32x4.shr_u(i32x4.add(i32x4.add(b, c7FFF), v128.and(hi, c1)), 16);
  const nan = i32x4.gt_s(v128.and(b, cAbs), cExp);
  return v128.bitselect(v128.or(c7FC0, v128.and(hi, c8000)), r, nan);
}

function decodeFp16Acc(src: usize, n: u32, dst: usize): void { decodeHalf(src, n, dst, true, false); }
function decodeFp16Set(src: usize, n: u32, dst: usize): void { decodeHalf(src, n, dst, false, false); }
function decodeBf16Acc(src: usize, n: u32, dst: usize): void { decodeHalf(src, n, dst, true, true); }
function decodeBf16Set(src: usize, n: u32, dst: usize): void { decodeHalf(src, n, dst, false, true); }

/** 16-bit codes (fp16, or bf16 = the top half of an f32) -> f32, stored or added (ACC). */
// @ts-ignore: decorator
@inline function decodeHalf(src: usize, n: u32, dst: usize, ACC: bool, BF16: bool): void {
  const cEm = v128.load(K_F16EM), c2p112 = v128.load(K_2P112), cInf = v128.load(K_F16INF);
  const cExp = v128.load(K_EXP), c8000 = v128.load(K_8000);
  const nv = <usize>(n & ~7);
  let i: usize = 0;
  for (; i < nv; i += 8) {
    const s = src + (i << 1), d = dst + (i << 2);
    const ha = v128.load16x4_u(s), hb = v128.load16x4_u(s, 8);
    let a = BF16 ? i32x4.shl(ha, 16) : f16DecodeV(ha, cEm, c2p112, cInf, cExp, c8000);
    let b = BF16 ? i32x4.shl(hb, 16) : f16DecodeV(hb, cEm, c2p112, cInf, cExp, c8000);
    if (ACC) {
      a = f32x4.add(v128.load(d), a);
      b = f32x4.add(v128.load(d, 16), b);
    }
    v128.store(d, a);
    v128.store(d, b, 16);
  }
  for (; i < <usize>n; i++) {
    const h = <u32>load<u16>(src + (i << 1));
    const v = BF16 ? reinterpret<f32>(h << 16) : f16ToF32(h);
    const p = dst + (i << 2);
    if (ACC) store<f32>(p, load<f32>(p) + v);
    else store<f32>(p, v);
  }
}
