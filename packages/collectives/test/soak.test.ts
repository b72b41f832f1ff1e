// Soak: thousands of consecutive calls of random sizes and kinds on one communicator: every result
// checked, the shared memory never reallocated, no heap growth beyond noise.
import { expect, it } from "vitest";
import { runGroup } from "@tensorwire/collectives/node";

const worker = new URL("./workers/misc.mjs", import.meta.url);

it("3000 random-size calls (all collectives, plain and compressed) with stable memory", async () => {
  const out = await runGroup<{ failures: string[]; calls: number; bytes0: number; bytes1: number; heapGrowth: number }>(
    3, worker, { calls: 3000, seed: 1234 }, { export: "soak", waitMode: "wait" },
  );
  for (const [r, o] of out.entries()) {
    expect(o.failures, `rank ${r}`).toEqual([]);
    expect(o.calls).toBeGreaterThanOrEqual(3000);
    expect(o.bytes1, "shared memory size").toBe(o.bytes0);
    expect(o.heapGrowth, `rank ${r} heap growth (bytes)`).toBeLessThan(2 * 1024 * 1024);
    console.log(`rank ${r}: heap growth ${(o.heapGrowth / 1024).toFixed(1)} KiB over 2700 calls`);
  }
});
