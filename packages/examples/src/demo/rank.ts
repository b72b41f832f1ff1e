// Rank function of `tensorwire demo`: runs in every worker thread of the group.
// Each rank builds its own partial activations (what a row-parallel layer produces), all-reduces them
// uncompressed (the exact reference) and with the requested codec, and reports error, bytes and time.
import type { Communicator, CompressionScheme } from "@tensorwire/collectives";
import { errorMetrics } from "@tensorwire/quant-wasm";
import { activations, hashF32 } from "./data.js";

export interface DemoTask {
  n: number;
  /** codec name, or "none" for the uncompressed baseline */
  codec: string;
  scheme: CompressionScheme | "auto";
  reps: number;
  seed: number;
}

export interface DemoRankResult {
  rank: number;
  codec: string;
  scheme: string | null;
  algorithm: string;
  relRmse: number;
  maxAbsErr: number;
  bytesSent: number;
  bytesReceived: number;
  msMedian: number;
  msMin: number;
  codecMs: number;
  linkMs: number;
  syncMs: number;
  hash: string;
}

export default function demoRank(comm: Communicator, task: DemoTask): DemoRankResult {
  const { n, codec, scheme, reps, seed } = task;
  const x = activations(n, comm.rank, seed);
  const exact = comm.allReduce(x, { output: new Float32Array(n), compress: false });
  const out = new Float32Array(n);
  const compressed = codec !== "none";
  const base = compressed ? { codec: codec as never, compress: true, scheme } : { compress: false };
  // Zero-copy when the message fits this rank's shared send buffer, as a tensor-parallel layer would
  // use it: the producer writes its partial sums straight into comm.alloc(n) and reduces in place.
  const view = n <= comm.capacity ? comm.alloc(n) : null;
  const times: number[] = [];
  let codecMs = 0, linkMs = 0, syncMs = 0;
  for (let r = 0; r < Math.max(1, reps); r++) {
    if (view) view.set(x);
    comm.barrier();
    const t0 = performance.now();
    if (view) comm.allReduce(view, base);
    else comm.allReduce(x, { ...base, output: out });
    times.push(performance.now() - t0);
    if (view) out.set(view);
    const last = comm.stats.last!;
    codecMs += last.codecMs; linkMs += last.linkMs; syncMs += last.syncMs;
  }
  const last = comm.stats.last!;
  const m = errorMetrics(exact, out);
  times.sort((a, b) => a - b);
  const k = times.length;
  return {
    rank: comm.rank,
    codec,
    scheme: last.scheme,
    algorithm: last.algorithm,
    relRmse: m.relRmse,
    maxAbsErr: m.maxAbsErr,
    bytesSent: last.bytesSent,
    bytesReceived: last.bytesReceived,
    msMedian: times[k >> 1]!,
    msMin: times[0]!,
    codecMs: codecMs / k,
    linkMs: linkMs / k,
    syncMs: syncMs / k,
    hash: hashF32(out),
  };
}
