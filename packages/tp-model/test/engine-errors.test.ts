// Bad input to the host and the ranks: clear errors, never a hang, and a rank that fails while loading
// fails the whole group at once.
import { join } from "node:path";
import { spawnGroup } from "@tensorwire/collectives/node";
import { describe, expect, it } from "vitest";
import { loadModel } from "../dist/node/engine.js";
import { UNCOMPRESSED } from "../dist/policy.js";
import { modelsDir } from "./helpers/format-fixtures.js";

const dir = modelsDir();
const d = dir === null ? describe.skip : describe;
const bin = dir ? join(dir, "stories260K", "stories260K.bin") : "";
const gguf = dir ? join(dir, "stories260K", "stories260K.gguf") : "";

describe("host errors", () => {
  it("a missing model file names the path", async () => {
    await expect(loadModel({ model: "/nonexistent/model.gguf" })).rejects.toThrow(/\/nonexistent\/model\.gguf/);
  });
});

d("errors with stories260K", () => {
  it("a llama2.c checkpoint without a tokenizer", async () => {
    await expect(loadModel({ model: bin })).rejects.toThrow(/tokenizer/);
  });
  it("a missing tokenizer file names it", async () => {
    await expect(loadModel({ model: bin, tokenizer: "/nope/tok.bin" })).rejects.toThrow(/\/nope\/tok\.bin/);
  });
  it("impossible TP degrees", async () => {
    await expect(loadModel({ model: gguf, tp: 0 })).rejects.toThrow(/positive integer/);
    await expect(loadModel({ model: gguf, tp: 2.5 })).rejects.toThrow(/positive integer/);
    await expect(loadModel({ model: gguf, tp: 9 })).rejects.toThrow(/query heads/);
  });
  it("bad policies are rejected before the ranks start", async () => {
    await expect(loadModel({ model: gguf, policy: { rules: [{ codec: "mxfp4", layers: [7] }] } })).rejects.toThrow(/layer 7/);
    await expect(loadModel({ model: gguf, policy: { rules: [{ codec: "mxfp4", site: "ffn" as never }] } })).rejects.toThrow(/site/);
    await expect(loadModel({ model: gguf, policy: { rules: [{ codec: "nope" as never }] } })).rejects.toThrow(/rule 0: codec: unknown format "nope"/);
  });
  it("a bad codec, block or scheme in setPolicy is a host error; the group keeps working", async () => {
    const m = await loadModel({ model: gguf, tp: 3 });
    try {
      await expect(m.setPolicy({ rules: [{ codec: "nope" as never }] })).rejects.toThrow(/rule 0: codec: unknown format "nope"/);
      await expect(m.setPolicy({ rules: [{ codec: { format: "mxfp4", block: 7 } }] })).rejects.toThrow(/rule 0: codec: .*block 7/);
      await expect(m.setPolicy({ rules: [{ codec: "mxfp4", scheme: "ring" as never }] })).rejects.toThrow(/rule 0: scheme must be/);
      await expect(m.setPolicy({ rules: [{ codec: 42 as never }] })).rejects.toThrow(/rule 0: codec must be/);
      await m.setPolicy({ rules: [{ codec: "mxfp4" }] });
      const r = await m.generate({ steps: 10, temperature: 0 });
      expect(r.tokens.length).toBe(11);
    } finally {
      await m.close();
    }
  });
  it("bad tokens and positions are rejected on the host; the model stays usable", async () => {
    const m = await loadModel({ model: gguf, tp: 2 });
    try {
      await expect(m.score([1, 512])).rejects.toThrow(/not in the vocabulary/);
      await expect(m.score([1, 2.5])).rejects.toThrow(/not in the vocabulary/);
      await expect(m.score([])).rejects.toThrow(/no tokens/);
      await expect(m.score(new Array(m.maxSeqLen + 1).fill(5))).rejects.toThrow(/KV cache/);
      await expect(m.generate({ steps: -1 })).rejects.toThrow(/steps/);
      await expect(m.generate({ temperature: -1 })).rejects.toThrow(/temperature/);
      const r = await m.generate({ steps: 10, temperature: 0 });
      expect(r.tokens.length).toBe(11);
    } finally {
      await m.close();
    }
    await expect(m.score([1])).rejects.toThrow(/closed/);
  });
  it("a rank that cannot open its file fails the group at once, naming the rank", async () => {
    const g = await spawnGroup({ worldSize: 3, module: new URL("../dist/rank.js", import.meta.url), timeoutMs: 60_000 });
    try {
      const t0 = performance.now();
      const run = g.run((rank: number) => ({
        cmd: "load",
        source: { kind: "path", path: rank === 1 ? "/nonexistent/shard.gguf" : gguf },
        policy: UNCOMPRESSED,
      }));
      await expect(run).rejects.toThrow(/rank 1|nonexistent/);
      expect(performance.now() - t0).toBeLessThan(20_000);
    } finally {
      await g.shutdown();
    }
  });
});
