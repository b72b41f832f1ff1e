// Rank functions for test/soak.test.ts and test/link.test.ts.
import v8 from "node:v8";
import vm from "node:vm";
import { rng } from "./common.mjs";

v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc");

function heapUsed() {
  gc();
  gc();
  return v8.getHeapStatistics().used_heap_size;
}

function oneCall(comm, rand, scratch, failures, k, jitter) {
  const p = comm.worldSize, r = comm.rank;
  // rank-local jitter: one rank runs ahead into the next call while another still reads this one's
  // buffers (exercises the buffer-reuse rules between consecutive calls of different kinds)
  if (jitter() < 0.3) { const until = performance.now() + jitter() * 0.05; while (performance.now() < until); }
  const n = Math.floor(rand() * 6000);
  const kind = Math.floor(rand() * 8);
  const x = scratch.subarray(0, n);
  for (let i = 0; i < n; i++) x[i] = (i % 1000) + r;
  const sumAt = (i) => p * (i % 1000) + (p * (p - 1)) / 2;
  switch (kind) {
    case 0: case 1: case 2: {
      comm.allReduce(x, { algorithm: ["one-shot", "two-shot", "ring"][kind] });
      for (let i = 0; i < n; i++) if (x[i] !== sumAt(i)) { failures.push(`call ${k} allReduce kind ${kind} n=${n} i=${i}`); break; }
      break;
    }
    case 3: {
      // zero-copy view: integers ≤ 1000+p are exact in q8_0? No — use the f32 codec (exact) here.
      const v = comm.alloc(n);
      v.set(x);
      comm.allReduce(v, { codec: "f32", scheme: rand() < 0.5 ? "allgather" : "two-shot" });
      for (let i = 0; i < n; i++) if (v[i] !== sumAt(i)) { failures.push(`call ${k} compressed f32 n=${n} i=${i}`); break; }
      break;
    }
    case 4: {
      comm.allReduce(x, { codec: "q8_0" });
      // q8_0 error ≤ ~amax/254 per rank per block; values ≤ 1000 + p
      for (let i = 0; i < n; i++) if (!(Math.abs(x[i] - sumAt(i)) <= p * 5)) { failures.push(`call ${k} q8_0 n=${n} i=${i}: ${x[i]} vs ${sumAt(i)}`); break; }
      break;
    }
    case 5: {
      const root = Math.floor(rand() * p);
      comm.broadcast(x, root);
      for (let i = 0; i < n; i++) if (x[i] !== (i % 1000) + root) { failures.push(`call ${k} broadcast`); break; }
      break;
    }
    case 6: {
      const g = comm.allGather(x);
      for (let q = 0; q < p && g.length === p * n; q++) for (let i = 0; i < n; i += 97) if (g[q * n + i] !== (i % 1000) + q) { failures.push(`call ${k} allGather`); q = p; break; }
      break;
    }
    default: {
      if (rand() < 0.5) comm.barrier();
      else {
        const c = comm.reduceScatter(x);
        const [a] = comm.chunkRange(n);
        for (let i = 0; i < c.length; i++) if (c[i] !== sumAt(a + i)) { failures.push(`call ${k} reduceScatter`); break; }
      }
    }
  }
}

export function soak(comm, { calls, seed }) {
  const rand = rng(seed); // the same sequence of sizes and ops on every rank
  const jitter = rng(seed * 31 + comm.rank + 1); // different on every rank
  const scratch = new Float32Array(6000);
  const failures = [];
  const bytes0 = comm.memory.buffer.byteLength;
  for (let k = 0; k < 300; k++) oneCall(comm, rand, scratch, failures, k, jitter); // warm up (JIT, codec probes)
  const heap0 = heapUsed();
  for (let k = 300; k < calls; k++) oneCall(comm, rand, scratch, failures, k, jitter);
  const heap1 = heapUsed();
  return {
    failures: failures.slice(0, 10), calls: comm.stats.calls,
    bytes0, bytes1: comm.memory.buffer.byteLength, heapGrowth: heap1 - heap0,
  };
}

/** Time `reps` calls of one configuration; rank 0 reports per-call wall time and the stats. */
export function linkTiming(comm, { n, algorithm, codec, reps }) {
  const x = comm.alloc(n);
  const times = [];
  let last;
  for (let k = 0; k < reps; k++) {
    x.fill(1);
    comm.barrier();
    const t = performance.now();
    comm.allReduce(x, codec ? { codec } : { algorithm });
    times.push(performance.now() - t);
    last = comm.stats.last;
  }
  times.sort((a, b) => a - b);
  return { medianMs: times[Math.floor(reps / 2)], minMs: times[0], last, value: x[0] };
}

/** Which codec/algorithm the policy picked for each size (stats.last). */
export function policyChoice(comm, { sizes }) {
  return sizes.map((n) => {
    const x = new Float32Array(n).fill(1);
    comm.allReduce(x);
    const { algorithm, codec, scheme } = comm.stats.last;
    return { n, algorithm, codec, scheme, value: x[0] };
  });
}

/**
 * Back-to-back calls whose inputs change every call (the value k is part of every element), so a rank
 * that overwrote a buffer its peers were still reading shows up as a wrong sum.
 */
export function backToBack(comm, { calls, n, plans, zeroCopy }) {
  const p = comm.worldSize, r = comm.rank;
  const failures = [];
  const x = zeroCopy ? comm.alloc(n) : new Float32Array(n);
  for (let k = 0; k < calls; k++) {
    const opts = plans[k % plans.length];
    for (let i = 0; i < n; i++) x[i] = (i % 512) + r + 4 * (k % 97);
    comm.allReduce(x, opts);
    for (let i = 0; i < n; i += 7) {
      const want = p * ((i % 512) + 4 * (k % 97)) + (p * (p - 1)) / 2;
      if (x[i] !== want) {
        if (failures.length < 6) failures.push(`call ${k} ${JSON.stringify(opts)} i=${i}: ${x[i]} vs ${want}`);
        break;
      }
    }
  }
  return failures;
}
