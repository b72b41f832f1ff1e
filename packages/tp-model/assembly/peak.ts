// The machine's wasm SIMD multiply-add peak (KERNELS.md §6), in the GEMM's instruction mix without its
// weight loads: each iteration broadcasts one f32 from static data (v128.load32_splat, an L1 hit, as the
// GEMM broadcasts X) and updates 10 independent f32x4 accumulators a_c = a_c + s·w_(c mod 4) with a
// separate mul and add; the four w vectors stay in registers. The multiplies do not depend on the
// accumulators, so only the adds form chains (10 chains cover the add latency of current x86 and Arm
// cores). FLOPs = iters · 10 chains · 2 ops · 4 lanes = 80 · iters.
//
// s alternates +1, −1 (i even, odd) and every w is 0.5 or 1, so all arithmetic is exact: starting at 1,
// each accumulator lane is 1 after an even number of iterations and 1 + w after an odd one. The return
// value (the sum of all 40 lanes) is therefore 40 for even iters and 70 for odd iters; the host checks it,
// which also keeps the loop from being optimized away. w and s live in static data (not v128.const,
// which V8 rematerializes inside loops).

const K_W: usize = memory.data<f32>([0.5, 0.5, 0.5, 0.5, 1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 1, 1, 1, 1], 16);
const K_S: usize = memory.data<f32>([1.0, -1.0, 0, 0], 16);

export function fmaPeak(iters: i32): f32 {
  const w0 = v128.load(K_W);
  const w1 = v128.load(K_W, 16);
  const w2 = v128.load(K_W, 32);
  const w3 = v128.load(K_W, 48);
  const one = f32x4.splat(1.0);
  let a0 = one, a1 = one, a2 = one, a3 = one, a4 = one, a5 = one, a6 = one, a7 = one, a8 = one, a9 = one;
  for (let i = 0; i < iters; i++) {
    const s = v128.load32_splat(K_S + (<usize>(i & 1) << 2));
    a0 = f32x4.add(a0, f32x4.mul(s, w0));
    a1 = f32x4.add(a1, f32x4.mul(s, w1));
    a2 = f32x4.add(a2, f32x4.mul(s, w2));
    a3 = f32x4.add(a3, f32x4.mul(s, w3));
    a4 = f32x4.add(a4, f32x4.mul(s, w0));
    a5 = f32x4.add(a5, f32x4.mul(s, w1));
    a6 = f32x4.add(a6, f32x4.mul(s, w2));
    a7 = f32x4.add(a7, f32x4.mul(s, w3));
    a8 = f32x4.add(a8, f32x4.mul(s, w0));
    a9 = f32x4.add(a9, f32x4.mul(s, w1));
  }
  const t = f32x4.add(
    f32x4.add(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)), f32x4.add(f32x4.add(a4, a5), f32x4.add(a6, a7))),
    f32x4.add(a8, a9),
  );
  return (f32x4.extract_lane(t, 0) + f32x4.extract_lane(t, 1)) + (f32x4.extract_lane(t, 2) + f32x4.extract_lane(t, 3));
}
