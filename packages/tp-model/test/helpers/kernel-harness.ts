// Helpers for test/kernels.test.ts: a seeded RNG, copying arrays in and out of model.wasm's memory,
// and float comparisons (bitwise and by tolerance) that report the first mismatching index.
import type { ModelKernels } from "../../src/kernels.js";

/** mulberry32: a small seeded uniform generator in [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n uniform floats in [−scale, scale). */
export function randomArray(r: () => number, n: number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (r() * 2 - 1) * scale;
  return a;
}

/** Copy `a` into freshly allocated kernel memory; returns the byte pointer. */
export function put(k: ModelKernels, a: Float32Array): number {
  const p = k.alloc(a.length);
  k.f32().set(a, p >>> 2);
  return p;
}

/** Allocate n floats filled with `fill` (a canary to detect writes outside the intended region). */
export function filled(k: ModelKernels, n: number, fill: number): number {
  const p = k.alloc(n);
  k.f32().fill(fill, p >>> 2, (p >>> 2) + n);
  return p;
}

/** A copy of n floats at byte pointer p. */
export function get(k: ModelKernels, p: number, n: number): Float32Array {
  return k.f32().slice(p >>> 2, (p >>> 2) + n);
}

/** Index of the first element whose bits differ (NaN = NaN), or −1. */
export function firstBitDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < a.length; i++) {
    if (ua[i] !== ub[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return i;
  }
  return -1;
}

/** Index of the first element with |a − b| > abs + rel·|b| (or a non-finite mismatch), or −1. */
export function firstClose(a: ArrayLike<number>, b: ArrayLike<number>, rel: number, abs: number): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!, y = b[i]!;
    if (x === y) continue;
    if (!(Math.abs(x - y) <= abs + rel * Math.abs(y))) return i;
  }
  return -1;
}
