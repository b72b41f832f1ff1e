// Two instances on ONE shared memory, in two worker_threads, encoding disjoint halves at the same time,
// give the bytes a single-threaded encode of the whole tensor gives (block formats with RNE: a block never
// spans the two halves, so the whole is the concatenation).
import { describe, it, expect } from "vitest";
import { Worker } from "node:worker_threads";
import { loadQuantKernels, createCodec, createArena, bundledModule } from "../src/index.js";

const FORMATS_UNDER_TEST = ["q8_0", "int4", "mxfp4", "mxfp6-e3m2", "fp5-e2m2", "bf16"] as const;

function gaussian(n: number, seed: number): Float32Array {
  const x = new Float32Array(n);
  let s = seed >>> 0;
  const u = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t ^= t + Math.imul(t ^ (t >>> 7), 61 | t);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 2 ** 32;
  };
  for (let i = 0; i < n; i++) x[i] = Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()) * (i % 97 === 0 ? 40 : 1);
  return x;
}

function runWorker(data: unknown): Promise<{ clipped: number; heapBase: number }> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL("./fixtures/encode-worker.mjs", import.meta.url), { workerData: data });
    w.once("message", (m) => resolve(m as { clipped: number; heapBase: number }));
    w.once("error", reject);
    w.once("exit", (code) => code !== 0 && reject(new Error(`worker exited with ${code}`)));
  });
}

describe("two workers, one shared memory", () => {
  it("encode disjoint halves concurrently, bit-identical to one thread", async () => {
    const k = await loadQuantKernels();
    const arena = createArena(k);
    const n = 64 * 1024; // a multiple of every block size
    const half = n / 2;
    const x = gaussian(n, 12345);
    const xPtr = arena.alloc(4 * n);
    new Float32Array(k.memory.buffer, xPtr, n).set(x);
    const barrierPtr = arena.alloc(16);
    const perWorker: Array<Array<{ format: string; src: number; n: number; dst: number; out: number }>> = [[], []];
    const layout = FORMATS_UNDER_TEST.map((format) => {
      const c = createCodec(k, format);
      const packed = arena.alloc(c.bytesFor(n));
      const out = arena.alloc(4 * n);
      for (let w = 0; w < 2; w++) {
        perWorker[w]!.push({ format, src: xPtr + 4 * w * half, n: half, dst: packed + c.bytesFor(half) * w, out: out + 4 * w * half });
      }
      return { format, c, packed, out };
    });
    const module = await bundledModule();
    const results = await Promise.all([0, 1].map((w) =>
      runWorker({ module, memory: k.memory, barrierPtr, parties: 2, jobs: perWorker[w], rounds: 3 })));
    expect(results[0]!.heapBase).toBe(k.heapBase);
    for (const { format, c, packed, out } of layout) {
      const whole = c.encode(x);
      const fromWorkers = new Uint8Array(k.memory.buffer, packed, c.bytesFor(n));
      expect(Buffer.from(fromWorkers).equals(Buffer.from(whole.bytes)), format).toBe(true);
      const decoded = new Float32Array(k.memory.buffer, out, n);
      expect(Buffer.from(decoded.buffer, out, 4 * n).equals(Buffer.from(c.decode(whole.bytes, n).buffer)), format).toBe(true);
    }
  });
});
