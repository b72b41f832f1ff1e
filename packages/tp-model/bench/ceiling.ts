// The decode ceiling of this machine: decode is the model's weights streamed through GEMV once per
// token, so TP 2 / TP 1 decode speed can at best be what two threads streaming at the same time get
// out of the memory system, against one thread alone. Each worker owns its own model.wasm memory with
// `bytesPerWorker` of packed weights (well beyond the last-level cache: a TP-2 rank of the dim-2048
// model streams ~0.9 GB per token) and runs tm_matmul at m = 1 over them, as a decode step does; the
// workers start together (a shared-memory barrier) and each reports its GB/s.
//   node dist/bench/ceiling.js
import { availableParallelism } from "node:os";
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import { loadModelKernels } from "@tensorwire/tp-model";
import { spread } from "@tensorwire/tp-model/node";

export interface CeilingResult {
  /** GB/s of weights streamed by one thread alone */
  oneThreadGBps: number;
  /** GB/s summed over `threads` threads streaming at once */
  allThreadsGBps: number;
  threads: number;
  /** allThreadsGBps / oneThreadGBps: the best TP-`threads` / TP-1 decode ratio this machine allows */
  scaling: number;
}

interface Job { bytes: number; seconds: number; gate: SharedArrayBuffer; workers: number }

async function workerMain(job: Job): Promise<void> {
  const k = await loadModelKernels();
  const K = 2048, N = 5632; // the dim-2048 model's gate/up shape
  const pf = k.panelFloats(N, K);
  const copies = Math.max(1, Math.round(job.bytes / (4 * pf)));
  const x = k.alloc(K), y = k.alloc(N);
  const wps: number[] = [];
  for (let c = 0; c < copies; c++) wps.push(k.alloc(pf));
  const f = k.f32();
  for (let i = 0; i < f.length; i++) f[i] = ((i * 2654435761) >>> 0) / 2 ** 32 - 0.5;
  for (const wp of wps) k.matmul(x, K, wp, N, K, y, N, 1); // warm up, touch every page
  const g = new Int32Array(job.gate);
  Atomics.add(g, 0, 1);
  Atomics.notify(g, 0);
  while (Atomics.load(g, 0) < job.workers) Atomics.wait(g, 0, Atomics.load(g, 0), 1000);
  const t0 = performance.now();
  let passes = 0;
  while (performance.now() - t0 < job.seconds * 1000) {
    for (const wp of wps) k.matmul(x, K, wp, N, K, y, N, 1);
    passes++;
  }
  const s = (performance.now() - t0) / 1000;
  parentPort!.postMessage((passes * copies * pf * 4) / s / 1e9);
}

async function streamTogether(workers: number, bytes: number, seconds: number): Promise<number[]> {
  const gate = new SharedArrayBuffer(4);
  const job: Job = { bytes, seconds, gate, workers };
  const ws = Array.from({ length: workers }, () => new Worker(new URL(import.meta.url), { workerData: job }));
  try {
    return await Promise.all(ws.map((w) => new Promise<number>((res, rej) => { w.once("message", res); w.once("error", rej); })));
  } finally {
    await Promise.all(ws.map((w) => w.terminate()));
  }
}

/** Measure one thread alone, then `threads` (default 2) at once; medians of `reps` rounds. */
export async function runCeiling(o: { bytesPerWorker?: number; seconds?: number; reps?: number; threads?: number } = {}): Promise<CeilingResult> {
  const bytes = o.bytesPerWorker ?? 512 * 2 ** 20, seconds = o.seconds ?? 2, reps = o.reps ?? 3;
  const threads = o.threads ?? Math.min(2, availableParallelism());
  const one: number[] = [], all: number[] = [];
  for (let r = 0; r < reps; r++) {
    one.push((await streamTogether(1, bytes, seconds))[0]!);
    all.push((await streamTogether(threads, bytes, seconds)).reduce((a, b) => a + b, 0));
  }
  const oneThreadGBps = spread(one).median, allThreadsGBps = spread(all).median;
  return { oneThreadGBps, allThreadsGBps, threads, scaling: allThreadsGBps / oneThreadGBps };
}

if (!isMainThread && (workerData as Job | undefined)?.gate) {
  await workerMain(workerData as Job);
} else if (isMainThread && process.argv[1] && new URL(import.meta.url).pathname === process.argv[1]) {
  console.log(await runCeiling());
}
