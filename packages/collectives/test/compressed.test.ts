// Compressed all-reduce with every quant-wasm codec whose kernels work in this build, both schemes,
// p = 2, 3, 5: every element within the codec's worst-case error bound (test/codec-bounds.ts) of the
// exact f32 sum, and bit-identical on every rank. Each case runs twice on one communicator.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FORMATS, descriptorOf, loadQuantKernels, resolveCodec, type FormatName } from "@tensorwire/quant-wasm";
import { spawnGroup, type Group } from "@tensorwire/collectives/node";
import { BOUNDS } from "./codec-bounds.js";

const worker = new URL("./workers/compressed.mjs", import.meta.url);

/** Does this quant.wasm build implement the format? (Round trip of a small ramp within 50% of amax.) */
async function workingFormats(): Promise<Set<FormatName>> {
  const k = await loadQuantKernels();
  const f = new Float32Array(k.memory.buffer);
  const src = k.heapBase + 64, dst = src + 4096, out = dst + 4096, n = 256;
  const ok = new Set<FormatName>();
  for (const fm of FORMATS) {
    const d = descriptorOf(resolveCodec(fm.name));
    for (let i = 0; i < n; i++) { f[(src >> 2) + i] = Math.sin(i) * 3; f[(out >> 2) + i] = Number.NaN; }
    if (k.exports.tw_quantize(d, src, n, dst, 1) < 0 || k.exports.tw_dequantize(d, dst, n, out) < 0) continue;
    let good = true;
    for (let i = 0; i < n; i++) if (!(Math.abs(f[(out >> 2) + i]! - f[(src >> 2) + i]!) <= 1.5)) good = false;
    if (good) ok.add(fm.name);
  }
  return ok;
}

const working = await workingFormats();

describe("every format of quant-wasm works in this build", () => {
  it("round-trips a small ramp within 50% of amax for every format", () => {
    expect(FORMATS.map((f) => f.name).filter((name) => !working.has(name))).toEqual([]);
  });
});
const LENGTHS = [0, 1, 31, 4099, 70_001]; // 70 001 > capacity 16 384: five segments

interface Report { failures: string[]; hashes: Record<string, string>; worst: Record<string, number> }

for (const p of [2, 3, 5]) {
  describe(`compressed all-reduce, world size ${p}`, () => {
    let g: Group;
    beforeAll(async () => {
      g = await spawnGroup({ worldSize: p, module: worker, waitMode: p > 2 ? "wait" : "auto", maxMessageBytes: 64 * 1024 });
    });
    afterAll(async () => { await g?.shutdown(); });

    it("NaN, ±Inf, near-max and subnormal inputs: bit-identical on every rank, NaN propagates (every codec, both schemes, every algorithm)", async () => {
      const cases: object[] = [];
      for (const n of [1, 4099, 40_000]) {
        for (const algorithm of ["one-shot", "two-shot", "ring"]) cases.push({ n, algorithm, seed: 3 });
        for (const fm of FORMATS) for (const scheme of ["allgather", "two-shot"]) cases.push({ n, codec: fm.name, scheme, seed: n % 5 });
      }
      const reports = await g.run<Report>({ cases, special: true });
      reports.forEach((r, rank) => expect(r.failures, `rank ${rank}`).toEqual([]));
      expect(Object.keys(reports[0]!.hashes).length).toBe(cases.length);
      for (let rank = 1; rank < p; rank++) expect(reports[rank]!.hashes, `rank ${rank} vs rank 0`).toEqual(reports[0]!.hashes);
    });

    // every format at p = 2 and 3; a 4-bit, an 8-bit and the passthrough at p = 5 (time on 2 cores)
    for (const fm of FORMATS.filter((f) => p < 5 || ["f32", "q8_0", "mxfp4", "nvfp4"].includes(f.name))) {
      const name = fm.name;
      const b = BOUNDS[name];
      it(name, async () => {
        const cases = [];
        for (const scheme of ["allgather", "two-shot"]) for (const n of LENGTHS) cases.push({ n, codec: name, scheme, seed: n % 7 });
        const reports = await g.run<Report>({ cases, E: b.E, block: b.block, tensorSlack: b.tensorSlack });
        reports.forEach((r, rank) => expect(r.failures, `rank ${rank}`).toEqual([]));
        for (let rank = 1; rank < p; rank++) expect(reports[rank]!.hashes, `rank ${rank} vs rank 0`).toEqual(reports[0]!.hashes);
        const worst = Math.max(0, ...reports.flatMap((r) => Object.values(r.worst)));
        console.log(`p=${p} ${name}: worst error / bound = ${worst.toFixed(3)}`);
        // f32 passthrough through the codec path: exactly the uncompressed rank-order sum
        if (name === "f32") expect(worst).toBe(0);
      });
    }
  });
}
