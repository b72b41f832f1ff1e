// Rank function for test/arguments.test.ts: the invalid-argument matrix. For every case one rank
// (the "victim", rotating; -1 = every rank) calls a collective with a bad argument while the others
// call it correctly. Every rank records what its call threw, then all ranks make a valid call of the
// same collective and check its result: the group must still work.
import { createCommunicator, createGroup } from "@tensorwire/collectives";

const N = 100;

function good(comm, op) {
  const r = comm.rank;
  const x = new Float32Array(N);
  for (let i = 0; i < N; i++) x[i] = i + 10 * r;
  return op === "broadcast" ? [x, 0] : [x];
}

/** Cases: [id, op, victim's arguments (a function of comm and a foreign plan)]. */
function cases(foreign) {
  const list = [];
  const data = (label, make) => {
    for (const op of ["allReduce", "reduceScatter", "allGather", "broadcast"]) {
      list.push([`${op}/${label}`, op, (comm) => (op === "broadcast" ? [make(comm), 0] : [make(comm)])]);
    }
  };
  data("input-null", () => null);
  data("input-undefined", () => undefined);
  data("input-array", () => [1, 2, 3]);
  data("input-float64", () => new Float64Array(N));
  data("input-int32", () => new Int32Array(N));
  data("input-string", () => "abc");
  for (const op of ["allReduce", "reduceScatter", "allGather", "broadcast"]) {
    const args = (x, o) => (op === "broadcast" ? [x, 0, o] : [x, o]);
    const want = (comm) => (op === "allReduce" || op === "broadcast" ? N : op === "allGather" ? comm.worldSize * N : (() => {
      const [a, b] = comm.chunkRange(N); return b - a;
    })());
    list.push([`${op}/options-null`, op, (comm) => args(good(comm, op)[0], null)]);
    list.push([`${op}/options-string`, op, (comm) => args(good(comm, op)[0], "fast")]);
    list.push([`${op}/output-short`, op, (comm) => args(good(comm, op)[0], { output: new Float32Array(want(comm) - 1) })]);
    list.push([`${op}/output-long`, op, (comm) => args(good(comm, op)[0], { output: new Float32Array(want(comm) + 1) })]);
    list.push([`${op}/output-array`, op, (comm) => args(good(comm, op)[0], { output: new Array(want(comm)).fill(0) })]);
    list.push([`${op}/output-float64`, op, (comm) => args(good(comm, op)[0], { output: new Float64Array(want(comm)) })]);
    list.push([`${op}/output-overlap`, op, (comm) => {
      const buf = new Float32Array(N + want(comm) + 1);
      return args(buf.subarray(0, N), { output: buf.subarray(1, 1 + want(comm)) });
    }]);
    list.push([`${op}/output-shared-outside`, op, (comm) => args(good(comm, op)[0], { output: new Float32Array(comm.memory.buffer, 0, want(comm)) })]);
  }
  // in place is fine for allReduce/broadcast, but not for the collectives whose output differs from the input
  list.push(["reduceScatter/output-is-input-prefix", "reduceScatter", (comm) => {
    const x = good(comm, "reduceScatter")[0];
    const [a, b] = comm.chunkRange(N);
    return [x, { output: x.subarray(0, b - a) }];
  }]);
  for (const root of [1.5, -1, "worldSize", "0", Number.NaN, undefined, null, Infinity]) {
    list.push([`broadcast/root-${String(root)}`, "broadcast", (comm) => [good(comm, "broadcast")[0], root === "worldSize" ? comm.worldSize : root]]);
  }
  const ar = (label, o) => list.push([`allReduce/${label}`, "allReduce", (comm) => [good(comm, "allReduce")[0], typeof o === "function" ? o(comm) : o]]);
  ar("algorithm-unknown", { algorithm: "fastest" });
  ar("algorithm-number", { algorithm: 3 });
  ar("codec-unknown", { codec: "q5_1" });
  ar("codec-number", { codec: 42 });
  ar("codec-null", { codec: null });
  ar("codec-bad-block", { codec: { format: "mxfp4", block: 16 } });
  ar("compress-string", { compress: "yes" });
  ar("scheme-unknown", { scheme: "ring" });
  ar("seed-fraction", { seed: 1.5 });
  ar("seed-string", { seed: "7" });
  ar("plan-fake", { plan: {} });
  ar("plan-foreign", () => ({ plan: foreign }));
  ar("plan-with-codec", (comm) => ({ plan: comm.prepare({ codec: "mxfp4" }), codec: "mxfp4" }));
  ar("plan-with-seed", (comm) => ({ plan: comm.prepare({}), seed: 1 }));
  ar("plan-with-algorithm", (comm) => ({ plan: comm.prepare({}), algorithm: "ring" }));
  return list;
}

/** A valid call of `op` on every rank, checked against its closed form. */
function validCall(comm, op, tag) {
  const p = comm.worldSize, r = comm.rank;
  const x = new Float32Array(N);
  for (let i = 0; i < N; i++) x[i] = i + 10 * r;
  if (op === "allReduce") {
    comm.allReduce(x);
    for (let i = 0; i < N; i++) if (x[i] !== p * i + 10 * (p * (p - 1)) / 2) return false;
  } else if (op === "reduceScatter") {
    const out = comm.reduceScatter(x);
    const [a] = comm.chunkRange(N);
    for (let i = 0; i < out.length; i++) if (out[i] !== p * (a + i) + 10 * (p * (p - 1)) / 2) return false;
  } else if (op === "allGather") {
    const out = comm.allGather(x);
    for (let q = 0; q < p; q++) for (let i = 0; i < N; i++) if (out[q * N + i] !== i + 10 * q) return false;
  } else {
    const root = tag % p;
    if (r !== root) x.fill(-1);
    else for (let i = 0; i < N; i++) x[i] = i + 7;
    comm.broadcast(x, root);
    for (let i = 0; i < N; i++) if (x[i] !== i + 7) return false;
  }
  return true;
}

export default async function (comm) {
  const p = comm.worldSize, r = comm.rank;
  const other = createCommunicator((await createGroup(1)).rankInit(0));
  const foreign = other.prepare({});
  const out = [];
  let k = 0;
  for (const [id, op, bad] of cases(foreign)) {
    for (const victim of [k % p, -1]) {
      if (victim === -1 && k % 7 !== 0) continue; // every rank invalid: a sample of the cases
      const args = victim === r || victim === -1 ? bad(comm) : good(comm, op);
      let error = null;
      const t0 = performance.now();
      try {
        comm[op](...args);
      } catch (e) {
        error = { name: e.name, code: e.code, ranks: e.ranks, rank: e.rank, message: e.message };
      }
      const ms = performance.now() - t0;
      out.push({ id, op, victim, error, ms, ok: validCall(comm, op, k) });
    }
    k++;
  }
  other.close();
  return out;
}
