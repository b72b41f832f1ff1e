/**
 * Algorithm and compression choices for `algorithm: "auto"` / `compress: "auto"` / `scheme: "auto"`.
 * Every choice is a pure function of (bytes, worldSize, link, codec), so all ranks agree.
 *
 * Without a link model (plain shared memory) the algorithm comes from THRESHOLDS, measured by
 * `npm run bench -w @tensorwire/collectives` (bench/bench.ts; BENCHMARKS.md has the run). With a
 * link model, every candidate's time is estimated as
 *     payload steps · latency + sync steps · SYNC_STEP_SECONDS + bytes read per rank / bandwidth
      + local work (at the rates of LOCAL_BYTES_PER_SEC)
 * and the cheapest wins (the same cost model decides whether compression pays). The candidates are
 * the algorithm registry's (algorithms/registry.ts): every uncompressed algorithm, every scheme.
 */
import { type CodecSpec, bitsPerValue } from "@tensorwire/quant-wasm";
import { ALGORITHM_NAMES, SCHEME_NAMES } from "./algorithms/registry.js";
import type { AlgorithmName, CompressionScheme, LinkModel } from "./types.js";

/**
 * Shared memory, no link model: one-shot up to `oneShotMaxBytes` (per rank message), two-shot above.
 * The ring is never chosen on shared memory: it has 2(p−1) steps for the same bytes as two-shot.
 * Source: BENCHMARKS.md (run of 2026-11-26, `npm run bench`, 2-core Zen 4 VM shared with other
 * builds, load average 6–7), medians of five interleaved rounds:
 * - p = 2: one-shot ≈ two-shot at 4 KiB (3.6 vs 3.7 µs), two-shot faster from 16 KiB (7.4 vs 8.6 µs;
 *   64 KiB 30 vs 40 µs; 1 MiB 0.48 vs 0.67 ms): threshold between, 8 KiB. (At p = 2 both read the
 *   peer's whole message; two-shot halves each rank's summing.)
 * - p = 4 (oversubscribed, wait mode): one-shot faster at 4 and 16 KiB, two-shot from 64 KiB: 32 KiB.
 * - p > 4: not measurable on 2 cores; one-shot reads (p−1)·M, so the crossover falls with p: 16 KiB.
 * - p = 2 revised (2026-11-26, after two-shot's owner push for alloc() views in place; bench-worker
 *   sweep, configs interleaved in one run, three runs): two-shot 2.5 vs one-shot 4.1 µs at 4 KiB, 2.0–3.4
 *   vs 3.1–6.2 µs at 8 KiB, one-shot ahead at 2 KiB (4.0 vs 4.3 µs); with plain arrays the two are
 *   within noise at 4–8 KiB: threshold 2 KiB.
 * - Full run of 2026-11-26 09:28 UTC (quiet machine, BENCHMARKS.md): p = 2 two-shot faster from 4 KiB;
 *   p = 4 one-shot ahead up to 16 KiB, two-shot from 64 KiB: both consistent with the values below.
 */
export const THRESHOLDS: readonly { maxWorldSize: number; oneShotMaxBytes: number }[] = [
  { maxWorldSize: 2, oneShotMaxBytes: 2 * 1024 },
  { maxWorldSize: 4, oneShotMaxBytes: 32 * 1024 },
  { maxWorldSize: Infinity, oneShotMaxBytes: 16 * 1024 },
];

/**
 * Local work throughput (bytes of f32 per rank message processed per second, one thread) for the
 * cost model. The uncompressed rates are whole-algorithm figures: each algorithm's shared-memory
 * time (no link) minus its synchronization, from BENCHMARKS.md, p = 2, 64 KiB – 4 MiB, run of
 * 2026-11-26 09:28 UTC: one-shot 4.2–5.5 GB/s algbw (every rank copies its input out, then sums the
 * whole message), two-shot (owner push) 14–22 GB/s. The first model (copy and sum at 10 GB/s for
 * both) priced one-shot's local work at 1.5× two-shot's where it measures 3–4×, and so kept
 * one-shot on the 25 GB/s link at 64 KiB, where two-shot was 1.24× faster.
 * The codec rates: quant-wasm kernels per f32 byte, between the in-cache and the 16 MiB figures.
 */
export const LOCAL_BYTES_PER_SEC = {
  /** one-shot all-reduce, local part (copy-out + p-way sum), per byte of the message */
  oneShot: 5e9,
  /** two-shot all-reduce (owner push), local part, per byte of the message */
  twoShot: 16e9,
  /** f32 copy (TypedArray.copyWithin) */
  copy: 10e9,
  /** f32 dst += src (quant-wasm f32 dequantize-accumulate, cache-blocked) */
  sum: 10e9,
  /** quantize, per f32 input byte (q8_0 ≈ 6, mxfp4 ≈ 5, nvfp4 ≈ 4 GB/s) */
  quantize: 5e9,
  /** dequantize(-accumulate / -sum), per f32 output byte and input */
  dequantize: 10e9,
} as const;

/**
 * Fixed cost of one synchronization step (publish + the wait for the peers), seconds. Source:
 * BENCHMARKS.md, p = 2, 4 KiB one-shot (one step) ≈ 2–4 µs per call in spin mode on this machine.
 */
export const SYNC_STEP_SECONDS = 2e-6;

interface Cost {
  /** steps that carry payload (each pays the link latency) */
  steps: number;
  /** synchronization steps in all (arrival included), each paying SYNC_STEP_SECONDS */
  syncs: number;
  /** bytes read from peers per rank */
  bytes: number;
  /** local work in seconds */
  local: number;
  /** pipelined: link time overlaps local work (compressed allgather) */
  overlap?: boolean;
}

function uncompressedCost(alg: AlgorithmName, M: number, p: number): Cost {
  const L = LOCAL_BYTES_PER_SEC;
  switch (alg) {
    // the measured p = 2 rates, scaled by the sums each rank does relative to p = 2
    case "one-shot": return { steps: 1, syncs: 1, bytes: (p - 1) * M, local: (M / L.oneShot) * p / 2 };
    case "two-shot": return { steps: 2, syncs: 2, bytes: 2 * (p - 1) / p * M, local: M / L.twoShot };
    case "ring": return { steps: 2 * (p - 1), syncs: 2 * p, bytes: 2 * (p - 1) / p * M, local: (p - 1) * M / p * (1 / L.copy + 1 / L.sum) + 2 * M / L.copy };
  }
}

function compressedCost(scheme: CompressionScheme, M: number, p: number, codec: CodecSpec): Cost {
  const L = LOCAL_BYTES_PER_SEC;
  const c = 32 / bitsPerValue(codec);
  switch (scheme) {
    case "allgather": return { steps: 1, syncs: 1, bytes: (p - 1) * M / c, local: M / L.quantize + p * M / L.dequantize, overlap: true };
    case "two-shot": return { steps: 2, syncs: 2, bytes: 2 * (p - 1) / p * M / c, local: M / L.quantize + M / L.dequantize + M / p / L.quantize + M / L.dequantize };
  }
}

function seconds(cost: Cost, link: LinkModel): number {
  const wire = cost.bytes / link.bandwidthBytesPerSec;
  return cost.steps * link.latencySec + cost.syncs * SYNC_STEP_SECONDS + (cost.overlap ? Math.max(wire, cost.local) : wire + cost.local);
}

/** Modelled seconds of an uncompressed all-reduce of M bytes per rank over the link. */
export function modelAllReduce(alg: AlgorithmName, M: number, p: number, link: LinkModel): number {
  return seconds(uncompressedCost(alg, M, p), link);
}

/** Modelled seconds of a compressed all-reduce of M bytes per rank over the link. */
export function modelCompressed(scheme: CompressionScheme, M: number, p: number, link: LinkModel, codec: CodecSpec): number {
  return seconds(compressedCost(scheme, M, p, codec), link);
}

/** The uncompressed algorithm for `bytes` per rank at world size p. */
export function chooseAlgorithm(bytes: number, p: number, link: LinkModel | null): AlgorithmName {
  if (p <= 2 && !link) return bytes <= THRESHOLDS[0]!.oneShotMaxBytes ? "one-shot" : "two-shot";
  if (!link) {
    const row = THRESHOLDS.find((t) => p <= t.maxWorldSize)!;
    return bytes <= row.oneShotMaxBytes ? "one-shot" : "two-shot";
  }
  let best: AlgorithmName = ALGORITHM_NAMES[0]!;
  let bestT = Infinity;
  for (const a of ALGORITHM_NAMES) {
    const t = modelAllReduce(a, bytes, p, link);
    if (t < bestT) { bestT = t; best = a; }
  }
  return best;
}

/** The compressed scheme: the cheaper one under the link model; without a link, fewer bytes wins. */
export function chooseScheme(bytes: number, p: number, link: LinkModel | null, codec: CodecSpec): CompressionScheme {
  if (p <= 2) return "allgather"; // same bytes at p = 2, and one quantization instead of two
  if (!link) return 32 / bitsPerValue(codec) > p / 2 ? "allgather" : "two-shot";
  // the registry's schemes in order; a tie keeps the earlier one (allgather: one quantization)
  let best: CompressionScheme = SCHEME_NAMES[0]!;
  let bestT = Infinity;
  for (const sch of SCHEME_NAMES) {
    const t = modelCompressed(sch, bytes, p, link, codec);
    if (t < bestT) { bestT = t; best = sch; }
  }
  return best;
}

/**
 * compress: "auto" rule — compress only when a link model is set and the modelled compressed time
 * (best scheme) is below the modelled uncompressed time (best algorithm). On plain shared memory
 * moving f32 is as fast as running any codec, so it never pays.
 */
export function shouldCompress(bytes: number, p: number, link: LinkModel | null, codec: CodecSpec): boolean {
  if (!link || p < 2 || bytes === 0) return false;
  const unc = modelAllReduce(chooseAlgorithm(bytes, p, link), bytes, p, link);
  const sch = chooseScheme(bytes, p, link, codec);
  return modelCompressed(sch, bytes, p, link, codec) < unc;
}
