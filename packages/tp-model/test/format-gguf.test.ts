import { describe, expect } from "vitest";
import { openCheckpoint } from "../src/format/checkpoint.js";
import { readGgufHeader } from "../src/format/gguf.js";
import { openFileSource } from "../src/format/node-source.js";
import { readTensor, readTensorRows } from "../src/format/tensor-read.js";
import type { ByteSource } from "../src/format/types.js";
import { readLlama2cTokenizer, Tokenizer } from "../src/tokenizer.js";
import { readFileSync } from "node:fs";
import { itWithModels, stories260K } from "./helpers/format-fixtures.js";

/** A source that counts the bytes read. */
function counting(inner: ByteSource): { src: ByteSource; bytes: () => number } {
  let n = 0;
  return { bytes: () => n, src: { name: inner.name, size: inner.size, read: (o, len) => { n += len; return inner.read(o, len); } } };
}

describe("GGUF: stories260K.gguf", () => {
  itWithModels("same config and tensors as stories260K.bin (bit-identical weights), embedded tokenizer = tok512.bin", async () => {
    const g = await openFileSource(stories260K("stories260K.gguf")!);
    const b = await openFileSource(stories260K("stories260K.bin")!);
    try {
      const c = counting(g);
      const gg = await openCheckpoint(c.src);
      expect(c.bytes()).toBeLessThan(g.size); // header only (one chunk), not the file
      const bb = await openCheckpoint(b);
      expect(gg.format).toBe("gguf");
      expect(gg.version).toBe(3);
      expect(bb.format).toBe("llama2c");
      // the GGUF says context_length 2048 where the .bin says seq_len 512; everything else is equal
      expect({ ...gg.config, seqLen: 0 }).toEqual({ ...bb.config, seqLen: 0 });
      expect(gg.config.seqLen).toBe(2048);
      expect(gg.config.rmsEps).toBe(Math.fround(1e-5));
      // the GGUF stores the (tied) classifier as its own `output` tensor
      expect([...gg.tensors.keys()].filter((k) => k !== "output").sort()).toEqual([...bb.tensors.keys()].sort());
      for (const [k, t] of bb.tensors) {
        const u = gg.tensors.get(k)!;
        expect(u.shape, k).toEqual(t.shape);
        expect(u.type).toBe("f32");
      }
      for (const k of ["token_embd", "blk.0.attn_q", "blk.2.attn_k", "blk.4.ffn_down", "output_norm", "blk.3.ffn_norm"]) {
        const x = await readTensor(g, gg.tensors.get(k)!);
        const y = await readTensor(b, bb.tensors.get(k)!);
        expect(new Uint32Array(x.buffer)).toEqual(new Uint32Array(y.buffer));
      }
      const sub1 = new Float32Array(3 * 5), sub2 = new Float32Array(3 * 5);
      await readTensorRows(g, gg.tensors.get("blk.1.ffn_gate")!, 100, 3, 40, 5, sub1);
      await readTensorRows(b, bb.tensors.get("blk.1.ffn_gate")!, 100, 3, 40, 5, sub2);
      expect(sub1).toEqual(sub2);
      expect(await readTensor(g, gg.tensors.get("output")!)).toEqual(await readTensor(b, bb.tensors.get("token_embd")!));

      const tg = new Tokenizer(gg.tokenizer!, g.name);
      const tb = new Tokenizer(readLlama2cTokenizer(readFileSync(stories260K("tok512.bin")!), 512, "tok512.bin"));
      expect(tg.hasByteTokens).toBe(true);
      expect([tg.bosId, tg.eosId, tg.unknownId]).toEqual([1, 2, 0]);
      expect(gg.tokenizer!.tokenTypes?.slice(0, 5)).toEqual(Int32Array.from([2, 3, 3, 6, 6]));
      for (let i = 3; i < 512; i++) expect(tg.pieces[i], `piece ${i}`).toEqual(tb.pieces[i]);
      for (const s of ["Once upon a time", "Lily's mom said, \"hi\"\n", "  two  spaces ", "café ☃"]) {
        expect(tg.encode(s, true, true)).toEqual(tb.encode(s, true, true));
      }
      const h = await readGgufHeader(g);
      expect(h.alignment).toBe(32);
      expect(h.dataOffset % 32).toBe(0);
    } finally {
      await g.close();
      await b.close();
    }
  });
});
