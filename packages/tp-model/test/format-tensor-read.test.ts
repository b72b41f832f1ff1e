import { encodeBf16, encodeFp16, decodeBf16, decodeFp16, referenceDequantize, referenceQuantize } from "@tensorwire/quant-wasm/reference";
import type { CodecSpec } from "@tensorwire/quant-wasm";
import { describe, expect, it } from "vitest";
import { bytesSource } from "../src/format/source.js";
import { readTensor, readTensorRows } from "../src/format/tensor-read.js";
import type { ByteSource, TensorInfo, TensorType } from "../src/format/types.js";

const spec = (format: "q8_0" | "q4_0"): CodecSpec => ({ format, block: 32, scale: "fp16", rounding: "rne" });

/** A source that records every range read. */
function recording(bytes: Uint8Array): { src: ByteSource; ranges: [number, number][] } {
  const inner = bytesSource(bytes, "rec.bin");
  const ranges: [number, number][] = [];
  return { ranges, src: { name: inner.name, size: inner.size, read: (o, n) => { ranges.push([o, n]); return inner.read(o, n); } } };
}

/** A small PRNG for the test data (independent of the code under test). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

/**
 * A file of PAD junk bytes then one tensor of `type` and `shape`; returns the tensor, the file and
 * the expected f32 values of the whole tensor (decoded independently: whole-tensor decode, no slicing).
 */
function makeTensor(type: TensorType, shape: number[], seed: number): { info: TensorInfo; bytes: Uint8Array; full: Float32Array } {
  const rnd = lcg(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const x = Float32Array.from({ length: n }, () => Math.fround((rnd() - 0.5) * 8));
  const PAD = 13;
  let data: Uint8Array;
  let full: Float32Array;
  let extra: Partial<TensorInfo> = {};
  let byteLength: number;
  switch (type) {
    case "f32":
      data = new Uint8Array(x.buffer.slice(0));
      full = x;
      byteLength = 4 * n;
      break;
    case "f16":
    case "bf16": {
      const enc = type === "f16" ? encodeFp16 : encodeBf16;
      const dec = type === "f16" ? decodeFp16 : decodeBf16;
      const codes = Uint16Array.from(x, (v) => enc(v));
      data = new Uint8Array(codes.buffer);
      full = Float32Array.from(codes, (c) => dec(c));
      byteLength = 2 * n;
      break;
    }
    case "q8_0":
    case "q4_0": {
      data = referenceQuantize(spec(type), x).bytes;
      full = referenceDequantize(spec(type), data, n);
      byteLength = data.length;
      break;
    }
    case "llama2c-q8": {
      const gs = 4;
      const q = Int8Array.from({ length: n }, () => Math.floor(rnd() * 255) - 127);
      const s = Float32Array.from({ length: n / gs }, () => Math.fround(rnd() / 100));
      data = new Uint8Array(n + 4 * s.length);
      data.set(new Uint8Array(q.buffer), 0);
      data.set(new Uint8Array(s.buffer), n);
      full = Float32Array.from(q, (v, i) => Math.fround(v * s[Math.floor(i / gs)]!));
      extra = { groupSize: gs, scaleOffset: PAD + n };
      byteLength = n;
      break;
    }
  }
  const bytes = new Uint8Array(PAD + data.length + 7).fill(0xa5);
  bytes.set(data, PAD);
  return { info: { name: "t", type, shape, offset: PAD, byteLength, ...extra }, bytes, full };
}

const TYPES: TensorType[] = ["f32", "f16", "bf16", "q8_0", "q4_0", "llama2c-q8"];
const SHAPES = [[5, 64], [7, 70], [3, 32], [1, 36], [64], [4, 8], [9, 96]];

describe("readTensorRows", () => {
  for (const type of TYPES) {
    for (const shape of SHAPES) {
      if (type === "llama2c-q8" && shape.reduce((a, b) => a * b, 1) % 4 !== 0) continue;
      it(`${type} ${JSON.stringify(shape)}: every sub-matrix equals the crop of the whole decode`, async () => {
        const { info, bytes, full } = makeTensor(type, shape, shape[0]! * 1000 + (shape[1] ?? 0));
        const R = shape.length === 1 ? 1 : shape[0]!;
        const C = shape.length === 1 ? shape[0]! : shape[1]!;
        const src = bytesSource(bytes, "t.bin");
        expect(await readTensor(src, info)).toEqual(full);
        const rnd = lcg(R * C);
        const cases: [number, number, number, number][] = [[0, R, 0, C], [R - 1, 1, C - 1, 1], [0, 0, 0, C], [0, R, 3, 0]];
        for (let k = 0; k < 25; k++) {
          const r0 = Math.floor(rnd() * R), rows = Math.floor(rnd() * (R - r0 + 1));
          const c0 = Math.floor(rnd() * C), cols = rnd() < 0.3 ? C - c0 : Math.floor(rnd() * (C - c0 + 1));
          cases.push([r0, rows, rnd() < 0.3 ? 0 : c0, rnd() < 0.3 ? C : cols]);
        }
        for (const [r0, rows, c0, cols0] of cases) {
          const cols = Math.min(cols0, C - c0);
          const dst = new Float32Array(rows * cols + 2).fill(-999);
          await readTensorRows(src, info, r0, rows, c0, cols, dst);
          const want = new Float32Array(rows * cols);
          for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) want[r * cols + c] = full[(r0 + r) * C + c0 + c]!;
          expect(dst.subarray(0, rows * cols)).toEqual(want);
          expect([dst[rows * cols], dst[rows * cols + 1]]).toEqual([-999, -999]); // nothing written past the sub-matrix
        }
      });
    }
  }

  it("ggml block layouts from first principles (hand-built Q8_0 and Q4_0 blocks)", async () => {
    // Q8_0: fp16 d then 32 int8; value = q * d. d = 0x3800 = 0.5
    const q8 = new Uint8Array(34);
    q8[0] = 0x00; q8[1] = 0x38;
    for (let j = 0; j < 32; j++) q8[2 + j] = (j * 8 - 128) & 0xff;
    const t8: TensorInfo = { name: "q8", type: "q8_0", shape: [1, 32], offset: 0, byteLength: 34 };
    const got8 = await readTensor(bytesSource(q8, "q8.bin"), t8);
    expect([...got8]).toEqual(Array.from({ length: 32 }, (_, j) => (j * 8 - 128) * 0.5));
    // Q4_0: fp16 d then 16 bytes; byte j holds element j (low nibble) and element j + 16 (high nibble); value = (c - 8) * d
    const q4 = new Uint8Array(18);
    q4[0] = 0x00; q4[1] = 0x40; // d = 2
    for (let j = 0; j < 16; j++) q4[2 + j] = (j & 15) | (((15 - j) & 15) << 4);
    const t4: TensorInfo = { name: "q4", type: "q4_0", shape: [32], offset: 0, byteLength: 18 };
    const got4 = await readTensor(bytesSource(q4, "q4.bin"), t4);
    expect([...got4]).toEqual([...Array.from({ length: 16 }, (_, j) => (j - 8) * 2), ...Array.from({ length: 16 }, (_, j) => (15 - j - 8) * 2)]);
    // f16 / bf16 codes: 0x3C00 = 1, 0xC000 = -2, 0x7C00 = Inf; bf16 0x3F80 = 1, 0x4049 ≈ 3.140625
    const h = new Uint8Array([0x00, 0x3c, 0x00, 0xc0, 0x00, 0x7c]);
    expect([...(await readTensor(bytesSource(h, "h.bin"), { name: "h", type: "f16", shape: [3], offset: 0, byteLength: 6 }))]).toEqual([1, -2, Infinity]);
    const bf = new Uint8Array([0x80, 0x3f, 0x49, 0x40]);
    expect([...(await readTensor(bytesSource(bf, "b.bin"), { name: "b", type: "bf16", shape: [2], offset: 0, byteLength: 4 }))]).toEqual([1, 3.140625]);
  });

  it("reads only the covering byte ranges (full-width rows coalesced, columns per row, covering blocks)", async () => {
    const f = makeTensor("f32", [6, 10], 1);
    const a = recording(f.bytes);
    await readTensorRows(a.src, f.info, 2, 3, 0, 10, new Float32Array(30));
    expect(a.ranges).toEqual([[13 + 2 * 40, 3 * 40]]);
    const b = recording(f.bytes);
    await readTensorRows(b.src, f.info, 1, 2, 3, 4, new Float32Array(8));
    expect(b.ranges).toEqual([[13 + 40 + 12, 16], [13 + 80 + 12, 16]]);
    const q = makeTensor("q8_0", [4, 64], 2);
    const c = recording(q.bytes);
    await readTensorRows(c.src, q.info, 1, 1, 33, 2, new Float32Array(2)); // flat 97..98: block 3
    expect(c.ranges).toEqual([[13 + 3 * 34, 34]]);
    const l = makeTensor("llama2c-q8", [2, 8], 3);
    const d = recording(l.bytes);
    await readTensorRows(d.src, l.info, 1, 1, 2, 3, new Float32Array(3)); // flat 10..12: groups 2,3
    expect(d.ranges).toEqual([[13 + 10, 3], [13 + 16 + 4 * 2, 8]]);
  });

  it("range errors are RangeErrors naming the tensor; a short file is an Error naming the file", async () => {
    const { info, bytes } = makeTensor("f16", [4, 6], 5);
    const src = bytesSource(bytes, "t.bin");
    const dst = new Float32Array(100);
    for (const [r0, rows, c0, cols] of [[0, 5, 0, 6], [4, 1, 0, 1], [0, 1, 0, 7], [0, 1, 6, 1], [-1, 1, 0, 1], [0, 1, 0.5, 1]]) {
      await expect(readTensorRows(src, info, r0!, rows!, c0!, cols!, dst)).rejects.toThrow(RangeError);
    }
    await expect(readTensorRows(src, info, 0, 4, 0, 6, new Float32Array(23))).rejects.toThrow(/dst holds 23 values/);
    await expect(readTensorRows(src, { ...info, byteLength: 10 }, 0, 1, 0, 1, dst)).rejects.toThrow(/t\.bin: tensor t .*records 10 bytes/);
    await expect(readTensorRows(bytesSource(bytes.subarray(0, 30), "short.bin"), info, 0, 4, 0, 6, dst)).rejects.toThrow(/short\.bin/);
  });
});
