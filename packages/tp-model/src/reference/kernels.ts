// Scalar TypeScript references of model.wasm's kernels (KERNELS.md): the oracles of
// test/kernels.test.ts. Arrays are plain Float32Arrays with element offsets/strides, W unpacked
// (n rows × k columns) so the matmul oracle does not depend on the panel layout. Allocation-free
// except refPack, which returns a new array.
const f = Math.fround;

/** Floats of a packed n × k weight: ceil(n/16)·16·k (0 when n or k is 0). */
export function refPanelFloats(n: number, k: number): number {
  return n <= 0 || k <= 0 ? 0 : Math.ceil(n / 16) * 16 * k;
}

/** The panel layout by its formula: dst[(p·k + kk)·16 + (j − 16p)] = W[j, kk], zero past n. */
export function refPack(w: Float32Array, ldw: number, n: number, k: number): Float32Array {
  const out = new Float32Array(refPanelFloats(n, k));
  for (let j = 0; j < n; j++) {
    const p = j >> 4;
    for (let kk = 0; kk < k; kk++) out[(p * k + kk) * 16 + (j - 16 * p)] = w[j * ldw + kk]!;
  }
  return out;
}

/**
 * Y[i·ldy + j] = Σ_kk X[i·ldx + kk]·W[j·ldw + kk], accumulated exactly as the SIMD kernel does:
 * acc = 0; for kk = 0..k−1: acc = f32(acc + f32(x·w)). Bit-identical to tm_matmul.
 */
export function refMatmul(
  x: Float32Array, ldx: number, w: Float32Array, ldw: number, n: number, k: number,
  y: Float32Array, ldy: number, m: number,
): void {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let kk = 0; kk < k; kk++) acc = f(acc + f(x[i * ldx + kk]! * w[j * ldw + kk]!));
      y[i * ldy + j] = acc;
    }
  }
}

/** Per row: s = 1/sqrt(Σx²/n + eps) in f64; y = f32(w · f32(x·s)). */
export function refRmsnorm(
  x: Float32Array, ldx: number, w: Float32Array, y: Float32Array, ldy: number, m: number, n: number, eps: number,
): void {
  if (n <= 0) return;
  for (let i = 0; i < m; i++) {
    let ss = 0;
    for (let j = 0; j < n; j++) ss += x[i * ldx + j]! * x[i * ldx + j]!;
    const s = 1 / Math.sqrt(ss / n + f(eps));
    for (let j = 0; j < n; j++) y[i * ldy + j] = f(w[j]! * f(x[i * ldx + j]! * s));
  }
}

/** In place: row i at position pos0+i; pair p of head h: (a, b) → (a·c − b·s, a·s + b·c) in f32. */
export function refRope(
  x: Float32Array, ldx: number, m: number, nHeads: number, headSize: number, pos0: number,
  cos: Float32Array, sin: Float32Array,
): void {
  const half = headSize >> 1;
  for (let i = 0; i < m; i++) {
    for (let h = 0; h < nHeads; h++) {
      for (let p = 0; p < half; p++) {
        const e = i * ldx + h * headSize + 2 * p;
        const c = cos[(pos0 + i) * half + p]!, s = sin[(pos0 + i) * half + p]!;
        const a = x[e]!, b = x[e + 1]!;
        x[e] = f(f(a * c) - f(b * s));
        x[e + 1] = f(f(a * s) + f(b * c));
      }
    }
  }
}

/**
 * Causal attention in f64 (llama2.c's order): local head j = global head headOffset+j uses local KV head
 * floor((headOffset+j)/kvMul) − kvOffset; cache rows kc[t·ldkv + kvh·headSize + d]; row i attends t ≤ pos0+i.
 */
export function refAttention(
  q: Float32Array, ldq: number, kc: Float32Array, vc: Float32Array, ldkv: number, out: Float32Array, ldo: number,
  m: number, pos0: number, nHeads: number, headSize: number, kvMul: number, headOffset: number, kvOffset: number,
): void {
  const scores = new Float64Array(pos0 + m);
  const rs = Math.sqrt(headSize);
  for (let i = 0; i < m; i++) {
    const T = pos0 + i + 1;
    for (let j = 0; j < nHeads; j++) {
      const kvh = Math.floor((headOffset + j) / kvMul) - kvOffset;
      let mx = -Infinity;
      for (let t = 0; t < T; t++) {
        let d = 0;
        for (let e = 0; e < headSize; e++) d += q[i * ldq + j * headSize + e]! * kc[t * ldkv + kvh * headSize + e]!;
        scores[t] = d / rs;
        if (scores[t]! > mx) mx = scores[t]!;
      }
      let sum = 0;
      for (let t = 0; t < T; t++) sum += (scores[t] = Math.exp(scores[t]! - mx));
      for (let e = 0; e < headSize; e++) {
        let o = 0;
        for (let t = 0; t < T; t++) o += (scores[t]! / sum) * vc[t * ldkv + kvh * headSize + e]!;
        out[i * ldo + j * headSize + e] = o;
      }
    }
  }
}

/** out = silu(g)·u = (g / (1 + exp(−g)))·u in f64 (out may alias g). */
export function refSwiglu(g: Float32Array, u: Float32Array, out: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) {
    const x = g[i]!;
    out[i] = (x / (1 + Math.exp(-x))) * u[i]!;
  }
}

/** dst += src in f32 (exact: one rounding, as tm_add). */
export function refAdd(dst: Float32Array, src: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) dst[i] = f(dst[i]! + src[i]!);
}

/** The FLOP count of tm_fma_peak(iters) (8 accumulators × (mul + add) × 4 lanes per iteration). */
export function fmaPeakFlops(iters: number): number {
  return iters * 64;
}
