// Rank function of `tensorwire demo`: runs in every worker thread of the group.
// Each rank builds its own partial activations (what a row-parallel layer produces) and all-reduces
// them with every codec of the task — the uncompressed baseline included — in interleaved rounds:
// warm-up rounds first (not timed), then `reps` timed rounds, each round calling every codec once in a
// rotated order, so slow drifts of the machine hit all codecs alike. Every call starts after a
// barrier, so rank times of one call cover the same collective; the host takes the maximum over ranks.
import type { Communicator, CompressionScheme } from "@tensorwire/collectives";
import { errorMetrics } from "@tensorwire/quant-wasm";
import { activations, hashF32 } from "./data.js";

export interface DemoTask {
  n: number;
  /** codec names, "none" = the uncompressed baseline */
  codecs: string[];
  scheme: CompressionScheme | "auto";
  warmup: number;
  reps: number;
  seed: number;
}

/** One codec's measurements on one rank. */
export interface DemoCodecResult {
  codec: string;
  /** compressed scheme used (null when uncompressed) */
  scheme: string | null;
  algorithm: string;
  /** against the uncompressed all-reduce of the same inputs */
  relRmse: number;
  maxAbsErr: number;
  bytesSent: number;
  bytesReceived: number;
  /** wall time of each timed call, ms, in round order */
  times: number[];
  /** mean per timed call, ms */
  codecMs: number;
  linkMs: number;
  syncMs: number;
  /** FNV-1a of the result bits of the last call */
  hash: string;
  /** whether every timed call produced the same bits as the first */
  stable: boolean;
}

export interface DemoRankResult {
  rank: number;
  results: DemoCodecResult[];
}

export default function demoRank(comm: Communicator, task: DemoTask): DemoRankResult {
  const { n, codecs, scheme, warmup, reps, seed } = task;
  const x = activations(n, comm.rank, seed);
  const exact = comm.allReduce(x, { output: new Float32Array(n), compress: false });
  const out = new Float32Array(n);
  // Zero-copy when the message fits this rank's shared send buffer, as a tensor-parallel layer would
  // use it: the producer writes its partial sums straight into comm.alloc(n) and reduces in place.
  const view = n <= comm.capacity ? comm.alloc(n) : null;
  const k = codecs.length;
  const acc = codecs.map((codec) => ({
    codec, times: [] as number[], codecMs: 0, linkMs: 0, syncMs: 0, firstHash: "", hash: "", stable: true,
    scheme: null as string | null, algorithm: "", bytesSent: 0, bytesReceived: 0, relRmse: 0, maxAbsErr: 0,
  }));
  const opts = codecs.map((c) => (c === "none" ? { compress: false } : { codec: c as never, compress: true, scheme }));
  for (let round = 0; round < warmup + reps; round++) {
    const timed = round >= warmup;
    for (let j = 0; j < k; j++) {
      const ci = (j + round) % k;
      const a = acc[ci]!;
      if (view) view.set(x);
      comm.barrier();
      const t0 = performance.now();
      if (view) comm.allReduce(view, opts[ci]!);
      else comm.allReduce(x, { ...opts[ci]!, output: out });
      const dt = performance.now() - t0;
      if (view) out.set(view);
      if (!timed) continue;
      const last = comm.stats.last!;
      a.times.push(dt);
      a.codecMs += last.codecMs; a.linkMs += last.linkMs; a.syncMs += last.syncMs;
      a.scheme = last.scheme; a.algorithm = last.algorithm;
      a.bytesSent = last.bytesSent; a.bytesReceived = last.bytesReceived;
      const h = hashF32(out);
      if (a.times.length === 1) {
        a.firstHash = h;
        const m = errorMetrics(exact, out);
        a.relRmse = m.relRmse; a.maxAbsErr = m.maxAbsErr;
      } else if (h !== a.firstHash) a.stable = false;
      a.hash = h;
    }
  }
  return {
    rank: comm.rank,
    results: acc.map((a) => ({
      codec: a.codec, scheme: a.scheme, algorithm: a.algorithm, relRmse: a.relRmse, maxAbsErr: a.maxAbsErr,
      bytesSent: a.bytesSent, bytesReceived: a.bytesReceived, times: a.times,
      codecMs: a.codecMs / reps, linkMs: a.linkMs / reps, syncMs: a.syncMs / reps, hash: a.hash, stable: a.stable,
    })),
  };
}
