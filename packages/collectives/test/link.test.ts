// Link emulation: measured wall time of a call is at least the model's time (latency per payload
// step + bytes read / bandwidth) and within a loose factor of it (no tight timing assertions).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnGroup, type Group } from "@tensorwire/collectives/node";
import { modelledSeconds, type LinkModel } from "@tensorwire/collectives";

const worker = new URL("./workers/misc.mjs", import.meta.url);
const link: LinkModel = { bandwidthBytesPerSec: 200e6, latencySec: 1e-3 };

/** Payload steps of each algorithm at p = 2 (each reads half or all of the received bytes). */
const STEPS: Record<string, number> = { "one-shot": 1, "two-shot": 2, ring: 2, "compressed-allgather": 1 };

describe("emulated 200 MB/s, 1 ms link, p = 2", () => {
  let g: Group;
  beforeAll(async () => {
    g = await spawnGroup({ worldSize: 2, module: worker, export: "linkTiming", link, waitMode: "wait", maxMessageBytes: 2 * 1024 * 1024 });
  });
  afterAll(async () => { await g?.shutdown(); });

  for (const n of [4096, 65536, 262144]) {
    for (const [algorithm, codec] of [["one-shot", null], ["two-shot", null], ["ring", null], ["compressed-allgather", "q8_0"]] as const) {
      it(`${algorithm}, ${4 * n} bytes`, async () => {
        const [r0] = await g.run<{ medianMs: number; minMs: number; last: { bytesReceived: number; linkMs: number; algorithm: string }; value: number }>(
          { n, algorithm, codec, reps: 3 },
        );
        const { last } = r0!;
        expect(last.algorithm).toBe(algorithm);
        expect(Math.abs(r0!.value - 2)).toBeLessThan(2 / 127); // q8_0 is lossy (scale rounded to fp16)
        const steps = STEPS[algorithm]!;
        const perStep = last.bytesReceived / steps;
        const model = modelledSeconds(link, new Array(steps).fill(perStep)) * 1000;
        console.log(`${algorithm} ${4 * n} B: model ${model.toFixed(2)} ms, measured median ${r0!.medianMs.toFixed(2)} ms, link delay ${last.linkMs.toFixed(2)} ms`);
        expect(r0!.minMs).toBeGreaterThanOrEqual(model * 0.99);
        // the pipelined scheme overlaps link waits with quantization, so only its wall time is bounded
        if (algorithm !== "compressed-allgather") expect(last.linkMs).toBeGreaterThanOrEqual(model * 0.99);
        expect(r0!.medianMs).toBeLessThan(model * 5 + 50);
      });
    }
  }
});

describe("compress: auto with a policy codec", () => {
  const sizes = [256, 1 << 18];
  it("never compresses on plain shared memory", async () => {
    const g = await spawnGroup({ worldSize: 2, module: worker, export: "policyChoice", codec: "mxfp4", compress: "auto" });
    try {
      const [r0] = await g.run<{ codec: string | null; value: number }[]>({ sizes });
      for (const c of r0!) expect(c.codec).toBeNull();
    } finally { await g.shutdown(); }
  });
  it("compresses large messages on an emulated 1 Gbit/s link, and follows the cost model", async () => {
    const { shouldCompress } = await import("@tensorwire/collectives");
    const { resolveCodec } = await import("@tensorwire/quant-wasm");
    const link = { bandwidthBytesPerSec: 0.125e9, latencySec: 50e-6 };
    const g = await spawnGroup({ worldSize: 2, module: worker, export: "policyChoice", codec: "mxfp4", compress: "auto", link });
    try {
      const [r0] = await g.run<{ n: number; codec: string | null; value: number }[]>({ sizes });
      for (const c of r0!) {
        expect(c.codec !== null).toBe(shouldCompress(4 * c.n, 2, link, resolveCodec("mxfp4")));
        expect(c.value).toBe(2); // 1 + 1 is exact in mxfp4
      }
      expect(r0![1]!.codec).toMatch(/^mxfp4/);
    } finally { await g.shutdown(); }
  });
});
