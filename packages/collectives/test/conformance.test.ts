// Every collective, world sizes 1–8, lengths 0, 1, not divisible by p, and large (2^20 + 3: more than
// one segment at the default 4 MiB capacity), closed-form oracles plus full local recomputation,
// every algorithm twice on one communicator, bit-identical results on every rank.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnGroup, type Group } from "@tensorwire/collectives/node";

const worker = new URL("./workers/conformance.mjs", import.meta.url);

interface Report { failures: string[]; hashes: Record<string, string> }

function expectConsistent(reports: Report[]): void {
  reports.forEach((r, rank) => expect(r.failures, `rank ${rank}`).toEqual([]));
  for (let rank = 1; rank < reports.length; rank++) expect(reports[rank]!.hashes, `rank ${rank} vs rank 0`).toEqual(reports[0]!.hashes);
}

const LARGE = 2 ** 20 + 3;

for (const p of [1, 2, 3, 4, 5, 6, 7, 8]) {
  describe(`world size ${p}`, () => {
    let g: Group;
    beforeAll(async () => {
      g = await spawnGroup({ worldSize: p, module: worker, waitMode: p > 2 ? "wait" : "auto", timeoutMs: 60_000 });
    });
    afterAll(async () => { await g?.shutdown(); });

    it("allReduce: one-shot, two-shot, ring, auto on small and uneven lengths", async () => {
      const lengths = [0, 1, 2, p + 1, 16 * p + 3, 1000, 4099];
      expectConsistent(await g.run<Report>({ task: "allreduce", lengths, algorithms: ["one-shot", "two-shot", "ring", "auto"], zeroCopy: true }));
    });

    it(`allReduce of ${LARGE} elements (two segments)`, async () => {
      // closed form on every rank; the full local recomputation (p² work per rank) only at p = 2
      const algorithms = p <= 2 ? ["one-shot", "two-shot", "ring"] : p === 3 || p === 5 || p === 8 ? ["two-shot", "ring"] : ["two-shot"];
      expectConsistent(await g.run<Report>({ task: "allreduce", lengths: [LARGE], algorithms, zeroCopy: false, noisyMax: p === 2 ? Infinity : 0 }));
    });

    it("reduceScatter, allGather, broadcast, barrier", async () => {
      expectConsistent(await g.run<Report>({ task: "collectives", lengths: [0, 1, p + 1, 1000, 3 * p + 1] }));
    });

    it(`reduceScatter of ${LARGE} and ${3 * LARGE} elements (larger than the capacity: rounds)`, async () => {
      expectConsistent(await g.run<Report>({ task: "collectives", lengths: [LARGE, 3 * LARGE], only: "reduceScatter" }));
    });

    it("barrier: no rank leaves before every rank arrived", async () => {
      const sab = new SharedArrayBuffer(4 * p);
      expectConsistent(await g.run<Report>({ task: "barrier-order", sab }));
    });
  });
}

describe("segmented calls (capacity 1024 elements)", () => {
  let g: Group;
  beforeAll(async () => {
    g = await spawnGroup({ worldSize: 3, module: worker, waitMode: "wait", maxMessageBytes: 4096 });
  });
  afterAll(async () => { await g?.shutdown(); });

  it("allReduce, allGather and broadcast longer than the capacity", async () => {
    expectConsistent(await g.run<Report>({ task: "allreduce", lengths: [1023, 1024, 1025, 5000], algorithms: ["one-shot", "two-shot", "ring"], zeroCopy: true }));
    expectConsistent(await g.run<Report>({ task: "collectives", lengths: [1000, 3000] }));
  });
});
