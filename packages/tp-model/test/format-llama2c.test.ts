import { describe, expect, it } from "vitest";
import { readLlama2cCheckpoint } from "../src/format/llama2c.js";
import { openFileSource } from "../src/format/node-source.js";
import { bytesSource } from "../src/format/source.js";
import type { Checkpoint, TensorInfo } from "../src/format/types.js";
import { buildLlama2c, buildLlama2cQ8, itWithModels, stories260K } from "./helpers/format-fixtures.js";
import type { Llama2cShape } from "./helpers/format-fixtures.js";

/** Decode a tensor's f32 bytes straight from the file (independent of tensor-read.ts). */
async function f32Of(ck: Checkpoint, t: TensorInfo): Promise<Float32Array> {
  const b = await ck.source.read(t.offset, t.byteLength);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return Float32Array.from({ length: t.byteLength / 4 }, (_, i) => dv.getFloat32(4 * i, true));
}

const shapes: Llama2cShape[] = [
  { dim: 12, hiddenDim: 20, nLayers: 2, nHeads: 3, nKvHeads: 1, vocabSize: 7, seqLen: 5, shared: true },
  { dim: 12, hiddenDim: 20, nLayers: 2, nHeads: 3, nKvHeads: 1, vocabSize: 7, seqLen: 5, shared: false },
  { dim: 16, hiddenDim: 9, nLayers: 1, nHeads: 4, nKvHeads: 4, vocabSize: 3, seqLen: 2, shared: false },
  { dim: 32, hiddenDim: 24, nLayers: 3, nHeads: 8, nKvHeads: 2, vocabSize: 11, seqLen: 9, shared: true },
];

const expectedNames = (L: number, shared: boolean): string[] => {
  const names = ["token_embd", "output_norm", ...(shared ? [] : ["output"])];
  for (let l = 0; l < L; l++) {
    for (const n of ["attn_norm", "attn_q", "attn_k", "attn_v", "attn_output", "ffn_norm", "ffn_gate", "ffn_down", "ffn_up"]) names.push(`blk.${l}.${n}`);
  }
  return names.sort();
};

describe("llama2.c checkpoints", () => {
  for (const version of [0, 1] as const) {
    for (const s of shapes) {
      it(`version ${version}: ${JSON.stringify(s)} → config and every tensor at the right bytes`, async () => {
        const { bytes, tensors } = buildLlama2c(version, s);
        const ck = await readLlama2cCheckpoint(bytesSource(bytes, "m.bin"));
        expect(ck.format).toBe("llama2c");
        expect(ck.version).toBe(version);
        expect(ck.tokenizer).toBeNull();
        const { shared: _s, ...cfg } = s;
        expect(ck.config).toEqual({ ...cfg, headSize: s.dim / s.nHeads, rmsEps: Math.fround(1e-5), ropeTheta: 10000 });
        expect([...ck.tensors.keys()].sort()).toEqual(expectedNames(s.nLayers, s.shared));
        for (const t of tensors) {
          const info = ck.tensors.get(t.name)!;
          expect(info.type).toBe("f32");
          expect(info.shape).toEqual(t.shape);
          expect(await f32Of(ck, info)).toEqual(t.values);
        }
      });
    }
  }

  for (const s of shapes) {
    for (const gs of [1, 4]) {
      it(`version 2 (group ${gs}): ${JSON.stringify(s)} → llama2c-q8 tensors with per-tensor scales`, async () => {
        const { bytes, quantized } = buildLlama2cQ8(s, gs);
        const ck = await readLlama2cCheckpoint(bytesSource(bytes, "q.bin"));
        expect(ck.version).toBe(2);
        expect([...ck.tensors.keys()].sort()).toEqual(expectedNames(s.nLayers, s.shared));
        for (const t of quantized) {
          const info = ck.tensors.get(t.name)!;
          expect(info.type).toBe("llama2c-q8");
          expect(info.groupSize).toBe(gs);
          expect(info.shape).toEqual(t.shape);
          const q = await ck.source.read(info.offset, info.byteLength);
          const sc = await ck.source.read(info.scaleOffset!, 4 * (info.byteLength / gs));
          const sdv = new DataView(sc.buffer, sc.byteOffset, sc.byteLength);
          const got = Float32Array.from({ length: info.byteLength }, (_, i) => ((q[i]! << 24) >> 24) * sdv.getFloat32(4 * Math.floor(i / gs), true));
          expect(got).toEqual(t.values);
        }
        for (const n of ["output_norm", "blk.0.attn_norm", "blk.0.ffn_norm"]) expect(ck.tensors.get(n)!.type).toBe("f32");
      });
    }
  }

  it("size must match exactly: truncated and trailing bytes name expected vs actual", async () => {
    for (const version of [0, 1] as const) {
      const { bytes } = buildLlama2c(version, shapes[1]!);
      await expect(readLlama2cCheckpoint(bytesSource(bytes.subarray(0, bytes.length - 1), "t.bin")))
        .rejects.toThrow(new RegExp(`t\\.bin: .*truncated.*implies ${bytes.length} bytes, the file has ${bytes.length - 1} bytes`));
      const longer = new Uint8Array(bytes.length + 4);
      longer.set(bytes);
      await expect(readLlama2cCheckpoint(bytesSource(longer, "t.bin"))).rejects.toThrow(/t\.bin: .*trailing bytes/);
    }
    const { bytes } = buildLlama2cQ8(shapes[0]!, 4);
    await expect(readLlama2cCheckpoint(bytesSource(bytes.subarray(0, bytes.length - 3), "q.bin"))).rejects.toThrow(/q\.bin: .*truncated/);
  });

  it("header validation: every error names the file and the field", async () => {
    const base = buildLlama2c(0, shapes[1]!).bytes;
    const withInt = (i: number, v: number, src = base) => {
      const b = src.slice();
      new DataView(b.buffer).setInt32(4 * i, v, true);
      return bytesSource(b, "h.bin");
    };
    await expect(readLlama2cCheckpoint(withInt(0, 0))).rejects.toThrow(/h\.bin.*dim = 0/);
    await expect(readLlama2cCheckpoint(withInt(0, -12))).rejects.toThrow(/h\.bin.*dim = -12/);
    await expect(readLlama2cCheckpoint(withInt(3, 5))).rejects.toThrow(/h\.bin.*not divisible by the 5 heads/);
    await expect(readLlama2cCheckpoint(withInt(4, 6))).rejects.toThrow(/h\.bin.*3 query heads are not a multiple of the 6 KV heads/);
    await expect(readLlama2cCheckpoint(withInt(2, 2 ** 30))).rejects.toThrow(/h\.bin.*truncated/);
    await expect(readLlama2cCheckpoint(withInt(6, 0))).rejects.toThrow(/h\.bin.*seqLen = 0/);
    await expect(readLlama2cCheckpoint(withInt(1, 2 ** 31 - 1))).rejects.toThrow(/h\.bin.*hiddenDim/);
    await expect(readLlama2cCheckpoint(bytesSource(base.subarray(0, 27), "h.bin"))).rejects.toThrow(/h\.bin: 27 bytes is too short/);
    await expect(readLlama2cCheckpoint(bytesSource(new Uint8Array(0), "h.bin"))).rejects.toThrow(/h\.bin: 0 bytes is too short/);

    const v1 = buildLlama2c(1, shapes[0]!).bytes;
    const ver = v1.slice();
    new DataView(ver.buffer).setInt32(4, 3, true);
    await expect(readLlama2cCheckpoint(bytesSource(ver, "v.bin"))).rejects.toThrow(/v\.bin: unsupported llama2\.c checkpoint version 3/);
    await expect(readLlama2cCheckpoint(bytesSource(v1.subarray(0, 100), "v.bin"))).rejects.toThrow(/v\.bin: 100 bytes is too short for the 256-byte/);
    await expect(readLlama2cCheckpoint(bytesSource(v1.subarray(0, 6), "v.bin"))).rejects.toThrow(/v\.bin: 6 bytes is too short/);
    const neg = v1.slice();
    new DataView(neg.buffer).setInt32(8 + 20, -7, true);
    await expect(readLlama2cCheckpoint(bytesSource(neg, "v.bin"))).rejects.toThrow(/v\.bin: vocab_size = -7/);
    const flag = v1.slice();
    flag[36] = 2;
    await expect(readLlama2cCheckpoint(bytesSource(flag, "v.bin"))).rejects.toThrow(/v\.bin: shared_classifier flag is 2/);

    const q = buildLlama2cQ8(shapes[0]!, 4).bytes;
    for (const [gs, re] of [[0, /group_size = 0/], [-4, /group_size = -4/], [5, /not a multiple of group_size 5/]] as const) {
      const b = q.slice();
      new DataView(b.buffer).setInt32(37, gs, true);
      await expect(readLlama2cCheckpoint(bytesSource(b, "g.bin"))).rejects.toThrow(new RegExp(`g\\.bin.*${re.source}`));
    }
  });

  itWithModels("stories260K.bin: the real checkpoint", async () => {
    const src = await openFileSource(stories260K("stories260K.bin")!);
    try {
      const ck = await readLlama2cCheckpoint(src);
      expect(ck.version).toBe(0);
      expect(ck.config).toEqual({
        dim: 64, hiddenDim: 172, nLayers: 5, nHeads: 8, nKvHeads: 4, vocabSize: 512, seqLen: 512, headSize: 8, rmsEps: Math.fround(1e-5), ropeTheta: 10000,
      });
      expect(ck.tensors.has("output")).toBe(false);
      expect(ck.tensors.get("blk.4.attn_k")!.shape).toEqual([32, 64]);
      // RMSNorm weights of a trained model are O(1) positive numbers; embeddings are small
      const an = await f32Of(ck, ck.tensors.get("blk.0.attn_norm")!);
      expect(Math.min(...an)).toBeGreaterThan(0);
      const fin = await f32Of(ck, ck.tensors.get("output_norm")!);
      expect(fin.every((x) => Number.isFinite(x) && Math.abs(x) < 100)).toBe(true);
    } finally {
      await src.close();
    }
  });
});
