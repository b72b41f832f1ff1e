// Faults: a rank that exits, throws, stops answering, or closes makes every other rank's pending and
// future calls fail with a CollectiveError naming it; run() reports it; shutdown never hangs.
// Mismatched calls fail on every rank with a message naming the ranks and values, and the group
// keeps working afterwards.
import { describe, expect, it } from "vitest";
import { GroupError, spawnGroup } from "@tensorwire/collectives/node";

const worker = new URL("./workers/faults.mjs", import.meta.url);

interface Survivor {
  threw: boolean; name: string; code: string; failedRank: number; reason: string; message: string;
  caughtAt: number; blockedMs: number; future: { code: string; failedRank: number; name: string } | null;
}

async function scenario(p: number, name: string, victim: number, timeoutMs: number) {
  const g = await spawnGroup({ worldSize: p, module: worker, waitMode: p > 2 ? "wait" : "auto", timeoutMs, abortGraceMs: 1500 });
  const clock = new SharedArrayBuffer(8);
  try {
    const t0 = Date.now();
    let err: GroupError | undefined, results: unknown[] | undefined;
    try {
      results = await g.run({ scenario: name, victim, clock });
    } catch (e) {
      err = e as GroupError;
    }
    return { err, results: (results ?? err?.results ?? []) as Survivor[], failedAt: new Float64Array(clock)[0]!, elapsed: Date.now() - t0, failure: g.failure() };
  } finally {
    const t = Date.now();
    await g.shutdown();
    expect(Date.now() - t, "shutdown time").toBeLessThan(5000);
  }
}

function expectSurvivorsName(results: Survivor[], p: number, victim: number, reason: string) {
  for (let r = 0; r < p; r++) {
    if (r === victim) continue;
    const s = results[r]!;
    expect(s, `rank ${r}`).toMatchObject({ threw: true, name: "CollectiveError", code: "aborted", failedRank: victim, reason });
    expect(s.message).toContain(`rank ${victim}`);
    // a call after the failure throws at once, naming the same rank
    expect(s.future, `rank ${r} next call`).toEqual({ code: "aborted", failedRank: victim, name: "CollectiveError" });
  }
}

describe("rank failures", () => {
  it("a worker that calls process.exit: every other rank's blocked call fails within 1 s, naming it", async () => {
    const p = 4, victim = 2;
    const { err, results, failedAt } = await scenario(p, "exit", victim, 30_000);
    expect(err).toBeInstanceOf(GroupError);
    expect(err!.failedRank).toBe(victim);
    expect(err!.reason).toBe("exited");
    expect(err!.message).toContain("exited with code 3");
    expectSurvivorsName(results, p, victim, "exited");
    for (let r = 0; r < p; r++) if (r !== victim) expect(results[r]!.caughtAt - failedAt, `rank ${r} detection latency (ms)`).toBeLessThan(1000);
  });

  it("a rank whose code throws: the others fail naming it; run() rejects with its error", async () => {
    const p = 3, victim = 0;
    const { err, results, failedAt } = await scenario(p, "throw", victim, 30_000);
    expect(err).toBeInstanceOf(GroupError);
    expect(err!.failedRank).toBe(victim);
    expect(err!.reason).toBe("threw");
    expect(err!.errors[victim]!.message).toContain("boom from the victim");
    expectSurvivorsName(results, p, victim, "threw");
    for (let r = 1; r < p; r++) expect(results[r]!.caughtAt - failedAt).toBeLessThan(1000);
  });

  it("a rank that never calls: peers time out naming it", async () => {
    const p = 3, victim = 1;
    const { err, results, failure } = await scenario(p, "idle", victim, 300);
    expect(err).toBeUndefined(); // every rank's function returned (the survivors caught their errors)
    expectSurvivorsName(results, p, victim, "timeout");
    expect(results[0]!.message).toMatch(/rank 1 stopped answering: rank \d waited \d+ ms/);
    expect(failure).toMatchObject({ failedRank: victim });
  });

  it("a rank stuck in a busy loop: peers time out, run() gives up after the grace period, shutdown terminates it", async () => {
    const p = 2, victim = 1;
    const { err, results } = await scenario(p, "busy", victim, 300);
    expect(err).toBeInstanceOf(GroupError);
    expect(err!.failedRank).toBe(victim);
    expect(err!.reason).toBe("timeout");
    expect(err!.errors[victim]!.message).toContain("still running");
    expectSurvivorsName(results, p, victim, "timeout");
  });

  it("a rank that closes its communicator: peers fail fast (no timeout) naming it", async () => {
    const p = 3, victim = 2;
    const { results, failedAt } = await scenario(p, "close", victim, 30_000);
    expectSurvivorsName(results, p, victim, "closed");
    for (let r = 0; r < 2; r++) expect(results[r]!.caughtAt - failedAt).toBeLessThan(1000);
  });

  it("shutdown while ranks are blocked in a collective returns promptly and rejects the run", async () => {
    const g = await spawnGroup({ worldSize: 3, module: worker, waitMode: "wait", timeoutMs: 60_000 });
    const run = g.run({ scenario: "idle", victim: 0 }).then(() => null, (e: unknown) => e);
    await new Promise((r) => setTimeout(r, 300));
    const t = Date.now();
    await g.shutdown();
    expect(Date.now() - t).toBeLessThan(5000);
    expect(await run).toBeInstanceOf(GroupError);
    await expect(g.run({})).rejects.toThrow(/shut down/);
  });
});

describe("mismatched calls", () => {
  const cases: [string, RegExp][] = [
    ["length", /length differs: 1000 on ranks 0,2; 1001 on rank 1/],
    ["codec", /codec differs: mxfp4 .* on rank 0; q8_0 .* on ranks 1,2/],
    ["compressed-vs-plain", /codec differs: none on ranks 0,1; nvfp4 .* on rank 2/],
    ["op", /operation differs: barrier on rank 0; allReduce on ranks 1,2/],
    ["root", /root differs: 0 on ranks 0,2; 1 on rank 1/],
    ["algorithm", /algorithm differs: ring on rank 0; two-shot on ranks 1,2/],
  ];
  for (const [kind, re] of cases) {
    it(`${kind}: every rank throws a mismatch naming ranks and values; the group still works`, async () => {
      const g = await spawnGroup({ worldSize: 3, module: worker, export: "mismatch", waitMode: "wait" });
      try {
        const out = await g.run<{ error: { name: string; code: string; ranks: number[]; message: string }; ok: boolean }>({ kind });
        for (const [r, o] of out.entries()) {
          expect(o.error, `rank ${r}`).toMatchObject({ name: "CollectiveError", code: "mismatch" });
          expect(o.error.message).toMatch(re);
          expect(o.ok, `rank ${r} after the mismatch`).toBe(true);
        }
      } finally {
        await g.shutdown();
      }
    });
  }

  it("an argument invalid on one rank: it gets the reason, the others learn which rank rejected", async () => {
    const g = await spawnGroup({ worldSize: 3, module: worker, export: "mismatch", waitMode: "wait" });
    try {
      const out = await g.run<{ error: { code: string; ranks: number[]; message: string }; ok: boolean }>({ kind: "invalid-one-rank" });
      expect(out[1]!.error).toMatchObject({ code: "invalid" });
      expect(out[1]!.error.message).toContain("output length 99");
      for (const r of [0, 2]) expect(out[r]!.error).toMatchObject({ code: "mismatch", ranks: [1] });
      for (const o of out) expect(o.ok).toBe(true);
    } finally {
      await g.shutdown();
    }
  });
});
