// Rank function for test/conformance.test.ts: runs every collective with closed-form and locally
// recomputed oracles, and returns failures plus output hashes (the host checks bit-identity).
import { exactInput, noisyInput, rankOrderSum, ringOrderSum, hashF32, countDiff, chunkStarts } from "./common.mjs";

function check(failures, what, got, want) {
  const d = countDiff(got, want);
  if (d.bad) failures.push(`${what}: ${d.bad} wrong, first at ${d.first}: got ${d.got}, want ${d.want}`);
}

function allreduceTask(comm, { lengths, algorithms, zeroCopy, noisyMax = Infinity }) {
  const p = comm.worldSize, r = comm.rank;
  const failures = [], hashes = {};
  for (const alg of algorithms) {
    for (const n of lengths) {
      for (const round of [0, 1]) {
        // closed form: x_q[i] = i*stride + q  →  Σ = p*stride*i + p(p−1)/2 (exact: all partial sums < 2^24)
        const stride = n > 100_000 ? 1 : 3 + round;
        const useZc = zeroCopy && n <= comm.capacity && round === 1;
        const x = useZc ? comm.alloc(n) : new Float32Array(n);
        x.set(exactInput(n, r, stride));
        const y = comm.allReduce(x, { algorithm: alg });
        if (y !== x) failures.push(`${alg} n=${n}: did not return the in-place array`);
        const want = new Float32Array(n);
        for (let i = 0; i < n; i++) want[i] = p * stride * i + (p * (p - 1)) / 2;
        check(failures, `${alg} n=${n} round ${round}${useZc ? " zero-copy" : ""} closed form`, y, want);
        const last = comm.stats.last;
        if (alg !== "auto" && p > 1 && last.algorithm !== alg) failures.push(`stats.algorithm ${last.algorithm} ≠ ${alg}`);
        if (p > 1 && n > 0 && !(last.bytesReceived > 0 && last.bytesSent > 0)) failures.push(`${alg} n=${n}: stats bytes not counted`);
        hashes[`exact/${alg}/${n}/${round}`] = hashF32(y);
      }
      // non-exact data: bit-exact against a full local recomputation in the algorithm's documented order
      if (n > noisyMax) continue;
      const inputs = [];
      for (let q = 0; q < p; q++) inputs.push(noisyInput(n, q, alg.length));
      const out = new Float32Array(n);
      comm.allReduce(inputs[r], { algorithm: alg, output: out });
      const order = alg === "ring" ? ringOrderSum(inputs, comm.capacity) : rankOrderSum(inputs);
      // (auto picks one-shot or two-shot on shared memory: both sum in rank order)
      check(failures, `${alg} n=${n} noisy data vs local recomputation`, out, order);
      hashes[`noisy/${alg}/${n}`] = hashF32(out);
      // the input must be untouched when an output array is given
      check(failures, `${alg} n=${n} input preserved`, inputs[r], noisyInput(n, r, alg.length));
    }
  }
  return { failures, hashes };
}

function collectivesTask(comm, { lengths, only }) {
  const p = comm.worldSize, r = comm.rank;
  const failures = [], hashes = {};
  for (const n of lengths) {
    for (const round of [0, 1]) {
      const stride = 2 + round;
      // reduceScatter: Σ_q (i*stride + q) for i in my chunk [floor(r n/p), floor((r+1) n/p))
      {
        const x = exactInput(n, r, stride);
        const chunk = comm.reduceScatter(x);
        const a = Math.floor((r * n) / p), b = Math.floor(((r + 1) * n) / p);
        const want = new Float32Array(b - a);
        // closed form while every sum is an exact f32 integer (< 2^24); beyond, the f32 rank-order sum
        if (p * stride * n < 2 ** 24) for (let i = a; i < b; i++) want[i - a] = p * stride * i + (p * (p - 1)) / 2;
        else {
          for (let i = a; i < b; i++) {
            let acc = i * stride;
            for (let q = 1; q < p; q++) acc = Math.fround(acc + (i * stride + q));
            want[i - a] = acc;
          }
        }
        check(failures, `reduceScatter n=${n} round ${round}`, chunk, want);
        const [ca, cb] = comm.chunkRange(n);
        if (ca !== a || cb !== b) failures.push(`chunkRange(${n}) = [${ca},${cb}) ≠ [${a},${b})`);
      }
      if (only === "reduceScatter") continue;
      // allGather: out[q*n + i] = i*stride + q
      {
        const g = comm.allGather(exactInput(n, r, stride));
        const want = new Float32Array(p * n);
        for (let q = 0; q < p; q++) for (let i = 0; i < n; i++) want[q * n + i] = i * stride + q;
        check(failures, `allGather n=${n} round ${round}`, g, want);
        hashes[`allGather/${n}/${round}`] = hashF32(g);
      }
      // broadcast from every root in turn: everyone ends with root's x
      for (let root = 0; root < p; root++) {
        const x = r === root ? exactInput(n, root, stride) : new Float32Array(n).fill(-1);
        const useZc = round === 1 && n <= comm.capacity;
        const buf = useZc ? comm.alloc(n) : x;
        if (useZc) buf.set(x);
        comm.broadcast(buf, root);
        check(failures, `broadcast n=${n} root ${root} round ${round}${useZc ? " zero-copy" : ""}`, buf, exactInput(n, root, stride));
      }
    }
  }
  // barrier: rank r writes a token before the barrier; after it every rank sees every token
  // (tokens live in a SharedArrayBuffer handed out through the allGather of a marker)
  const rounds = 50;
  for (let k = 0; k < rounds; k++) comm.barrier();
  if (comm.stats.last.op !== "barrier") failures.push("stats.last.op after barrier is not barrier");
  return { failures, hashes };
}

function barrierOrderTask(comm, { sab }) {
  // Each rank increments its own slot then passes a barrier; after the barrier every slot of round k
  // must already be ≥ k+1 on every rank (no rank leaves a barrier before all arrived).
  const p = comm.worldSize, r = comm.rank, a = new Int32Array(sab);
  const failures = [];
  for (let k = 0; k < 50; k++) {
    Atomics.store(a, r, k + 1);
    comm.barrier();
    for (let q = 0; q < p; q++) {
      const v = Atomics.load(a, q);
      if (v < k + 1) failures.push(`round ${k}: rank ${q}'s slot is ${v} after the barrier`);
    }
    comm.barrier(); // nobody writes round k+1 before all have checked round k
  }
  return { failures, hashes: {} };
}

export default function (comm, data) {
  switch (data.task) {
    case "allreduce": return allreduceTask(comm, data);
    case "collectives": return collectivesTask(comm, data);
    case "barrier-order": return barrierOrderTask(comm, data);
    default: throw new Error(`unknown task ${data.task}`);
  }
}
