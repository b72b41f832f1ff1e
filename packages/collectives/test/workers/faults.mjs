// Rank function for test/faults.test.ts. `data.scenario` picks what the victim rank does; the other
// ranks report what their blocked and their next call threw.

function survive(comm, n = 1000) {
  const x = new Float32Array(n).fill(comm.rank);
  const t0 = Date.now();
  try {
    for (let k = 0; k < 1_000_000; k++) comm.allReduce(x, { algorithm: k % 2 ? "two-shot" : "one-shot" });
    return { threw: false };
  } catch (e) {
    const caughtAt = Date.now();
    let future = null;
    try {
      comm.barrier();
    } catch (e2) {
      future = { code: e2.code, failedRank: e2.failedRank, name: e2.name };
    }
    return { threw: true, name: e.name, code: e.code, failedRank: e.failedRank, reason: e.reason, message: e.message, caughtAt, blockedMs: caughtAt - t0, future };
  }
}

function warmup(comm) {
  for (let k = 0; k < 3; k++) comm.allReduce(new Float32Array(100).fill(1));
}

export default function (comm, { scenario, victim, clock }) {
  const r = comm.rank;
  const times = clock ? new Float64Array(clock) : null;
  if (r !== victim) {
    warmup(comm);
    return survive(comm);
  }
  warmup(comm);
  switch (scenario) {
    case "exit": {
      const until = Date.now() + 100;
      while (Date.now() < until);
      times[0] = Date.now();
      process.exit(3);
    }
    case "throw": {
      const until = Date.now() + 100;
      while (Date.now() < until);
      times[0] = Date.now();
      throw new Error("boom from the victim");
    }
    case "idle":
      return "victim returned without calling";
    case "busy": {
      for (;;) { /* never calls, never returns */ }
    }
    case "close":
      times[0] = Date.now();
      comm.close();
      return "victim closed";
    default:
      throw new Error(`unknown scenario ${scenario}`);
  }
}

/** Mismatches: every rank catches its error, then the group must still work. */
export function mismatch(comm, { kind }) {
  const r = comm.rank, p = comm.worldSize;
  let error = null;
  try {
    switch (kind) {
      case "length": comm.allReduce(new Float32Array(r === 1 ? 1001 : 1000)); break;
      case "codec": comm.allReduce(new Float32Array(1000), r === 0 ? { codec: "mxfp4" } : { codec: "q8_0" }); break;
      case "compressed-vs-plain": comm.allReduce(new Float32Array(1000), r === 2 ? { codec: "nvfp4" } : {}); break;
      case "op": if (r === 0) comm.barrier(); else comm.allReduce(new Float32Array(10)); break;
      case "root": comm.broadcast(new Float32Array(10), r === 1 ? 1 : 0); break;
      case "algorithm": comm.allReduce(new Float32Array(1000), { algorithm: r === 0 ? "ring" : "two-shot" }); break;
      case "invalid-one-rank": comm.allReduce(new Float32Array(100), r === 1 ? { output: new Float32Array(99) } : {}); break;
      default: throw new Error(`unknown kind ${kind}`);
    }
  } catch (e) {
    error = { name: e.name, code: e.code, ranks: e.ranks, message: e.message };
  }
  // the group still works after the mismatch
  const x = new Float32Array(1000);
  for (let i = 0; i < x.length; i++) x[i] = i + r;
  comm.allReduce(x);
  let ok = true;
  for (let i = 0; i < x.length; i++) if (x[i] !== p * i + (p * (p - 1)) / 2) ok = false;
  return { error, ok };
}
