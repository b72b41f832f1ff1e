// Error metrics of a lossy round trip, accumulated in f64.

export interface ErrorMetrics {
  /** Relative RMSE ||approx − ref||₂ / ||ref||₂ over the finite pairs (0 when both norms are 0). */
  relRmse: number;
  /** Signal-to-quantization-noise ratio 10·log10(Σref² / Σ(approx − ref)²) in dB (+Infinity when exact). */
  sqnrDb: number;
  /** max |approx_i − ref_i| over the finite pairs. */
  maxAbsErr: number;
  /** Number of pairs compared (= ref.length). */
  n: number;
  /** Pairs where ref_i or approx_i is NaN or ±Inf; they are excluded from the three figures above. */
  nonFinite: number;
}

/** Compare `approx` with `ref` (same length). */
export function errorMetrics(ref: ArrayLike<number>, approx: ArrayLike<number>): ErrorMetrics {
  const n = ref.length;
  if (approx.length !== n) throw new RangeError(`errorMetrics: lengths differ (${n} vs ${approx.length})`);
  let signal = 0;
  let noise = 0;
  let maxAbsErr = 0;
  let nonFinite = 0;
  for (let i = 0; i < n; i++) {
    const r = ref[i]!;
    const a = approx[i]!;
    if (!Number.isFinite(r) || !Number.isFinite(a)) {
      nonFinite++;
      continue;
    }
    const e = a - r; // exact in f64 for f32 inputs
    signal += r * r;
    noise += e * e;
    const ae = Math.abs(e);
    if (ae > maxAbsErr) maxAbsErr = ae;
  }
  const relRmse = noise === 0 ? 0 : Math.sqrt(noise) / Math.sqrt(signal); // signal 0, noise > 0: Infinity
  const sqnrDb = noise === 0 ? Infinity : 10 * Math.log10(signal / noise); // signal 0: -Infinity
  return { relRmse, sqnrDb, maxAbsErr, n, nonFinite };
}
