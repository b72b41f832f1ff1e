// The latency study's arithmetic: the paired ratio and the one-parameter model fit, against closed forms.
import { describe, expect, it } from "vitest";
import { type LatencyPoint, fitLatencyModel, pairedRatio } from "../src/studies/latency.js";

const point = (label: string, bw: number | null, lat: number, bytes: number, samples: number[]): LatencyPoint => {
  const s = [...samples].sort((a, b) => a - b);
  return {
    label, link: bw === null ? "shm" : `${bw}`, bandwidthBytesPerSec: bw, latencySec: lat, prefillBytes: bytes, modelMs: NaN,
    ttft: { median: s[s.length >> 1]!, min: s[0]!, max: s[s.length - 1]!, samples },
    commMs: 0, codecMs: 0, linkMs: 0, computeMs: 0, compressionRatio: 1, decodeTokPerSec: NaN,
  };
};

describe("latency study arithmetic", () => {
  it("pairedRatio is the median of the per-repetition ratios", () => {
    expect(pairedRatio([10, 20, 30], [5, 5, 5])).toBe(4);
    expect(pairedRatio([2, 4, 9, 8], [1, 1, 3, 1])).toBe(3.5); // ratios 2, 4, 3, 8 → sorted 2, 3, 4, 8 → (3 + 4) / 2
    expect(pairedRatio([1, 100], [1, 100, 7])).toBe(1); // only paired repetitions count
  });

  it("recovers T0 exactly when the measurements follow the model", () => {
    const calls = 10, T0 = 40;
    const links: [number | null, number][] = [[null, 0], [1.25e9, 20e-6], [1.25e8, 50e-6], [1.25e6, 20e-6]];
    const pts = links.map(([bw, lat]) => {
      const bytes = 1 << 20;
      const m = T0 + (bw ? (1000 * bytes) / bw + 1000 * calls * lat : 0);
      return point("none", bw, lat, bytes, [m, m, m]);
    });
    const t0 = fitLatencyModel(pts, ["none"], calls);
    expect(t0.none).toBeCloseTo(T0, 9);
    for (const p of pts) expect(p.modelMs / p.ttft.median).toBeCloseTo(1, 12);
  });

  it("fits in relative error: the closed form Σ (m − wire)/m² / Σ 1/m²", () => {
    // wire 0 and 900 ms, measured 110 and 990: T0 = (110/110² + 90/990²) / (1/110² + 1/990²) ≈ 109.76 —
    // the short TTFT is fitted almost exactly (an absolute fit would give T0 = 100, 9% off on it)
    const pts = [point("v", null, 0, 0, [110]), point("v", 1e6, 0, 900_000, [990])];
    const t0 = fitLatencyModel(pts, ["v"], 0);
    expect(t0.v).toBeCloseTo((1 / 110 + 90 / 990 ** 2) / (1 / 110 ** 2 + 1 / 990 ** 2), 9);
    expect(pts[1]!.modelMs).toBeCloseTo(t0.v! + 900, 9);
  });
});
