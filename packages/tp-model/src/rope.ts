// RoPE tables (adjacent-pair rotation, as llama2.c and GGUF `llama` use). run.c computes, in f32,
// freq = 1 / powf(base, 2p / head_size), val = pos · freq, then cosf(val), sinf(val) for pair p of
// every head; the tables hold exactly those values for positions [0, seqLen), row-major
// [pos][headSize / 2], so kernels rotate without transcendental functions.
const f = Math.fround;

export interface RopeTables {
  readonly cos: Float32Array;
  readonly sin: Float32Array;
  readonly half: number;
}

/** cos/sin tables of `seqLen` positions for heads of `headSize` (even) with frequency base `theta`. */
export function ropeTables(seqLen: number, headSize: number, theta: number): RopeTables {
  const half = headSize >> 1;
  const cos = new Float32Array(seqLen * half);
  const sin = new Float32Array(seqLen * half);
  const freqs = new Float32Array(half);
  for (let p = 0; p < half; p++) freqs[p] = f(1 / f(Math.pow(f(theta), f((2 * p) / headSize))));
  for (let pos = 0; pos < seqLen; pos++) {
    for (let p = 0; p < half; p++) {
      const val = f(pos * freqs[p]!);
      cos[pos * half + p] = Math.cos(val);
      sin[pos * half + p] = Math.sin(val);
    }
  }
  return { cos, sin, half };
}
