// nvfp4: E2M1 elements, block 16, UE4M3 block scale, f32 per-tensor scale S_t (FORMATS.md section 4).
// Layout: f32 S_t, then 9-byte blocks (UE4M3 code, 8 bytes of split-half nibbles).
import { dE2M1 } from "./mf-decode";
import { KC, C_ABS, C_EXPM, C_FMAX, C_ONE, C_LOW, kindConsts, hmax4, encField } from "./mf-encode";
import {
  EK_E2M1, EK_E4M3, encMag, decElem, encodeBlockScalar, decodeBlockScalar,
} from "./mf-scalar";

/** Block scale code and element multiplier for a finite block amax (S_t > 0). */
// @ts-ignore: decorator
@inline function nvScaleCode(amax: f32, st: f32, st6: f32): u32 {
  return encMag(amax / st6, 3, 7, <f32>448.0);
}

/** E4M3 (UE4M3) constants: MAXV 448, EMIN 2^-6, SH23 20<<23 (16 B each). */
const KT_UE4M3: usize = memory.data<u32>([
  0x43e00000, 0x43e00000, 0x43e00000, 0x43e00000, 121 << 23, 121 << 23, 121 << 23, 121 << 23,
  20 << 23, 20 << 23, 20 << 23, 20 << 23,
]);

/** G = max |x| over the finite elements (SIMD max of |x| bits; a second pass only if a non-finite value exists). */
function finiteAmax(src: usize, n: u32): u32 {
  const ABS = v128.load(KC, C_ABS);
  const n4 = n & ~3;
  let m = i32x4.splat(0);
  for (let i: u32 = 0; i < n4; i += 4) m = i32x4.max_u(m, v128.and(v128.load(src + (<usize>i << 2)), ABS));
  let g = max(max(i32x4.extract_lane(m, 0), i32x4.extract_lane(m, 1)) as u32, max(i32x4.extract_lane(m, 2), i32x4.extract_lane(m, 3)) as u32);
  for (let i = n4; i < n; i++) g = max(g, load<u32>(src + (<usize>i << 2)) & 0x7fffffff);
  if (g < 0x7f800000) return g;
  g = 0;
  for (let i: u32 = 0; i < n; i++) {
    const a = load<u32>(src + (<usize>i << 2)) & 0x7fffffff;
    if (a < 0x7f800000 && a > g) g = a;
  }
  return g;
}

/** Scalar block (partial, non-finite, stochastic or subnormal-d blocks). */
function nvBlockScalar(src: usize, n: u32, dst: usize, k: u32, st: f32, st6: f32, stoch: bool, seed: u32): void {
  const first = k << 4;
  const count = <i32>min<u32>(16, n - first);
  const p = src + (<usize>first << 2);
  let amax: u32 = 0;
  for (let i = 0; i < count; i++) {
    const a = load<u32>(p + (<usize>i << 2)) & 0x7fffffff;
    if (a > amax) amax = a;
  }
  let code: u32 = 0;
  let inv: f32 = 0;
  if (amax < 0x7f800000 && st != 0) {
    code = nvScaleCode(reinterpret<f32>(amax), st, st6);
    const d = decElem(code, EK_E4M3) * st;
    inv = d != 0 ? <f32>1.0 / d : <f32>0.0;
  }
  encodeBlockScalar(EK_E2M1, 16, 5, stoch, seed, first, p, count, dst + 4 + <usize>k * 9, inv, code);
}

export function nvfp4Quantize(desc: u32, src: usize, n: u32, dst: usize, seed: u32): i32 {
  const stoch = ((desc >>> 20) & 1) != 0;
  // pass 1: G = max |x| over the finite elements
  const st = reinterpret<f32>(finiteAmax(src, n)) / <f32>2688.0;
  store<f32>(dst, st);
  const st6 = st * <f32>6.0;
  const nBlocks = (n + 15) >> 4;
  let k0: u32 = 0;
  if (!stoch && st != 0) {
    const ng = n >> 6; // groups of 4 full blocks
    k0 = ng << 2;
    const K = KC, T = kindConsts(EK_E2M1), U = KT_UE4M3;
    const ABS = v128.load(K, C_ABS), EXPM = v128.load(K, C_EXPM);
    const MAXV = v128.load(T), EMIN = v128.load(T, 16), K2 = v128.load(T, 64), LOW = v128.load(K, C_LOW);
    const stv = f32x4.splat(st), st6v = f32x4.splat(st6);
    for (let g: u32 = 0; g < ng; g++) {
      const gs = src + (<usize>g << 8);
      const gd = dst + 4 + <usize>g * 36;
      let m0 = i32x4.splat(0), m1 = m0, m2 = m0, m3 = m0;
      for (let v = 0; v < 4; v++) {
        const o = gs + (<usize>v << 4);
        m0 = i32x4.max_u(m0, v128.and(v128.load(o), ABS));
        m1 = i32x4.max_u(m1, v128.and(v128.load(o, 64), ABS));
        m2 = i32x4.max_u(m2, v128.and(v128.load(o, 128), ABS));
        m3 = i32x4.max_u(m3, v128.and(v128.load(o, 192), ABS));
      }
      const r = hmax4(m0, m1, m2, m3);
      // UE4M3 scale codes: the same saturating RNE encoder (M = 3, bias 7, max 448); r4 = decoded value
      const q = f32x4.pmin(f32x4.div(r, st6v), v128.load(U));
      const UEMIN = v128.load(U, 16);
      const e = i32x4.max_s(v128.and(q, EXPM), UEMIN);
      const C = i32x4.add(e, v128.load(U, 32));
      const s = f32x4.add(q, C);
      const code = i32x4.add(i32x4.sub(s, C), i32x4.shr_u(i32x4.sub(e, UEMIN), 20));
      const d = f32x4.mul(f32x4.sub(s, C), stv);
      const inv = v128.and(f32x4.div(v128.load(K, C_ONE), d), f32x4.ne(d, i32x4.splat(0)));
      const fmax = v128.load(K, C_FMAX);
      if (v128.any_true(v128.or(i32x4.gt_s(r, fmax), i32x4.gt_s(inv, fmax)))) {
        for (let j: u32 = 0; j < 4; j++) nvBlockScalar(src, n, dst, (g << 2) + j, st, st6, false, 0);
        continue;
      }
      store<u8>(gd, <u8>i32x4.extract_lane(code, 0));
      store<u8>(gd, <u8>i32x4.extract_lane(code, 1), 9);
      store<u8>(gd, <u8>i32x4.extract_lane(code, 2), 18);
      store<u8>(gd, <u8>i32x4.extract_lane(code, 3), 27);
      encField(gs, gd + 1, i32x4.shuffle(inv, inv, 0, 0, 0, 0), 16, 1, 4, false, ABS, EXPM, MAXV, EMIN, K2, LOW, K);
      encField(gs + 64, gd + 10, i32x4.shuffle(inv, inv, 1, 1, 1, 1), 16, 1, 4, false, ABS, EXPM, MAXV, EMIN, K2, LOW, K);
      encField(gs + 128, gd + 19, i32x4.shuffle(inv, inv, 2, 2, 2, 2), 16, 1, 4, false, ABS, EXPM, MAXV, EMIN, K2, LOW, K);
      encField(gs + 192, gd + 28, i32x4.shuffle(inv, inv, 3, 3, 3, 3), 16, 1, 4, false, ABS, EXPM, MAXV, EMIN, K2, LOW, K);
    }
  }
  for (let k: u32 = k0; k < nBlocks; k++) nvBlockScalar(src, n, dst, k, st, st6, stoch, seed);
  return 0;
}

export function nvfp4Dequantize(desc: u32, src: usize, n: u32, dst: usize, acc: bool): void {
  const st = load<f32>(src);
  const nBlocks = (n + 15) >> 4;
  const nFull = n >> 4;
  if (nFull > 0) dE2M1(src + 4, nFull, dst, 16, 5, acc, st);
  for (let k: u32 = nFull; k < nBlocks; k++) {
    const p = src + 4 + <usize>k * 9;
    const d = decElem(<u32>load<u8>(p), EK_E4M3) * st;
    const first = k << 4;
    const count = <i32>min<u32>(16, n - first);
    decodeBlockScalar(EK_E2M1, 16, p + 1, d, count, dst + (<usize>first << 2), acc);
  }
}
