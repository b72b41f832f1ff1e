// The tensor-parallel model on the real stories260K checkpoint: the llama2.c golden text at TP 1–4
// from the .bin and the .gguf, logits of TP 2–8 against TP 1 and against the scalar reference, bit-
// identical replicated state on every rank, and what compression does.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openCheckpoint } from "../dist/format/checkpoint.js";
import { openFileSource } from "../dist/format/node-source.js";
import { type TensorParallelModel, loadModel } from "../dist/node/engine.js";
import { paperPolicy } from "../dist/policy.js";
import { ReferenceModel, loadFullWeights } from "../dist/reference/forward.js";
import { bitsPerValue, resolveCodec } from "@tensorwire/quant-wasm";
import { referenceDequantize, referenceQuantize } from "@tensorwire/quant-wasm/reference";
import { XorShiftRng } from "../dist/sampler.js";
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
          expect(r.tokens.length).toBe(201); // BOS + one token per position
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

function maxAbs(a: Float32Array): number {
  let m = 0;
  for (const v of a) m = Math.max(m, Math.abs(v));
  return m;
}

function relRms(a: Float32Array, ref: Float32Array): number {
  let e = 0, n = 0;
  for (let i = 0; i < a.length; i++) { e += (a[i]! - ref[i]!) ** 2; n += ref[i]! ** 2; }
  return Math.sqrt(e / n);
}

/** Relative RMS error of a codec on 2^16 seeded N(0, 1) values. */
function codecRelRmse(codec: string): number {
  const n = 1 << 16;
  const x = new Float32Array(n);
  const rng = new XorShiftRng(7);
  for (let i = 0; i < n; i += 2) {
    const u = (rng.nextU32() + 1) / 4294967297, v = rng.nextU32() / 4294967296;
    const r = Math.sqrt(-2 * Math.log(u));
    x[i] = r * Math.cos(2 * Math.PI * v);
    x[i + 1] = r * Math.sin(2 * Math.PI * v);
  }
  const spec = resolveCodec(codec);
  const y = referenceDequantize(spec, referenceQuantize(spec, x).bytes, n);
  return relRms(y, x);
}

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
      // f32 partial sums added in another order: |Δ| ≤ 1e-5 relative to the logit scale (measured: ~5e-7)
      expect(maxAbsDiff(r.logits, tp1)).toBeLessThan(1e-5 * Math.max(1, maxAbs(tp1)));
      expect(r.stateHashes.length).toBe(tp);
      expect(new Set(r.stateHashes).size).toBe(1);
    });
  }

  it("TP = 9 (more ranks than the 8 query heads) fails up front", async () => {
    await expect(loadModel({ model: gguf, tp: 9 })).rejects.toThrow(/exceeds the model's 8 query heads/);
  });

  it("compressed prefill stays within the codec's predicted error; ranks stay bit-identical", async () => {
    // prediction: the codec's relative RMS error on N(0, 1) data (quant-wasm's scalar reference); the
    // logits' relative RMS error after 2·nLayers lossy all-reduces must be nonzero and not exceed it
    for (const codec of ["fp16", "bf16", "q8_0", "mxfp6-e2m3", "mxfp4", "int4"] as const) {
      const m = await loadModel({ model: gguf, tp: 2, policy: paperPolicy(codec) });
      models.push(m);
      const r = await m.score(tokens);
      const err = relRms(r.logits, tp1);
      const predicted = codecRelRmse(codec);
      expect(err, codec).toBeGreaterThan(0);
      expect(err, `${codec}: logits rel. RMS error ${err} vs codec ${predicted}`).toBeLessThan(predicted);
      expect(r.metrics.compressionRatio, codec).toBeCloseTo(32 / bitsPerValue(resolveCodec(codec)), 1);
      expect(new Set(r.stateHashes).size).toBe(1);
    }
  });

  it("the paper policy compresses prefill only", async () => {
    const m = await loadModel({ model: gguf, tp: 2, policy: paperPolicy("mxfp4") });
    models.push(m);
    const r = await m.generate({ prompt: "Once upon a time", steps: 40, temperature: 0 });
    expect(r.prefill.compressionRatio).toBeGreaterThan(7);
    expect(r.decode.positions).toBeGreaterThan(0);
    expect(r.decode.compressionRatio).toBe(1);
    const both = await loadModel({ model: gguf, tp: 2, policy: paperPolicy("mxfp4", { phase: "both" }) });
    models.push(both);
    const r2 = await both.generate({ prompt: "Once upon a time", steps: 40, temperature: 0 });
    expect(r2.decode.compressionRatio).toBeGreaterThan(7);
  });
});
