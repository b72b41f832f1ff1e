// Collectives between browser Web Workers: Debian's Chromium (playwright-core) opens a cross-origin-isolated
// page that imports the built package through an import map, spawns worldSize = 2 and 3 module Web Workers
// with spawnWebGroup (@tensorwire/collectives/web) on one SharedArrayBuffer-backed WebAssembly.Memory, and
// returns what every rank computed. Everything is checked here in Node:
// - uncompressed one-shot / two-shot / ring, lengths 0, 1, 64, 1000, 5003 (two segments), each twice on one
//   communicator: x[i] = i·stride + rank sums to p·i·stride + p(p−1)/2, exact in f32, on every rank;
// - compressed (mxfp4) all-reduce in both schemes: bit-identical on every rank, bit-equal to the scalar
//   reference (@tensorwire/quant-wasm/reference) applied in the documented order, and within mxfp4's
//   worst-case error bound (codec-bounds.ts) of the exact sum;
// - a rank whose code throws, or whose worker has an uncaught error, mid-collective: the others' blocked call
//   and their next call throw a CollectiveError naming it (reason "threw", not a timeout);
// - a worker script that does not load, or never joins: spawnWebGroup rejects instead of hanging.
// Needs `tsc -b` first (turbo's test task depends on build). Outside CI a missing Chromium skips the suite
// with its reason; with CI=true it fails.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { resolveCodec } from "@tensorwire/quant-wasm";
import {
  referenceDequantize, referenceDequantizeAccumulate, referenceQuantize, referenceReduceQuantize,
} from "@tensorwire/quant-wasm/reference";
import { BOUNDS } from "./codec-bounds.js";
// The browser harness (static COOP/COEP server, import map, Chromium launch) is shared with quant-wasm's suite.
import {
  CI, WORKER_PREFIX, type StaticServer, type TestPage, chromiumMissingReason, launchChromium, openTestPage,
  runInPage, startStaticServer,
} from "../../quant-wasm/test/browser/harness.js";

const PAGE = "/packages/collectives/test/browser/page.mjs";
const WORKER = `${WORKER_PREFIX}/packages/collectives/test/browser/rank.mjs`;
const STRIDE = 1000;
const LENGTHS = [0, 1, 64, 1000, 5003];
const ALGORITHMS = ["one-shot", "two-shot", "ring"] as const;
const COMPRESSED_N = 4099;
const SCHEMES = ["allgather", "two-shot"] as const;
// 16 KiB per segment (4096 f32): the longer calls run as two segments.
const GROUP_OPTIONS = { maxMessageBytes: 16 * 1024, timeoutMs: 20_000 };

interface ErrorInfo { name: string; code?: string; failedRank?: number; reason?: string; rank?: number; message: string }
interface SumRow { algorithm: string; n: number; rep: number | "alloc"; inPlace: boolean; result: string; stats?: { algorithm: string; elements: number } }
interface CompressedRow { scheme: string; input: "linear" | "signed"; n: number; result: string; codec: string | null; usedScheme: string | null; bytesSent: number }
interface FaultRow { threw: boolean; calls: number; blockedMs?: number; error?: ErrorInfo; next?: ErrorInfo | null }
interface RunOut<R> {
  ok: boolean;
  results?: R[];
  error?: { name: string; message: string; failedRank: number; reason: string; errors: (ErrorInfo & { isCollectiveError: boolean } | null)[]; results: R[] };
  failure?: { failedRank: number; reason: number; reporter: number } | null;
  ms: number;
}
interface PageOut<R> { spawnMs: number; out: RunOut<R>[]; hardwareConcurrency: number; waitMode: string; sharedMemory: boolean; workers: number }

function f32(b64: string): Float32Array {
  const b = Buffer.from(b64, "base64");
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

function bits(a: Float32Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length);
}

/** Independent copies of the workers' inputs (rank.mjs). */
function linearInput(n: number, rank: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => i * STRIDE + rank);
}
function signedInput(n: number, rank: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => ((((7 * i + 13 * rank) % 23) - 11) * 2 ** (i % 5)));
}

/** First index where a and b differ in bits, or −1. */
function firstDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  const x = bits(a), y = bits(b);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return i;
  return -1;
}

const missing = chromiumMissingReason();
const skip = missing !== undefined && !CI;
if (skip) console.warn(`collectives browser suite skipped: ${missing}`);

describe.skipIf(skip)(`collectives between Web Workers in Chromium${skip ? ` (skipped: ${missing})` : ""}`, () => {
  let server: StaticServer | undefined;
  let browser: Browser | undefined;
  let tp: TestPage;

  beforeAll(async () => {
    if (missing) throw new Error(missing); // CI: a missing browser is a failure, not a skip
    server = await startStaticServer();
    browser = await launchChromium();
    tp = await openTestPage(browser, server);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const runGroup = <R>(worldSize: number, runs: unknown[]) =>
    runInPage<PageOut<R>>(tp, PAGE, "run", { worldSize, workerUrl: WORKER, runs, options: GROUP_OPTIONS });

  for (const p of [2, 3]) {
    it(`p = ${p}: one-shot, two-shot and ring give the closed-form sums on every rank`, async () => {
      const res = await runGroup<SumRow[]>(p, [{ scenario: "sums", lengths: LENGTHS, stride: STRIDE, algorithms: ALGORITHMS }]);
      expect(res.sharedMemory).toBe(true);
      expect(res.workers).toBe(p);
      const run = res.out[0]!;
      expect(run.error, JSON.stringify(run.error)).toBeUndefined();
      expect(run.results).toHaveLength(p);
      for (let r = 0; r < p; r++) {
        const rows = run.results![r]!;
        expect(rows).toHaveLength(ALGORITHMS.length * LENGTHS.length * 2 + 1);
        for (const row of rows) {
          const where = `p=${p} rank ${r} ${row.algorithm} n=${row.n} rep ${row.rep}`;
          const y = f32(row.result);
          expect(y.length, where).toBe(row.n);
          expect(row.inPlace, where).toBe(true);
          if (row.stats && row.n > 0) {
            expect(row.stats.algorithm, where).toBe(row.algorithm);
            // the last call's statistics: the last segment when the call ran in pieces
            expect(row.stats.elements, where).toBeLessThanOrEqual(row.n);
          }
          let bad = 0, first = -1;
          for (let i = 0; i < row.n; i++) {
            if (y[i] !== p * i * STRIDE + (p * (p - 1)) / 2) {
              bad++;
              if (first < 0) first = i;
            }
          }
          expect(bad, `${where}: first wrong index ${first}: ${y[first]} ≠ ${p * first * STRIDE + (p * (p - 1)) / 2}`).toBe(0);
        }
      }
    });

    it(`p = ${p}: compressed mxfp4 all-reduce is bit-identical on every rank, equals the reference and respects the bound`, async () => {
      const res = await runGroup<CompressedRow[]>(p, [{ scenario: "compressed", n: COMPRESSED_N, stride: STRIDE, schemes: SCHEMES }]);
      const run = res.out[0]!;
      expect(run.error, JSON.stringify(run.error)).toBeUndefined();
      const spec = resolveCodec("mxfp4");
      const E = BOUNDS.mxfp4.E, B = BOUNDS.mxfp4.block;
      const n = COMPRESSED_N;
      for (const [k, row0] of run.results![0]!.entries()) {
        const where = `p=${p} ${row0.scheme} ${row0.input}`;
        const results = run.results!.map((rows) => f32(rows[k]!.result));
        for (let r = 0; r < p; r++) {
          const row = run.results![r]![k]!;
          expect([row.scheme, row.input, row.usedScheme], where).toEqual([row0.scheme, row0.input, row0.scheme]);
          expect(row.codec, where).toMatch(/^mxfp4\b/);
          expect(row.bytesSent, where).toBeGreaterThan(0);
          expect(firstDiff(results[r]!, results[0]!), `${where}: rank ${r} differs from rank 0 at index`).toBe(-1);
        }
        // exact oracle from the scalar reference, in the order the schemes document (rank order)
        const inputs = Array.from({ length: p }, (_, q) => (row0.input === "linear" ? linearInput(n, q) : signedInput(n, q)));
        const packed = inputs.map((x) => referenceQuantize(spec, x).bytes);
        let expected: Float32Array;
        if (row0.scheme === "allgather") {
          expected = referenceDequantize(spec, packed[0]!, n);
          for (let q = 1; q < p; q++) referenceDequantizeAccumulate(spec, packed[q]!, n, expected);
        } else {
          expected = referenceDequantize(spec, referenceReduceQuantize(spec, packed, n).bytes, n);
        }
        const d = firstDiff(results[0]!, expected);
        expect(d, `${where}: first index differing from the reference: ${results[0]![d]} vs ${expected[d]}`).toBe(-1);
        // the worst-case bound against the exact sum (independent of the kernels): one quantization per
        // input (allgather), plus the requantization of the sum (two-shot)
        let worst = 0;
        for (let b0 = 0; b0 < n; b0 += B) {
          const b1 = Math.min(n, b0 + B);
          let sumAmax = 0, exactAmax = 0;
          for (const x of inputs) {
            let a = 0;
            for (let i = b0; i < b1; i++) a = Math.max(a, Math.abs(x[i]!));
            sumAmax += a;
          }
          for (let i = b0; i < b1; i++) exactAmax = Math.max(exactAmax, Math.abs(inputs.reduce((s, x) => s + x[i]!, 0)));
          const bound = E * sumAmax + (row0.scheme === "two-shot" ? E * (exactAmax + E * sumAmax) : 0) + 2 ** -20 * sumAmax;
          for (let i = b0; i < b1; i++) {
            const exact = inputs.reduce((s, x) => s + x[i]!, 0);
            const err = Math.abs(results[0]![i]! - exact);
            expect(err, `${where} index ${i}: |${results[0]![i]} − ${exact}| > ${bound}`).toBeLessThanOrEqual(bound);
            if (bound > 0) worst = Math.max(worst, err / bound);
          }
        }
        expect(worst, `${where}: the data must actually be lossy`).toBeGreaterThan(0);
      }
    });
  }

  for (const [p, victim, mode] of [[3, 1, "throw"], [3, 2, "uncaught"], [2, 0, "throw"]] as const) {
    it(`p = ${p}: rank ${victim} ${mode === "throw" ? "throws" : "has an uncaught error"} mid-collective: the others fail naming it, run() rejects`, async () => {
      const res = await runGroup<FaultRow>(p, [{ scenario: "fault", victim, mode }]);
      const run = res.out[0]!;
      expect(run.ok).toBe(false);
      const err = run.error!;
      expect(err.name).toBe("GroupError");
      expect(err.failedRank).toBe(victim);
      expect(err.reason).toBe("threw");
      expect(run.failure).toMatchObject({ failedRank: victim, reason: 1 });
      const own = err.errors[victim]!;
      expect(own.message).toContain(mode === "throw" ? `boom from rank ${victim}` : `uncaught boom from rank ${victim}`);
      if (mode === "uncaught") expect(own.message).toContain("uncaught error in its worker");
      for (let r = 0; r < p; r++) {
        if (r === victim) continue;
        const s = err.results[r]!;
        expect(s, `rank ${r}`).toBeDefined();
        expect(s.threw, `rank ${r}`).toBe(true);
        expect(s.error, `rank ${r}`).toMatchObject({ name: "CollectiveError", code: "aborted", failedRank: victim, reason: "threw", rank: r });
        expect(s.error!.message).toContain(`rank ${victim}`);
        // the call after the failure throws at once, naming the same rank
        expect(s.next, `rank ${r} next call`).toMatchObject({ name: "CollectiveError", code: "aborted", failedRank: victim });
      }
    });
  }

  it("a worker script that cannot load, or never joins, makes spawnWebGroup reject (no hang)", async () => {
    const res = await runInPage<{ missing: { rejected: boolean; message?: string }; silent: { rejected: boolean; message?: string } }>(
      tp, PAGE, "startFailures", {
        worldSize: 2,
        missingUrl: `${WORKER_PREFIX}/packages/collectives/test/browser/no-such-worker.mjs`,
        // a valid module that never calls serveRank()
        silentUrl: "/packages/quant-wasm/test/browser/cases.mjs",
      });
    expect(res.missing.rejected).toBe(true);
    expect(res.missing.message).toMatch(/rank \d: worker .*no-such-worker\.mjs failed during start-up/);
    expect(res.silent.rejected).toBe(true);
    expect(res.silent.message).toMatch(/rank\(s\) 0, 1 did not join within 1000 ms/);
  });

  it("runWebGroup spawns, runs once and shuts down (p = 2, one-shot, n = 3)", async () => {
    const data = { scenario: "sums", lengths: [3], stride: STRIDE, algorithms: ["one-shot"] };
    const out = await runInPage<SumRow[][]>(tp, PAGE, "once", { worldSize: 2, workerUrl: WORKER, data });
    expect(out).toHaveLength(2);
    for (const rows of out) expect(Array.from(f32(rows[0]!.result))).toEqual([1, 2 * STRIDE + 1, 4 * STRIDE + 1]);
  });

  it("without a bundler: page and workers import dist/browser/tensorwire-collectives.js by URL (p = 2, 3)", async () => {
    for (const p of [2, 3]) {
      const n = 1001;
      const out = await runInPage<{ results: { rank: number; wrong: number; compressedSum: number; codec: string }[]; hasCollectiveError: boolean; presets: string[] }>(
        tp, "/packages/collectives/test/browser/bundle-page.mjs", "run",
        { worldSize: p, workerUrl: "/packages/collectives/test/browser/bundle-rank.mjs", n },
      );
      expect(out.hasCollectiveError).toBe(true);
      expect(out.presets).toContain("10Gbit/s");
      expect(out.results.map((r) => r.rank)).toEqual([...Array(p).keys()]);
      for (const r of out.results) {
        expect(r.wrong, `rank ${r.rank}: two-shot sums`).toBe(0);
        expect(r.codec).toBe("mxfp4/b32/e8m0");
        expect(r.compressedSum, `rank ${r.rank}: compressed results identical`).toBe(out.results[0]!.compressedSum);
      }
      // mxfp4 keeps the sum of 1001 values near the exact total Σ_i (3pi + p(p−1)/2)
      const exact = 3 * p * (n * (n - 1)) / 2 + n * p * (p - 1) / 2;
      expect(Math.abs(out.results[0]!.compressedSum - exact) / exact).toBeLessThan(0.05);
    }
  });

  it("on a page without COOP/COEP, spawnWebGroup refuses and names the headers", async () => {
    const plain = await openTestPage(browser!, server!, { isolated: false });
    try {
      const res = await runInPage<{ rejected: boolean; message?: string; sab?: string }>(plain, PAGE, "notIsolated", { workerUrl: WORKER });
      expect(res).toMatchObject({ rejected: true, sab: "undefined" });
      expect(res.message).toMatch(/Cross-Origin-Opener-Policy: same-origin, Cross-Origin-Embedder-Policy: require-corp/);
    } finally {
      await plain.page.close();
    }
  });

  it("left no unexpected errors in the page's console", () => {
    // the only expected ones: the deliberate 404 of the start-up test and the victims' reported errors
    const unexpected = tp.problems.filter((m) => !/404|no-such-worker|boom from rank/.test(m));
    expect(unexpected).toEqual([]);
  });
});
