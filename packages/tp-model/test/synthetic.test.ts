import { mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeFp16, encodeFp16 } from "@tensorwire/quant-wasm/reference";
import { describe, expect, it } from "vitest";
import { openCheckpoint } from "../src/format/checkpoint.js";
import { memorySink } from "../src/format/gguf-writer.js";
import { readGgufHeader } from "../src/format/gguf.js";
import { openFileSource, writeSyntheticModelFile } from "../src/format/node-source.js";
import { bytesSource } from "../src/format/source.js";
import { readTensor } from "../src/format/tensor-read.js";
import {
  NormalStream, syntheticConfig, syntheticTensors, syntheticValues, writeSyntheticModel,
} from "../src/synthetic.js";
import type { SyntheticModelOptions } from "../src/synthetic.js";
import { Tokenizer } from "../src/tokenizer.js";

async function build(o: SyntheticModelOptions): Promise<Uint8Array> {
  const sink = memorySink();
  const { bytes } = await writeSyntheticModel(sink, o);
  const out = sink.bytes();
  expect(out.length).toBe(bytes);
  return out;
}

const SHAPES: SyntheticModelOptions[] = [
  { dim: 24, hiddenDim: 37, nLayers: 2, nHeads: 3, nKvHeads: 3, vocabSize: 11, seqLen: 17, seed: 1, type: "f32" },
  { dim: 64, hiddenDim: 96, nLayers: 2, nHeads: 8, nKvHeads: 2, vocabSize: 300, seqLen: 64, seed: 2, type: "f32" }, // GQA 8/2
  { dim: 40, hiddenDim: 30, nLayers: 3, nHeads: 5, nKvHeads: 1, vocabSize: 53, seqLen: 9, seed: 3, type: "f16" }, // MQA
  { dim: 32, hiddenDim: 64, nLayers: 1, nHeads: 8, nKvHeads: 2, vocabSize: 267, seqLen: 32, seed: -7, type: "f16" },
];

describe("synthetic GGUF models", () => {
  for (const o of SHAPES) {
    it(`${JSON.stringify(o)}: read back gives the same config and weights`, async () => {
      const bytes = await build(o);
      const ck = await openCheckpoint(bytesSource(bytes, "syn.gguf"));
      expect(ck.format).toBe("gguf");
      expect(ck.config).toEqual(syntheticConfig(o));
      const ts = syntheticTensors(ck.config);
      expect([...ck.tensors.keys()].sort()).toEqual(ts.map((t) => t.name).sort());
      for (let i = 0; i < ts.length; i++) {
        const t = ts[i]!;
        const info = ck.tensors.get(t.name)!;
        expect(info.shape).toEqual(t.shape);
        expect(info.type).toBe(t.norm ? "f32" : o.type);
        const want = syntheticValues(o.seed, i, t);
        const stored = o.type === "f16" && !t.norm ? want.map((v) => decodeFp16(encodeFp16(v))) : want;
        const got = await readTensor(ck.source, info);
        expect(got, t.name).toEqual(stored);
        if (t.norm) expect(got.every((v) => v === 1)).toBe(true);
      }
      const h = await readGgufHeader(bytesSource(bytes, "syn.gguf"));
      expect(h.dataOffset % 32).toBe(0);
      for (const t of h.tensors) expect(t.offset % 32).toBe(0);
      for (const k of ["general.name", "general.file_type", "llama.rope.dimension_count", "tokenizer.ggml.token_type", "tokenizer.ggml.unknown_token_id"]) {
        expect(h.metadata.has(k), k).toBe(true);
      }
      // the tokenizer: byte tokens iff vocab ≥ 267, pieces distinct, encode/decode of text in the vocabulary
      const tok = new Tokenizer(ck.tokenizer!, "syn.gguf");
      expect(tok.vocabSize).toBe(o.vocabSize);
      expect(tok.hasByteTokens).toBe(o.vocabSize >= 267);
      expect(new Set(tok.pieces.map((p) => p.join(","))).size).toBe(o.vocabSize);
      const s = o.vocabSize >= 53 ? "a test\nat tea" : "eta";
      const ids = tok.encode(s, true, false);
      expect(ids.every((x) => x !== tok.unknownId)).toBe(true);
      expect(tok.decodeText(ids)).toBe(s);
    });
  }

  it("deterministic for a seed; a different seed gives different weights; statistics of a fan-in init", async () => {
    const o = SHAPES[1]!;
    const a = await build(o), b = await build(o), c = await build({ ...o, seed: 3 });
    expect(a).toEqual(b);
    expect(a.length).toBe(c.length);
    expect(a).not.toEqual(c);
    const t = syntheticTensors(syntheticConfig(o));
    const w = syntheticValues(9, 2, { ...t[2]!, shape: [512, 256] });
    const mean = w.reduce((x, y) => x + y, 0) / w.length;
    const sd = Math.sqrt(w.reduce((x, y) => x + (y - mean) ** 2, 0) / w.length);
    expect(Math.abs(mean)).toBeLessThan(0.01 / 16);
    expect(Math.abs(sd * 16 - 1)).toBeLessThan(0.01); // 1/sqrt(256) = 1/16
    // the normal stream: first moments of N(0, 1)
    const s = new NormalStream(5, 0);
    let m1 = 0, m2 = 0, m4 = 0;
    const N = 200000;
    for (let i = 0; i < N; i++) {
      const x = s.normal();
      m1 += x; m2 += x * x; m4 += x ** 4;
    }
    expect(Math.abs(m1 / N)).toBeLessThan(0.01);
    expect(Math.abs(m2 / N - 1)).toBeLessThan(0.02);
    expect(Math.abs(m4 / N - 3)).toBeLessThan(0.1);
  });

  it("bad options are errors naming the field", async () => {
    const o = SHAPES[0]!;
    await expect(build({ ...o, dim: 0 })).rejects.toThrow(/synthetic model options: dim = 0/);
    await expect(build({ ...o, nHeads: 5 })).rejects.toThrow(/not divisible by the 5 heads/);
    await expect(build({ ...o, nKvHeads: 2 })).rejects.toThrow(/3 query heads are not a multiple of the 2 KV heads/);
    await expect(build({ ...o, vocabSize: 3 })).rejects.toThrow(/vocabSize 3 is too small/);
    await expect(build({ ...o, type: "q8_0" as "f32" })).rejects.toThrow(/type "q8_0"/);
    await expect(build({ ...o, seed: 0.5 })).rejects.toThrow(/seed 0.5/);
  });

  it("writes to a file with progress, streaming", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tw-syn-"));
    const path = join(dir, "m.gguf");
    const seen: [number, number][] = [];
    const o: SyntheticModelOptions = { dim: 64, hiddenDim: 128, nLayers: 2, nHeads: 4, nKvHeads: 2, vocabSize: 512, seqLen: 128, seed: 11, type: "f32" };
    const { bytes, config } = await writeSyntheticModelFile(path, o, (w, t) => seen.push([w, t]));
    expect(statSync(path).size).toBe(bytes);
    expect(seen.at(-1)).toEqual([bytes, bytes]);
    for (let i = 1; i < seen.length; i++) expect(seen[i]![0]).toBeGreaterThanOrEqual(seen[i - 1]![0]);
    const src = await openFileSource(path);
    try {
      const ck = await openCheckpoint(src);
      expect(ck.config).toEqual(config);
      const mem = await build(o);
      const buf = await src.read(0, src.size);
      expect(buf).toEqual(mem);
    } finally {
      await src.close();
    }
    await expect(writeSyntheticModelFile(join(dir, "no/such/dir/m.gguf"), o)).rejects.toThrow(/no\/such\/dir\/m\.gguf: cannot create/);
  });
});
