// The rank function of the browser suite, run in every module Web Worker spawned by page.mjs. It is
// loaded under the test server's /__workers__/ prefix, where the page's import map is applied to it
// (browsers do not give workers the page's import map). Results are plain data: Float32Arrays travel as
// base64 of their bytes and are checked in Node (test/browser.test.ts), never here.
import { serveRank } from "@tensorwire/collectives/web";

function b64(f32) {
  const u8 = new Uint8Array(f32.buffer, f32.byteOffset, f32.byteLength);
  let s = "";
  for (let i = 0; i < u8.length; i++) s += String.fromCharCode(u8[i]);
  return btoa(s);
}

/** x[i] = i·stride + rank: integers < 2^24, so every sum is exact in f32 whatever the order. */
export function linearInput(n, rank, stride) {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = i * stride + rank;
  return x;
}

/** Signed integers with a few magnitudes per block (exact in f32): x[i] = ((7i + 13q) mod 23 − 11) · 2^(i mod 5). */
export function signedInput(n, rank) {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = (((7 * i + 13 * rank) % 23) - 11) * 2 ** (i % 5);
  return x;
}

function errorInfo(e) {
  return { name: e?.name, code: e?.code, failedRank: e?.failedRank, reason: e?.reason, rank: e?.rank, message: String(e?.message ?? e) };
}

const scenarios = {
  /** Uncompressed all-reduce: every algorithm, every length, twice on the same communicator. */
  sums(comm, { lengths, stride, algorithms }) {
    const out = [];
    for (const algorithm of algorithms) {
      for (const n of lengths) {
        for (let rep = 0; rep < 2; rep++) {
          const x = linearInput(n, comm.rank, stride);
          const y = comm.allReduce(x, { algorithm });
          out.push({ algorithm, n, rep, inPlace: y === x, result: b64(y), stats: { algorithm: comm.stats.last.algorithm, elements: comm.stats.last.elements } });
        }
      }
    }
    // zero copy: the rank's send buffer in shared memory, reduced in place
    const n = Math.min(1000, comm.capacity);
    const buf = comm.alloc(n);
    buf.set(linearInput(n, comm.rank, stride));
    comm.allReduce(buf, { algorithm: "one-shot" });
    out.push({ algorithm: "one-shot", n, rep: "alloc", inPlace: true, result: b64(buf) });
    return out;
  },

  /** Compressed (mxfp4) all-reduce in both schemes on two inputs; the output goes to a separate array. */
  compressed(comm, { n, stride, schemes }) {
    const out = [];
    for (const scheme of schemes) {
      for (const input of ["linear", "signed"]) {
        const x = input === "linear" ? linearInput(n, comm.rank, stride) : signedInput(n, comm.rank);
        const y = comm.allReduce(x, { codec: "mxfp4", compress: true, scheme, output: new Float32Array(n) });
        const last = comm.stats.last;
        out.push({ scheme, input, n, result: b64(y), codec: last.codec, usedScheme: last.scheme, bytesSent: last.bytesSent });
      }
    }
    return out;
  },

  /**
   * Faults: the victim joins a few all-reduces, then fails in the middle of the loop its peers are in —
   * "throw": its rank function throws; "uncaught": an error escapes to the worker's top level (the page
   * sees the Worker's error event) while its function never returns. The peers report what their blocked
   * call and their next call threw.
   */
  fault(comm, { victim, mode }) {
    const r = comm.rank;
    const x = new Float32Array(4096);
    if (r === victim) {
      for (let k = 0; k < 5; k++) comm.allReduce(x.fill(r), { algorithm: k % 2 ? "ring" : "one-shot" }); // as the peers
      if (mode === "throw") throw new Error(`boom from rank ${r}`);
      setTimeout(() => { throw new Error(`uncaught boom from rank ${r}`); }, 0);
      return new Promise(() => {}); // never settles: only the page's error handler can end this rank
    }
    const t0 = performance.now();
    let calls = 0;
    try {
      for (; calls < 1_000_000; calls++) comm.allReduce(x.fill(r), { algorithm: calls % 2 ? "ring" : "one-shot" });
      return { threw: false, calls };
    } catch (e) {
      const blockedMs = performance.now() - t0;
      let next = null;
      try {
        comm.barrier();
      } catch (e2) {
        next = errorInfo(e2);
      }
      return { threw: true, calls, blockedMs, error: errorInfo(e), next };
    }
  },
};

serveRank((comm, data) => {
  const f = scenarios[data.scenario];
  if (!f) throw new Error(`unknown scenario ${data.scenario}`);
  return f(comm, data);
});
