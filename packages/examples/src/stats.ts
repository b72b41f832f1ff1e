// Robust summaries of repeated timings (median and spread), shared by the demo and the benchmarks.

/** The q-quantile (0 ≤ q ≤ 1) of `values` by linear interpolation between order statistics (R type 7). */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) throw new RangeError("quantile of an empty list");
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile q must be in [0, 1], got ${q}`);
  const s = [...values].sort((a, b) => a - b);
  const h = (s.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(s.length - 1, lo + 1);
  return s[lo]! + (h - lo) * (s[hi]! - s[lo]!);
}

/** Median, quartiles and range of a sample. */
export interface Summary {
  n: number;
  median: number;
  p25: number;
  p75: number;
  min: number;
  max: number;
}

/** Summary of a non-empty sample. */
export function summarize(values: readonly number[]): Summary {
  return {
    n: values.length,
    median: quantile(values, 0.5),
    p25: quantile(values, 0.25),
    p75: quantile(values, 0.75),
    min: Math.min(...values),
    max: Math.max(...values),
  };
}

/**
 * The time of a collective per repetition: the slowest rank's time of each call (a collective ends
 * when its last rank does). `perRank[r][i]` is rank r's time of call i; all ranks must have equally many.
 */
export function maxOverRanks(perRank: readonly (readonly number[])[]): number[] {
  if (perRank.length === 0) return [];
  const n = perRank[0]!.length;
  for (const t of perRank) if (t.length !== n) throw new RangeError(`ranks report ${n} and ${t.length} timings`);
  return Array.from({ length: n }, (_, i) => Math.max(...perRank.map((t) => t[i]!)));
}
