// Cross-check against llama.cpp (node-llama-cpp, a pinned devDependency): it loads the synthetic GGUF
// files this package writes, and its SentencePiece tokenizer agrees with ours on GGUF vocabularies.
// (One known difference, not tested: llama.cpp turns spaces into "▁" before tokenizing, so a literal
// U+2581 in the text acts as a space there; here, as in run.c, it is just another character.)
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openCheckpoint } from "../src/format/checkpoint.js";
import { openFileSource, writeSyntheticModelFile } from "../src/format/node-source.js";
import type { SyntheticModelOptions } from "../src/synthetic.js";
import { Tokenizer } from "../src/tokenizer.js";
import { itWithModels, stories260K } from "./helpers/format-fixtures.js";

type NodeLlama = typeof import("node-llama-cpp");
type Llama = Awaited<ReturnType<NodeLlama["getLlama"]>>;

let llama: Llama;
let lib: NodeLlama;
const dir = mkdtempSync(join(tmpdir(), "tw-llcpp-"));

beforeAll(async () => {
  lib = await import("node-llama-cpp");
  llama = await lib.getLlama({ gpu: false, build: "never", logLevel: lib.LlamaLogLevel.error });
}, 120_000);
afterAll(async () => {
  await llama?.dispose();
});

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}
const WORDS = ["Once", " upon", " a", " time", ",", " Lily", " the", "  ", " ", "\n", "tea", "at", "e", "x", "Q", "!", "'s", "9", "\t"];
const UNICODE = ["é", "☃", "😀", "€", "—", "ñ", "\u00a0", "日本", "<0x41>", "<s>", "</s>"];
function randomText(r: () => number, unicode = false): string {
  let s = "";
  for (let i = Math.floor(r() * 10); i > 0; i--) {
    s += unicode && r() < 0.3 ? UNICODE[Math.floor(r() * UNICODE.length)] : WORDS[Math.floor(r() * WORDS.length)];
  }
  return s;
}

async function compareTokenizers(path: string, texts: string[]): Promise<void> {
  const src = await openFileSource(path);
  const ck = await openCheckpoint(src);
  await src.close();
  const ours = new Tokenizer(ck.tokenizer!, path);
  const model = await llama.loadModel({ modelPath: path });
  try {
    for (const s of texts) {
      // llama.cpp: no BOS here (tokenize without special tokens), the SentencePiece dummy prefix included
      const theirs = [...model.tokenize(s)];
      expect(ours.encode(s, false, false), JSON.stringify(s)).toEqual(s === "" ? [] : theirs);
    }
  } finally {
    await model.dispose();
  }
}

describe("llama.cpp cross-check", () => {
  const SHAPES: SyntheticModelOptions[] = [
    { dim: 48, hiddenDim: 100, nLayers: 2, nHeads: 6, nKvHeads: 2, vocabSize: 300, seqLen: 64, seed: 4, type: "f16" },
    { dim: 32, hiddenDim: 40, nLayers: 1, nHeads: 4, nKvHeads: 1, vocabSize: 120, seqLen: 32, seed: 5, type: "f32" },
  ];
  for (const o of SHAPES) {
    it(`llama.cpp loads and runs a synthetic model ${JSON.stringify(o)}; tokenizers agree`, async () => {
      const path = join(dir, `syn-${o.seed}.gguf`);
      await writeSyntheticModelFile(path, o);
      const model = await llama.loadModel({ modelPath: path });
      try {
        expect(model.fileInsights.totalLayers).toBeGreaterThanOrEqual(o.nLayers);
        const ctx = await model.createContext({ contextSize: 32, threads: 1 });
        const seq = ctx.getSequence();
        const out: number[] = [];
        for await (const t of seq.evaluate(model.tokenize("tea at"), { temperature: 0 })) {
          out.push(t);
          if (out.length >= 3) break;
        }
        expect(out.every((t) => Number.isInteger(t) && t >= 0 && t < o.vocabSize)).toBe(true);
        await ctx.dispose();
      } finally {
        await model.dispose();
      }
      const r = lcg(o.seed);
      // without byte tokens llama.cpp aborts on a character outside the vocabulary: ASCII text only there
      await compareTokenizers(path, Array.from({ length: 150 }, () => randomText(r, o.vocabSize >= 267)));
    }, 120_000);
  }

  itWithModels("stories260K.gguf: our tokenizer agrees with llama.cpp's (ASCII, non-ASCII byte fallback, <s> as text)", async () => {
    const path = stories260K("stories260K.gguf")!;
    const r = lcg(77);
    await compareTokenizers(path, ["", "Once upon a time", " leading", "two  spaces", "a\nb\n\nc", ...Array.from({ length: 300 }, () => randomText(r)), ...Array.from({ length: 300 }, () => randomText(r, true))]);
  }, 120_000);
});
