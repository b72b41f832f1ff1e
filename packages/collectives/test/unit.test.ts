// Main-thread unit tests: layout, tuning rules, options, and a communicator used directly (no
// workers): world size 1, host-side aborts and timeouts seen by rank 0 of a 2-rank group.
import { MessageChannel } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { resolveCodec } from "@tensorwire/quant-wasm";
import {
  ALGORITHM_NAMES, CollectiveError, LINK_PRESETS, MAX_ALGORITHM_ID, RESERVED_IDS, SCHEME_NAMES, capacityFor, checkRegistry,
  chooseAlgorithm, chooseScheme, computeLayout, createCommunicator, createGroup, listAlgorithms, modelAllReduce, resolveOptions,
  shouldCompress, type RankInit,
} from "@tensorwire/collectives";

describe("layout", () => {
  it("regions are 64-byte aligned, disjoint, and fit the pages", () => {
    for (const p of [1, 2, 3, 8]) {
      const cap = capacityFor(1 << 20);
      const l = computeLayout(1000, p, cap);
      expect(l.ctrlBase % 64).toBe(0);
      expect(l.ctrlBase).toBeGreaterThanOrEqual(1000);
      expect(l.descBase).toBeGreaterThan(l.ctrlBase);
      expect(l.srcsBase).toBeGreaterThan(l.descBase);
      expect(l.slotBase).toBeGreaterThanOrEqual(l.srcsBase + p * l.srcsStride);
      const regions = [[l.input, 4 * cap], [l.scratch, 4 * cap], [l.packed, l.packedBytes], [l.reduced, l.reducedBytes]] as const;
      for (let i = 0; i < regions.length; i++) {
        expect(regions[i]![0] % 64).toBe(0);
        if (i > 0) expect(regions[i]![0]).toBeGreaterThanOrEqual(regions[i - 1]![0] + regions[i - 1]![1]);
      }
      expect(l.reduced + l.reducedBytes).toBeLessThanOrEqual(l.slotBytes);
      expect(l.slotBase + p * l.slotBytes).toBeLessThanOrEqual(l.totalBytes);
      expect(l.totalBytes).toBe(l.pages * 65536);
      // the widest packed form (f32 passthrough) of a full segment fits, with nvfp4 headers per chunk
      expect(l.packedBytes).toBeGreaterThanOrEqual(4 * cap + 4 * p);
      expect(l.reducedBytes).toBeGreaterThanOrEqual(4 * (Math.ceil(cap / p / 128) * 128) + 4);
    }
  });
  it("rejects impossible sizes with a clear message", () => {
    expect(() => computeLayout(0, 0, 128)).toThrow(/worldSize/);
    expect(() => computeLayout(0, 2, 100)).toThrow(/multiple of 128/);
    expect(() => computeLayout(0, 64, capacityFor(2 ** 30))).toThrow(/exceeds 4 GiB/);
    expect(capacityFor(4 * 1024 * 1024)).toBe(1 << 20);
    expect(capacityFor(10)).toBe(128);
  });
});

describe("tuning rules", () => {
  const mxfp4 = resolveCodec("mxfp4");
  it("shared memory: one-shot for small messages, two-shot for large, never the ring", () => {
    for (const p of [2, 4, 8]) {
      expect(chooseAlgorithm(1024, p, null)).toBe("one-shot");
      expect(chooseAlgorithm(64 << 20, p, null)).toBe("two-shot");
    }
  });
  it("compress: auto never compresses without a link model, and does on slow links for big messages", () => {
    expect(shouldCompress(64 << 20, 2, null, mxfp4)).toBe(false);
    expect(shouldCompress(16 << 20, 2, LINK_PRESETS["10Gbit/s"], mxfp4)).toBe(true);
    expect(shouldCompress(16 << 20, 4, LINK_PRESETS["1Gbit/s"], mxfp4)).toBe(true);
    expect(shouldCompress(0, 2, LINK_PRESETS["1Gbit/s"], mxfp4)).toBe(false);
    expect(shouldCompress(4096, 2, LINK_PRESETS["25GB/s"], resolveCodec("f32"))).toBe(false);
  });
  it("link model: the choices BENCHMARKS.md measured best on the 25 GB/s and 10 Gbit/s links at p = 2", () => {
    const fast = LINK_PRESETS["25GB/s"];
    // 4 KiB: one step's latency dominates → one-shot (8.1 vs 14.4 µs); 64 KiB and up: two-shot's
    // local work is a third of one-shot's (17.9 vs 20.9 µs; 1 MiB 118 vs 267 µs)
    expect(chooseAlgorithm(4 << 10, 2, fast)).toBe("one-shot");
    for (const b of [64 << 10, 1 << 20, 16 << 20]) expect(chooseAlgorithm(b, 2, fast), `${b}`).toBe("two-shot");
    for (const b of [4 << 10, 64 << 10, 1 << 20, 16 << 20]) expect(shouldCompress(b, 2, fast, mxfp4), `${b}`).toBe(false);
    for (const b of [64 << 10, 1 << 20, 16 << 20]) expect(shouldCompress(b, 2, LINK_PRESETS["10Gbit/s"], mxfp4), `${b}`).toBe(true);
  });
  it("schemes: allgather at p = 2, two-shot when c ≤ p/2 without a link", () => {
    expect(chooseScheme(1 << 20, 2, null, mxfp4)).toBe("allgather");
    expect(chooseScheme(1 << 20, 16, null, mxfp4)).toBe("two-shot"); // c ≈ 7.5 ≤ 8
    expect(chooseScheme(1 << 20, 8, null, mxfp4)).toBe("allgather");
  });
});

describe("options", () => {
  it("auto wait mode spins only when ranks ≤ cores", () => {
    expect(resolveOptions({ cores: 2 }, 2).waitMode).toBe("spin");
    expect(resolveOptions({ cores: 2 }, 3).waitMode).toBe("wait");
    expect(resolveOptions({ cores: 2, waitMode: "wait" }, 2).spinCount).toBe(64);
  });
  it("rejects bad values", () => {
    expect(() => resolveOptions({ timeoutMs: -1 }, 2)).toThrow(/timeoutMs/);
    expect(() => resolveOptions({ algorithm: "tree" as never }, 2)).toThrow(/unknown algorithm/);
    expect(() => resolveOptions({ codec: "mxfp3" as never }, 2)).toThrow(/unknown format/);
    expect(() => resolveOptions({ link: { bandwidthBytesPerSec: 0, latencySec: 0 } }, 2)).toThrow(/bandwidth/);
  });
});

describe("a communicator on the main thread", () => {
  it("world size 1: every collective is the identity; the init object survives a MessageChannel", async () => {
    const g = await createGroup(1, { maxMessageBytes: 4096 });
    const ch = new MessageChannel();
    const received = new Promise<RankInit>((res) => ch.port2.once("message", res));
    ch.port1.postMessage(g.rankInit(0));
    const init = await received;
    ch.port1.close();
    const c = createCommunicator(init);
    const x = Float32Array.from([1, 2, 3]);
    expect([...c.allReduce(x)]).toEqual([1, 2, 3]);
    expect([...c.allReduce(x, { codec: "mxfp4" })]).toEqual([1, 2, 3]); // p = 1: nothing crosses a link
    expect([...c.allGather(x)]).toEqual([1, 2, 3]);
    expect([...c.reduceScatter(x)]).toEqual([1, 2, 3]);
    expect([...c.broadcast(x, 0)]).toEqual([1, 2, 3]);
    c.barrier();
    expect(c.stats.calls).toBe(6);
    expect(() => c.alloc(1025)).toThrow(/capacity/);
    expect(c.alloc(1024).length).toBe(1024);
    expect(() => c.broadcast(x, 1)).toThrow(CollectiveError);
    c.close();
    expect(() => c.barrier()).toThrow(/closed/);
  });

  it("a host abort makes calls throw at once, naming the failed rank and the reason", async () => {
    const g = await createGroup(2);
    const c = createCommunicator(g.rankInit(0));
    expect(g.abort(1, "exited", 7)).toBe(true);
    expect(g.abort(0, "threw")).toBe(false); // first failure wins
    let err: CollectiveError | undefined;
    try { c.allReduce(new Float32Array(10)); } catch (e) { err = e as CollectiveError; }
    expect(err).toBeInstanceOf(CollectiveError);
    expect(err).toMatchObject({ code: "aborted", failedRank: 1, reason: "exited", rank: 0 });
    expect(err!.message).toContain("rank 1 failed: its worker exited with code 7");
  });

  it("a peer that never arrives: the wait times out and names it", async () => {
    const g = await createGroup(2, { timeoutMs: 100, waitMode: "wait", waitSliceMs: 10 });
    const c = createCommunicator(g.rankInit(0));
    const t = performance.now();
    expect(() => c.barrier()).toThrow(/rank 1 stopped answering: rank 0 waited \d+ ms/);
    expect(performance.now() - t).toBeGreaterThanOrEqual(100);
    expect(g.failure()).toMatchObject({ failedRank: 1, reporter: 0 });
  });
});

describe("algorithm registry", () => {
  it("one list: names, ids, schemes; ids in 1..MAX_ALGORITHM_ID, unique, never a reserved id", () => {
    const list = listAlgorithms();
    expect(list.map((a) => a.name)).toEqual(["one-shot", "two-shot", "ring", "compressed-allgather", "compressed-two-shot"]);
    expect(ALGORITHM_NAMES).toEqual(list.filter((a) => a.scheme === null).map((a) => a.name));
    expect(SCHEME_NAMES).toEqual(["allgather", "two-shot"]);
    const ids = list.map((a) => a.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) {
      expect(id).toBeGreaterThanOrEqual(1);
      expect(id).toBeLessThanOrEqual(MAX_ALGORITHM_ID);
      expect(Object.values(RESERVED_IDS)).not.toContain(id);
    }
    for (const r of Object.values(RESERVED_IDS)) expect(r < 1 || r > MAX_ALGORITHM_ID).toBe(true);
    expect(() => checkRegistry()).not.toThrow();
  });
  it("checkRegistry refuses reserved, out-of-range and duplicate ids", () => {
    const base = listAlgorithms();
    expect(() => checkRegistry([...base, { name: "tree", id: RESERVED_IDS.fixed, scheme: null, schemeId: 0 }])).toThrow(/tree: id 256 outside 1\.\.255/);
    expect(() => checkRegistry([...base, { name: "tree", id: 0, scheme: null, schemeId: 0 }])).toThrow(/outside/);
    expect(() => checkRegistry([...base, { name: "tree", id: 2, scheme: null, schemeId: 0 }])).toThrow(/tree: id 2 used twice/);
    expect(() => checkRegistry([...base, { name: "ring", id: 9, scheme: null, schemeId: 0 }])).toThrow(/name ring used twice/);
    expect(() => checkRegistry([...base, { name: "x", id: 9, scheme: "allgather", schemeId: 1 }])).toThrow(/scheme id 1 used twice/);
  });
  it("option validation and the cost model take their candidates from it", () => {
    expect(() => resolveOptions({ algorithm: "tree" as never }, 2)).toThrow(/known: auto, one-shot, two-shot, ring/);
    expect(() => resolveOptions({ scheme: "ring" as never }, 2)).toThrow(/known: auto, allgather, two-shot/);
    const link = LINK_PRESETS["1Gbit/s"];
    for (const b of [1 << 10, 1 << 16, 1 << 22]) {
      const best = ALGORITHM_NAMES.reduce((x, y) => (modelAllReduce(y, b, 4, link) < modelAllReduce(x, b, 4, link) ? y : x));
      expect(chooseAlgorithm(b, 4, link)).toBe(best);
    }
  });
});

describe("prepared plans on one rank", () => {
  it("prepare validates locally; a plan works only on its own communicator", async () => {
    const c1 = createCommunicator((await createGroup(1)).rankInit(0));
    const c2 = createCommunicator((await createGroup(1)).rankInit(0));
    const plan = c1.prepare({ codec: "mxfp4" });
    const x = Float32Array.from([1, 2, 3]);
    expect([...c1.allReduce(x, { plan })]).toEqual([1, 2, 3]);
    expect(c1.stats.last).toMatchObject({ algorithm: "one-shot", codec: null }); // p = 1: nothing is quantized
    expect(() => c2.allReduce(x, { plan })).toThrow(/options.plan was prepared by another communicator \(rank 0\)/);
    expect(() => c1.allReduce(x, { plan, compress: false })).toThrow(/options.compress must be absent/);
    expect(() => c1.prepare({ scheme: "ring" as never })).toThrow(CollectiveError);
    expect(() => c1.prepare({ seed: 0.5 })).toThrow(/prepare: options.seed: must be an integer/);
    c1.close();
    expect(() => c1.prepare()).toThrow(/closed/);
  });
});
