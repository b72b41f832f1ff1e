// Prepared all-reduce plans (comm.prepare): a call through a plan gives exactly the bits, the
// algorithm, codec and scheme of the same call with per-call options (every algorithm, compressed
// and not, stochastic rounding with a seed, compress false / auto, codec "none"; empty, tiny, odd
// and segmented sizes; in place and with an output), plans are local (prepare never communicates)
// and validated when prepared.
import { describe, expect, it } from "vitest";
import { spawnGroup } from "@tensorwire/collectives/node";

const worker = new URL("./workers/plans.mjs", import.meta.url);

interface Rec { c: number; n: number; withOutput: boolean; hash: string; inPlace: boolean; algorithm: string; codec: string | null; scheme: string | null }

async function runMode(p: number, mode: "options" | "plan"): Promise<Rec[][]> {
  // 64 KiB segments: the 40 003-element calls run in three segments
  const g = await spawnGroup({ worldSize: p, module: worker, waitMode: p > 2 ? "wait" : "auto", maxMessageBytes: 64 * 1024 });
  try {
    return await g.run<Rec[]>({ mode });
  } finally {
    await g.shutdown();
  }
}

describe("a call with a prepared plan equals the call with the same per-call options, bit for bit", () => {
  for (const p of [2, 3]) {
    it(`world size ${p}`, async () => {
      const a = await runMode(p, "options");
      const b = await runMode(p, "plan");
      for (let r = 0; r < p; r++) {
        expect(b[r]!.length).toBe(a[r]!.length);
        for (let i = 0; i < a[r]!.length; i++) {
          const x = a[r]![i]!, y = b[r]![i]!;
          expect(y, `rank ${r} config ${x.c} n ${x.n} output ${x.withOutput}`).toEqual(x);
          expect(x.inPlace).toBe(!x.withOutput);
          expect(x.hash, "every rank gets the same bits").toBe(a[0]![i]!.hash);
        }
      }
      // the calls covered every algorithm and both schemes
      const algs = new Set(a[0]!.map((x) => x.algorithm));
      for (const name of ["one-shot", "two-shot", "ring", "compressed-two-shot", "compressed-allgather"]) expect(algs, name).toContain(name);
      expect(new Set(a[0]!.map((x) => x.codec))).toEqual(new Set([null, "mxfp4/b32/e8m0", "nvfp4/b16/ue4m3", "int8/b64/f32/sr"]));
    });
  }
});

describe("plan objects", () => {
  it("are frozen, carry their options and rank, and are validated locally by prepare()", async () => {
    const g = await spawnGroup({ worldSize: 2, module: worker, export: "props" });
    try {
      const out = await g.run<{ rank: number; options: object; frozen: boolean; keys: string[]; errors: Array<{ name: string; code: string; message: string } | null>; sum: number; expected: number }>();
      for (const [r, o] of out.entries()) {
        expect(o.rank).toBe(r);
        expect(o.options).toEqual({ codec: "mxfp4", seed: 3 });
        expect(o.frozen).toBe(true);
        expect(o.keys.sort()).toEqual(["options", "rank"]);
        const msgs = [
          /prepare: options.codec: unknown format "q5_1"/, /prepare: options.algorithm: unknown algorithm "x"/,
          /prepare: options.output does not belong in a plan/, /prepare: options.plan does not belong in a plan/,
          /prepare: options must be an object, got null/, /prepare: options must be an object, got number 5/,
        ];
        o.errors.forEach((e, i) => {
          expect(e, `case ${i}`).toMatchObject({ name: "CollectiveError", code: "invalid" });
          expect(e!.message).toMatch(msgs[i]!);
        });
        // prepare() never arrived: the group is still in step
        expect(o.sum).toBe(o.expected);
      }
    } finally {
      await g.shutdown();
    }
  });
});
