// The tensor-parallel model on the real stories260K checkpoint: the llama2.c golden text at TP 1–4
// from the .bin and the .gguf, logits of TP 2–8 against TP 1 and against the scalar reference, bit-
// identical replicated state on every rank, and what compression does.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openCheckpoint } from "../src/format/checkpoint.js";
import { openFileSource } from "../src/format/node-source.js";
import { type TensorParallelModel, loadModel } from "../src/node/engine.js";
import { paperPolicy } from "../src/policy.js";
import { ReferenceModel, loadFullWeights } from "../src/reference/forward.js";
import { modelsDir } from "./helpers/format-fixtures.js";

const dir = modelsDir();
const d = dir === null ? describe.skip : describe;
const bin = dir ? join(dir, "stories260K", "stories260K.bin") : "";
const tok = dir ? join(dir, "stories260K", "tok512.bin") : "";
const gguf = dir ? join(dir, "stories260K", "stories260K.gguf") : "";

function golden(): string {
  const g = process.env.TENSORWIRE_GOLDEN ?? (dir ? join(dir, "..", "golden", "stories260K", "greedy_t0_n200.txt") : "");
  return readFileSync(g, "utf8");
}

/** A story-like token sequence: the greedy continuation of BOS (deterministic). */
let sequence: number[] = [];

d("stories260K golden text (llama2.c run.c, temperature 0, 200 steps)", () => {
  for (const file of ["bin", "gguf"] as const) {
    for (const tp of [1, 2, 3, 4]) {
      it(`${file} at TP = ${tp}, uncompressed`, async () => {
        const model = await loadModel(file === "bin" ? { model: bin, tokenizer: tok, tp } : { model: gguf, tp });
        try {
          const streamed: string[] = [];
          const r = await model.generate({ steps: 200, temperature: 0, onToken: (t) => streamed.push(t) });
          expect(r.text).toBe(golden());
          expect(streamed.join("")).toBe(r.text);
          expect(r.tokens[0]).toBe(1);
          expect(r.tokens.length).toBe(200);
          if (tp === 1 && file === "bin") sequence = r.tokens;
          expect(r.prefill.compressionRatio).toBe(1);
          if (tp > 1) expect(r.bytesPerToken).toBeGreaterThan(0);
        } finally {
          await model.close();
        }
      });
    }
  }
});

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

d("stories260K logits across TP degrees", () => {
  let tokens: number[];
  let tp1: Float32Array;
  let models: TensorParallelModel[] = [];
  beforeAll(async () => {
    const base = await loadModel({ model: bin, tokenizer: tok, tp: 1 });
    models.push(base);
    tokens = base.tokenizer.encode("Once upon a time, there was a little dog named Max. He liked to run.", true, false);
    tp1 = (await base.score(tokens)).logits;
  });
  afterAll(async () => {
    await Promise.all(models.map((m) => m.close()));
    models = [];
  });

  it("TP = 1 matches the scalar reference forward pass", async () => {
    const src = await openFileSource(bin);
    try {
      const ckpt = await openCheckpoint(src);
      const ref = new ReferenceModel(ckpt.config, await loadFullWeights(ckpt));
      const V = ckpt.config.vocabSize;
      tokens.forEach((t, pos) => {
        const row = ref.forward(t, pos);
        expect(maxAbsDiff(tp1.subarray(pos * V, (pos + 1) * V), row)).toBeLessThan(1e-4);
      });
    } finally {
      await src.close();
    }
  });

  for (const tp of [2, 3, 4, 5, 6, 7, 8]) {
    it(`TP = ${tp}: logits within 1e-5 of TP = 1 and the same state on every rank`, async () => {
      const m = await loadModel({ model: gguf, tp });
      models.push(m);
      const r = await m.score(tokens);
      expect(maxAbsDiff(r.logits, tp1)).toBeLessThan(1e-5);
      expect(r.stateHashes.length).toBe(tp);
      expect(new Set(r.stateHashes).size).toBe(1);
    });
  }

  it("TP = 9 (more ranks than the 8 query heads) fails up front", async () => {
    await expect(loadModel({ model: gguf, tp: 9 })).rejects.toThrow(/exceeds the model's 8 query heads/);
  });

  it("compressed prefill: q8_0 close, mxfp4 further, both nonzero; decode stays exact", async () => {
    const errs: Record<string, number> = {};
    for (const codec of ["q8_0", "mxfp4"] as const) {
      const m = await loadModel({ model: gguf, tp: 2, policy: paperPolicy(codec) });
      models.push(m);
      const r = await m.score(tokens);
      errs[codec] = maxAbsDiff(r.logits, tp1);
      expect(r.metrics.compressionRatio).toBeGreaterThan(codec === "q8_0" ? 3.7 : 7);
    }
    expect(errs.q8_0).toBeGreaterThan(0);
    expect(errs.q8_0).toBeLessThan(0.05);
    expect(errs.mxfp4).toBeGreaterThan(errs.q8_0!);
    expect(errs.mxfp4).toBeLessThan(2);
  });
});
