// Vectorized exp for f32x4 (Cephes expf): n = round(x·log2 e), r = x − n·ln2 (two-part ln2, exact
// n·C1), e^r by a degree-6 polynomial on |r| ≤ ln2/2, then ·2^n applied as two power-of-two factors
// 2^(n>>1)·2^(n−(n>>1)) so that results near the f32 range ends (n = −150 … 128) are scaled without
// overflowing the exponent field. Accurate to ≈ 1–2 ulp (test/kernels.test.ts sweeps it against
// Math.exp). Edge cases: x > 88.7228 → +Inf, x < −103.98 → +0 (−Inf → 0), NaN → NaN.

// @ts-ignore: decorator
@inline export function vexp(x: v128): v128 {
  const big = f32x4.gt(x, f32x4.splat(88.72283935546875));
  const xc = f32x4.min(f32x4.max(x, f32x4.splat(-104.0)), f32x4.splat(89.0));
  const n = f32x4.nearest(f32x4.mul(xc, f32x4.splat(1.44269504088896341)));
  let r = f32x4.sub(xc, f32x4.mul(n, f32x4.splat(0.693359375)));
  r = f32x4.add(r, f32x4.mul(n, f32x4.splat(2.12194440e-4)));
  let p = f32x4.splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(5.0000001201e-1));
  const y = f32x4.add(f32x4.add(f32x4.mul(f32x4.mul(p, r), r), r), f32x4.splat(1.0));
  const ni = i32x4.trunc_sat_f32x4_s(n);
  const n1 = i32x4.shr_s(ni, 1);
  const n2 = i32x4.sub(ni, n1);
  const s1 = i32x4.shl(i32x4.add(n1, i32x4.splat(127)), 23);
  const s2 = i32x4.shl(i32x4.add(n2, i32x4.splat(127)), 23);
  const e = f32x4.mul(f32x4.mul(y, s1), s2);
  return v128.bitselect(f32x4.splat(Infinity), e, big);
}
