// Soak: thousands of consecutive calls of random sizes and kinds on one communicator, with rank-local
// random delays between calls: every result checked, the shared memory never reallocated, no heap
// growth beyond noise.
import { expect, it } from "vitest";
import { runGroup } from "@tensorwire/collectives/node";

const worker = new URL("./workers/misc.mjs", import.meta.url);

for (const p of [2, 3]) {
  it(`p = ${p}: 3000 random-size calls (all collectives, plain and compressed) with stable memory`, async () => {
    const out = await runGroup<{ failures: string[]; calls: number; bytes0: number; bytes1: number; heapGrowth: number }>(
      p, worker, { calls: 3000, seed: 1234 + p }, { export: "soak", waitMode: p > 2 ? "wait" : "auto" },
    );
    for (const [r, o] of out.entries()) {
      expect(o.failures, `rank ${r}`).toEqual([]);
      expect(o.calls).toBeGreaterThanOrEqual(3000);
      expect(o.bytes1, "shared memory size").toBe(o.bytes0);
      expect(o.heapGrowth, `rank ${r} heap growth (bytes)`).toBeLessThan(2 * 1024 * 1024);
      console.log(`p=${p} rank ${r}: heap growth ${(o.heapGrowth / 1024).toFixed(1)} KiB over 2700 calls`);
    }
  });
}

for (const zeroCopy of [false, true]) it(`back-to-back calls of every kind with changing inputs${zeroCopy ? ", in place on alloc() views" : ""} (buffer reuse between consecutive calls)`, async () => {
  const plans = [
    { algorithm: "one-shot" }, { algorithm: "one-shot" }, { algorithm: "two-shot" }, { algorithm: "ring" },
    { codec: "f32", scheme: "allgather" }, { codec: "f32", scheme: "allgather" }, { codec: "f32", scheme: "two-shot" },
    { algorithm: "one-shot" }, { codec: "f32", scheme: "allgather" },
  ];
  const out = await runGroup<string[]>(3, worker, { calls: 600, n: 40_000, plans, zeroCopy }, { export: "backToBack", waitMode: "wait" });
  out.forEach((f, r) => expect(f, `rank ${r}`).toEqual([]));
});

it("back-to-back ring-heavy calls at p = 5 (the ring has no final barrier: see algorithms/ring.ts)", async () => {
  const plans = [{ algorithm: "ring" }, { algorithm: "ring" }, { codec: "f32", scheme: "two-shot" }, { algorithm: "ring" }, { codec: "f32", scheme: "allgather" }, { algorithm: "one-shot" }];
  for (const zeroCopy of [false, true]) {
    const out = await runGroup<string[]>(5, worker, { calls: 300, n: 30_000, plans, zeroCopy }, { export: "backToBack", waitMode: "wait" });
    out.forEach((f, r) => expect(f, `rank ${r}${zeroCopy ? " (alloc views)" : ""}`).toEqual([]));
  }
});
