// The kernel part of tp-model's benchmark (single thread): the wasm SIMD multiply-add peak of this
// machine (tm_fma_peak, register-only), GEMM GFLOP/s at 512×2048×2048 and the model shapes beside a
// scalar-JS GEMM of the same shape and the peak, and decode GEMV (m = 1) GFLOP/s and GB/s of weights
// streamed. Everything is warmed up first (V8's baseline tier is slower); figures are medians.
//   node dist/bench/kernels.js [--quick]
import { fileURLToPath } from "node:url";
import { FMA_PEAK_FLOPS_PER_ITER, type ModelKernels, fmaPeakExpected, loadModelKernels } from "@tensorwire/tp-model";
import { spread } from "@tensorwire/tp-model/node";

export interface KernelBenchOptions {
  /** small m and few repetitions (a smoke run, seconds) */
  quick?: boolean;
  /** timed repetitions per figure (median reported); default 5, quick 3 */
  reps?: number;
  /** progress lines */
  log?: (line: string) => void;
}

export interface KernelBenchRow {
  /** "peak", "gemm" or "gemv" */
  readonly kind: "peak" | "gemm" | "gemv";
  /** e.g. "dim 2048 → 2048" or "stories260K 64 → 172" */
  readonly label: string;
  readonly m: number;
  /** inputs */
  readonly k: number;
  /** outputs */
  readonly n: number;
  /** wasm SIMD GFLOP/s (median) */
  readonly gflops: number;
  /**
   * fraction of the peak: median rate / the highest tm_fma_peak rate seen in the run (measured before,
   * after, and in short runs between the repetitions) — conservative: load on the machine can only
   * understate it
   */
  readonly ofPeak: number;
  /** fastest repetition's rate / the highest peak rate (best against best), for gemm rows */
  readonly bestOfPeak?: number;
  /**
   * median over repetitions of (this repetition's rate / the peak measured just before it), for gemm
   * rows: on a machine whose speed drifts (a shared VM), the pair sees the same conditions
   */
  readonly pairedOfPeak?: number;
  /** scalar-JS GFLOP/s of the same k → n (run at scalarM rows), for gemm rows */
  readonly scalarGflops?: number;
  readonly scalarM?: number;
  /** GB/s of packed weights streamed, for gemv rows */
  readonly weightGBps?: number;
}

export interface KernelBenchResult {
  readonly peakGflops: number;
  readonly rows: readonly KernelBenchRow[];
  readonly markdown: string;
}


/** Median seconds of `reps` runs of fn after `warm` untimed runs. */
function time(fn: () => void, reps: number, warm: number): number {
  for (let i = 0; i < warm; i++) fn();
  const t: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    t.push((performance.now() - t0) / 1000);
  }
  return spread(t).median;
}

/**
 * Median seconds of `reps` runs of fn, each preceded by a short tm_fma_peak run; `peak` is the highest
 * peak rate (GFLOP/s) among those runs.
 */
function timeWithPeak(fn: () => void, reps: number, warm: number, k: ModelKernels, flop: number): { t: number; best: number; peak: number; paired: number } {
  for (let i = 0; i < warm; i++) fn();
  const PAIR_ITERS = 1_000_001;
  const ts: number[] = [];
  const ratios: number[] = [];
  let peak = 0;
  for (let i = 0; i < reps; i++) {
    const p0 = performance.now();
    const check = k.fmaPeak(PAIR_ITERS);
    const p1 = performance.now();
    if (check !== fmaPeakExpected(PAIR_ITERS)) throw new Error(`tm_fma_peak returned ${check}`);
    const pk = (PAIR_ITERS * FMA_PEAK_FLOPS_PER_ITER) / ((p1 - p0) / 1000) / 1e9;
    peak = Math.max(peak, pk);
    fn();
    const t = (performance.now() - p1) / 1000;
    ts.push(t);
    ratios.push(flop / t / 1e9 / pk);
  }
  return { t: spread(ts).median, best: Math.min(...ts), peak, paired: spread(ratios).median };
}

/** The natural scalar-JS GEMM: y[i, j] = Σ x[i, kk]·w[j, kk], W row-major, both rows contiguous. */
function scalarGemm(x: Float32Array, w: Float32Array, y: Float32Array, m: number, n: number, k: number): void {
  for (let i = 0; i < m; i++) {
    const xo = i * k;
    for (let j = 0; j < n; j++) {
      const wo = j * k;
      let acc = 0;
      for (let kk = 0; kk < k; kk++) acc += x[xo + kk]! * w[wo + kk]!;
      y[i * n + j] = acc;
    }
  }
}

function fill(k: ModelKernels, p: number, n: number, seed: number): void {
  const f = k.f32();
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    f[(p >>> 2) + i] = (s / 2 ** 32) * 2 - 1;
  }
}

interface Shape {
  label: string;
  k: number;
  n: number;
}

const BIG: Shape[] = [
  { label: "dim 2048 → 2048 (q, o)", k: 2048, n: 2048 },
  { label: "dim 2048 → 512 (k, v)", k: 2048, n: 512 },
  { label: "dim 2048 → 5632 (gate, up)", k: 2048, n: 5632 },
  { label: "hidden 5632 → 2048 (down)", k: 5632, n: 2048 },
];
const SMALL: Shape[] = [
  { label: "stories260K 64 → 64", k: 64, n: 64 },
  { label: "stories260K 64 → 172", k: 64, n: 172 },
  { label: "stories260K 172 → 64", k: 172, n: 64 },
  { label: "stories260K 64 → 512", k: 64, n: 512 },
];

/** Run the kernel benchmark; returns the rows and a markdown table. */
export async function runKernelBench(opts: KernelBenchOptions = {}): Promise<KernelBenchResult> {
  const quick = opts.quick ?? false;
  const reps = opts.reps ?? (quick ? 3 : 5);
  const log = opts.log ?? (() => {});
  const k = await loadModelKernels();
  await k.warmUp();
  const rows: KernelBenchRow[] = [];

  // --- peak (measured before and after the GEMMs; the higher figure is used, the conservative choice
  // for the GEMM's fraction of peak on a machine whose load varies)
  const iters = quick ? 2_000_001 : 10_000_001;
  const measurePeak = (): number => {
    let check = 0;
    const t = time(() => {
      check = k.fmaPeak(iters);
    }, reps, 2);
    if (check !== fmaPeakExpected(iters)) throw new Error(`tm_fma_peak returned ${check}, expected ${fmaPeakExpected(iters)}`);
    return (iters * FMA_PEAK_FLOPS_PER_ITER) / t / 1e9;
  };
  const peakBefore = measurePeak();
  let peak = peakBefore;
  log(`peak ${peak.toFixed(1)} GFLOP/s`);

  // --- GEMM
  const M = quick ? 64 : 512;
  const gemm = (s: Shape, m: number, scalarM: number): void => {
    const mark = k.mark();
    const x = k.alloc(m * s.k), w = k.alloc(s.n * s.k), wp = k.alloc(k.panelFloats(s.n, s.k)), y = k.alloc(m * s.n);
    fill(k, x, m * s.k, 1);
    fill(k, w, s.n * s.k, 2);
    k.pack(w, s.k, s.n, s.k, wp);
    const flop = 2 * m * s.n * s.k;
    const { t, best, peak: p, paired } = timeWithPeak(() => k.matmul(x, s.k, wp, s.n, s.k, y, s.n, m), reps, 2, k, flop);
    peak = Math.max(peak, p);
    const f = k.f32();
    const xs = f.slice(x >>> 2, (x >>> 2) + scalarM * s.k), ws = f.slice(w >>> 2, (w >>> 2) + s.n * s.k);
    const ys = new Float32Array(scalarM * s.n);
    const ts = time(() => scalarGemm(xs, ws, ys, scalarM, s.n, s.k), quick ? 1 : 3, 1);
    k.release(mark);
    const row: KernelBenchRow = {
      kind: "gemm", label: s.label, m, k: s.k, n: s.n, gflops: flop / t / 1e9, ofPeak: 0, bestOfPeak: flop / best / 1e9, pairedOfPeak: paired,
      scalarGflops: (2 * scalarM * s.n * s.k) / ts / 1e9, scalarM,
    };
    rows.push(row);
    log(`gemm ${s.label} m=${m}: ${row.gflops.toFixed(1)} GFLOP/s, scalar ${row.scalarGflops!.toFixed(2)}`);
  };
  for (const s of BIG) gemm(s, M, quick ? 4 : 16);
  for (const s of SMALL) gemm(s, M, M);

  // --- GEMV (decode): cycle through enough weight copies to exceed the last-level cache, so the
  // weights stream from memory as they do in a real decode step.
  for (const s of BIG) {
    const mark = k.mark();
    const pf = k.panelFloats(s.n, s.k);
    const copies = Math.max(1, Math.ceil((quick ? 16 : 128) * 2 ** 20 / (pf * 4)));
    const x = k.alloc(s.k), y = k.alloc(s.n);
    fill(k, x, s.k, 3);
    const wps: number[] = [];
    for (let c = 0; c < copies; c++) {
      const wp = k.alloc(pf);
      fill(k, wp, pf, 4 + c);
      wps.push(wp);
    }
    let c = 0;
    const t = time(() => {
      k.matmul(x, s.k, wps[c]!, s.n, s.k, y, s.n, 1);
      c = (c + 1) % copies;
    }, Math.max(reps * 4, copies * 2), copies);
    k.release(mark);
    const flop = 2 * s.n * s.k;
    const row: KernelBenchRow = {
      kind: "gemv", label: s.label, m: 1, k: s.k, n: s.n, gflops: flop / t / 1e9, ofPeak: 0,
      weightGBps: (pf * 4) / t / 1e9,
    };
    rows.push(row);
    log(`gemv ${s.label}: ${row.gflops.toFixed(2)} GFLOP/s, ${row.weightGBps!.toFixed(1)} GB/s`);
  }

  const peakAfter = measurePeak();
  peak = Math.max(peak, peakAfter);
  log(`peak after ${peakAfter.toFixed(1)} GFLOP/s`);
  const all: KernelBenchRow[] = [
    { kind: "peak", label: "tm_fma_peak (the 2 × 16 tile without weight loads)", m: 0, k: 0, n: 0, gflops: peak, ofPeak: 1 },
    ...rows.map((r) => ({
      ...r,
      ofPeak: r.gflops / peak,
      ...(r.bestOfPeak !== undefined ? { bestOfPeak: r.bestOfPeak / peak } : {}),
    })),
  ];
  const f1 = (v: number) => v.toFixed(1);
  const f2 = (v: number) => v.toFixed(2);
  const md: string[] = [
    `wasm SIMD multiply-add peak (tm_fma_peak, one thread, the highest of its measurements in this run): **${f1(peak)} GFLOP/s**. GEMM: tm_matmul, m × k → n, ` +
      `weights packed in 16-output panels; "of peak" = median rate / the highest peak rate of the run (conservative: ` +
      `load on the machine can only understate it), "best / peak" = the fastest repetition against the same peak, "paired" = the median over repetitions of each repetition's rate against a short peak run just before it (the same conditions on a machine whose speed drifts); scalar JS: the plain triple loop over Float32Arrays` +
      ` (run at fewer rows where the table says so; GFLOP/s are per-shape rates). Medians of ${reps} runs after warm-up.`,
    "",
    "| kernel | shape | m | wasm SIMD GFLOP/s | of peak | best / peak | paired | scalar JS GFLOP/s (rows) | SIMD / scalar | weights GB/s |",
    "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const r of all) {
    if (r.kind === "peak") {
      md.push(`| peak | ${r.label}; medians before / after the GEMMs: ${f1(peakBefore)} / ${f1(peakAfter)} | – | ${f1(r.gflops)} | 100% | – | – | – | – | – |`);
    } else if (r.kind === "gemm") {
      md.push(`| GEMM | ${r.label} | ${r.m} | ${f1(r.gflops)} | ${(r.ofPeak * 100).toFixed(0)}% | ${(r.bestOfPeak! * 100).toFixed(0)}% | ${(r.pairedOfPeak! * 100).toFixed(0)}% | ` +
        `${f2(r.scalarGflops!)} (${r.scalarM}) | ${f1(r.gflops / r.scalarGflops!)}× | – |`);
    } else {
      md.push(`| GEMV (decode) | ${r.label} | 1 | ${f2(r.gflops)} | ${(r.ofPeak * 100).toFixed(0)}% | – | – | – | – | ${f1(r.weightGBps!)} |`);
    }
  }
  return { peakGflops: peak, rows: all, markdown: md.join("\n") };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const quick = process.argv.includes("--quick");
  const r = await runKernelBench({ quick, log: (s) => console.error(s) });
  console.log(r.markdown);
}
