// allReduce where every rank independently uses an alloc() view or a plain array, in place or into a
// separate output, in every combination across ranks: results bit-exact against the rank-order sum
// recomputed locally, and inputs untouched when an output is given (two-shot chooses where an owner
// leaves its chunk sum from these modes: in its input, its scratch, or pushed into peers' views).
import { describe, expect, it } from "vitest";
import { runGroup } from "@tensorwire/collectives/node";

const worker = new URL("./workers/buffer-modes.mjs", import.meta.url);

describe("mixed buffer modes across ranks", () => {
  for (const p of [2, 3]) {
    it(`p = ${p}: every combination of view/array × in place/output`, async () => {
      const out = await runGroup<string[]>(p, worker, { algorithms: ["two-shot", "one-shot"], lengths: [5000, 70_001] },
        { waitMode: p > 2 ? "wait" : "auto", timeoutMs: 60_000 });
      out.forEach((f, r) => expect(f, `rank ${r}`).toEqual([]));
    });
  }
});
