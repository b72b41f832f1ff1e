// tp-model's model.wasm: the exported ABI (KERNELS.md). Kernels compute and never allocate: the host
// lays out weights, KV cache and activations in this module's (non-shared, growable) memory and passes
// byte pointers; strides are in elements. Every kernel accepts every size, including 0.
import { panelFloats, pack, matmul } from "./gemm";
import { rmsnorm, rope, swiglu, add, expArray } from "./elementwise";
import { attention } from "./attention";
import { fmaPeak } from "./peak";

/** Bumped on any change of an export's meaning or signature (the host checks it). */
export const ABI_VERSION: i32 = 1;

export function tm_abi_version(): i32 {
  return ABI_VERSION;
}

/** First byte of linear memory the host may use (below it: this module's static data). */
export function tm_heap_base(): usize {
  return (__heap_base + 63) & ~63;
}

/** Floats of a packed weight of n outputs × k inputs: ceil(n/16)·16·k. */
export function tm_panel_floats(n: i32, k: i32): i32 {
  return panelFloats(n, k);
}

/** Pack W (n rows × k columns, row stride ldw) into 16-output panels at dst (KERNELS.md §2). */
export function tm_pack(w: usize, ldw: i32, n: i32, k: i32, dst: usize): void {
  pack(w, ldw, n, k, dst);
}

/** Y[i·ldy + j] = Σ_kk X[i·ldx + kk]·W[j, kk] for i < m, j < n; W packed by tm_pack. */
export function tm_matmul(x: usize, ldx: i32, wp: usize, n: i32, k: i32, y: usize, ldy: i32, m: i32): void {
  matmul(x, ldx, wp, n, k, y, ldy, m);
}

/** Per row i < m: y = w ⊙ (x · 1/sqrt(mean(x²) + eps)) over n elements. */
export function tm_rmsnorm(x: usize, ldx: i32, w: usize, y: usize, ldy: i32, m: i32, n: i32, eps: f32): void {
  rmsnorm(x, ldx, w, y, ldy, m, n, eps);
}

/** Rotary embedding in place, adjacent pairs; row i at position pos0 + i; host-built tables. */
export function tm_rope(x: usize, ldx: i32, m: i32, nHeads: i32, headSize: i32, pos0: i32, cosTab: usize, sinTab: usize): void {
  rope(x, ldx, m, nHeads, headSize, pos0, cosTab, sinTab);
}

/** Causal multi-head / grouped-query attention of m query rows at positions pos0.. (KERNELS.md §4). */
export function tm_attention(
  q: usize, ldq: i32, kc: usize, vc: usize, ldkv: i32, out: usize, ldo: i32, m: i32, pos0: i32,
  nHeads: i32, headSize: i32, kvMul: i32, headOffset: i32, kvOffset: i32, scratch: usize,
): void {
  attention(q, ldq, kc, vc, ldkv, out, ldo, m, pos0, nHeads, headSize, kvMul, headOffset, kvOffset, scratch);
}

/** out = silu(g) · u elementwise (out may alias g or u). */
export function tm_swiglu(g: usize, u: usize, out: usize, n: i32): void {
  swiglu(g, u, out, n);
}

/** dst += src elementwise. */
export function tm_add(dst: usize, src: usize, n: i32): void {
  add(dst, src, n);
}

/** dst = exp(src) elementwise with the vectorized exp the kernels use (exposed for testing). */
export function tm_exp(src: usize, dst: usize, n: i32): void {
  expArray(src, dst, n);
}

/** f32x4 mul + add throughput loop: iters · 64 FLOPs (KERNELS.md §6). Returns 32 (even iters) or 56 (odd). */
export function tm_fma_peak(iters: i32): f32 {
  return fmaPeak(iters);
}
