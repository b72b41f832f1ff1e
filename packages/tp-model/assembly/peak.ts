// The machine's wasm SIMD multiply-add peak (KERNELS.md §6): the GEMM's 2 × 16 tile without its weight
// loads. Each iteration broadcasts two f32 from static data (v128.load32_splat, L1 hits, as the GEMM
// broadcasts two rows of X) and updates 8 independent f32x4 accumulators a_rc = a_rc + s_r·w_c
// (r < 2, c < 4) with a separate mul and add; the four w vectors stay in registers. All 8 products are
// distinct expressions (binaryen must not merge any: a shared product would inflate the FLOP count), the
// multiplies do not depend on the accumulators and only the adds chain. FLOPs = 64 · iters
// (8 accumulators × 2 ops × 4 lanes).
//
// Both broadcasts alternate +1, −1 (i even, odd) and every w is 0.5 or 1, so all arithmetic is exact:
// starting at 1, each accumulator lane is 1 after an even number of iterations and 1 + w after an odd
// one. The return value (the sum of all 32 lanes) is therefore 32 for even iters and 56 for odd iters;
// the host checks it, which also keeps the loop from being optimized away. w and s live in static data
// (not v128.const, which V8 rematerializes inside loops).

const K_W: usize = memory.data<f32>([0.5, 0.5, 0.5, 0.5, 1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 1, 1, 1, 1], 16);
const K_S: usize = memory.data<f32>([1.0, -1.0, 1.0, -1.0], 16);

export function fmaPeak(iters: i32): f32 {
  const w0 = v128.load(K_W);
  const w1 = v128.load(K_W, 16);
  const w2 = v128.load(K_W, 32);
  const w3 = v128.load(K_W, 48);
  const one = f32x4.splat(1.0);
  let a0 = one, a1 = one, a2 = one, a3 = one, b0 = one, b1 = one, b2 = one, b3 = one;
  for (let i = 0; i < iters; i++) {
    const p = K_S + (<usize>(i & 1) << 2);
    const s0 = v128.load32_splat(p);
    const s1 = v128.load32_splat(p, 8);
    a0 = f32x4.add(a0, f32x4.mul(s0, w0));
    a1 = f32x4.add(a1, f32x4.mul(s0, w1));
    a2 = f32x4.add(a2, f32x4.mul(s0, w2));
    a3 = f32x4.add(a3, f32x4.mul(s0, w3));
    b0 = f32x4.add(b0, f32x4.mul(s1, w0));
    b1 = f32x4.add(b1, f32x4.mul(s1, w1));
    b2 = f32x4.add(b2, f32x4.mul(s1, w2));
    b3 = f32x4.add(b3, f32x4.mul(s1, w3));
  }
  const t = f32x4.add(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)), f32x4.add(f32x4.add(b0, b1), f32x4.add(b2, b3)));
  return (f32x4.extract_lane(t, 0) + f32x4.extract_lane(t, 1)) + (f32x4.extract_lane(t, 2) + f32x4.extract_lane(t, 3));
}
