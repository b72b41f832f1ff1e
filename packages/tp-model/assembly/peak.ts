// The machine's wasm SIMD multiply-add peak (KERNELS.md §6): 12 independent f32x4 chains, each
// iteration a_c = a_c·m + c (one f32x4.mul and one f32x4.add per chain, the GEMM's instruction mix),
// registers only. FLOPs = iters · 12 chains · 2 ops · 4 lanes = 96 · iters. With m = 0.5, c = 1 each
// lane converges to 2 (no overflow, no subnormals), so the returned lane sum is 96 after ≥ 64 iterations.
// m and c are loaded from static data (not v128.const, which V8 rematerializes inside loops).

const K_M: usize = memory.data<f32>([0.5, 0.5, 0.5, 0.5], 16);
const K_C: usize = memory.data<f32>([1.0, 1.0, 1.0, 1.0], 16);

export function fmaPeak(iters: i32): f32 {
  const mv = v128.load(K_M);
  const cv = v128.load(K_C);
  let a0 = f32x4.splat(0.0), a1 = f32x4.splat(0.1), a2 = f32x4.splat(0.2), a3 = f32x4.splat(0.3);
  let a4 = f32x4.splat(0.4), a5 = f32x4.splat(0.5), a6 = f32x4.splat(0.6), a7 = f32x4.splat(0.7);
  let a8 = f32x4.splat(0.8), a9 = f32x4.splat(0.9), a10 = f32x4.splat(1.1), a11 = f32x4.splat(1.2);
  for (let i = 0; i < iters; i++) {
    a0 = f32x4.add(f32x4.mul(a0, mv), cv);
    a1 = f32x4.add(f32x4.mul(a1, mv), cv);
    a2 = f32x4.add(f32x4.mul(a2, mv), cv);
    a3 = f32x4.add(f32x4.mul(a3, mv), cv);
    a4 = f32x4.add(f32x4.mul(a4, mv), cv);
    a5 = f32x4.add(f32x4.mul(a5, mv), cv);
    a6 = f32x4.add(f32x4.mul(a6, mv), cv);
    a7 = f32x4.add(f32x4.mul(a7, mv), cv);
    a8 = f32x4.add(f32x4.mul(a8, mv), cv);
    a9 = f32x4.add(f32x4.mul(a9, mv), cv);
    a10 = f32x4.add(f32x4.mul(a10, mv), cv);
    a11 = f32x4.add(f32x4.mul(a11, mv), cv);
  }
  const s = f32x4.add(
    f32x4.add(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)), f32x4.add(f32x4.add(a4, a5), f32x4.add(a6, a7))),
    f32x4.add(f32x4.add(a8, a9), f32x4.add(a10, a11)),
  );
  return (f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1)) + (f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3));
}
