// KernelHandle: the one pointer-level wrapper over quant.wasm's exports. Sizes and descriptor facts
// agree with formats.ts (an independent TS computation), every kernel call returns what the raw
// export returns on the same bytes, and every bad argument throws a KernelError naming it before the
// kernel runs (the memory is untouched).
import { beforeAll, describe, expect, it } from "vitest";
import {
  FORMATS, KernelError, KernelHandle, MAX_BLOCK, blockBytes, bytesFor, createArena, createKernelHandle,
  descriptorOf, loadQuantKernels, maxPackedBytes, resolveCodec, type QuantKernels,
} from "../src/index.js";
import { allSpecs, normals, specLabel } from "./helpers/data.js";

let k: QuantKernels;
let h: KernelHandle;
beforeAll(async () => {
  k = await loadQuantKernels();
  h = createKernelHandle(k);
});

describe("descriptor facts come from the kernels and agree with formats.ts", () => {
  it("one handle per kernels instance", () => {
    expect(createKernelHandle(k)).toBe(h);
    expect(h.heapBase).toBe(k.heapBase);
    expect(h.f32Descriptor).toBe(descriptorOf(resolveCodec("f32")));
  });

  it("descriptor, bytesFor, blockBytes, alignment, tensorHeaderBytes for every codec", () => {
    for (const s of allSpecs()) {
      const d = h.descriptor(s);
      expect(d, specLabel(s)).toBe(descriptorOf(s));
      for (const n of [0, 1, 15, 16, 17, 127, 128, 129, 1000, 123_457, 2 ** 28 + 5]) {
        expect(h.bytesFor(d, n), `${specLabel(s)} n=${n}`).toBe(bytesFor(s, n));
        expect(h.bytesFor(d, n), `${specLabel(s)} n=${n} (kernel)`).toBe(k.exports.tw_bytes_for(d, n));
      }
      expect(h.blockBytes(d)).toBe(blockBytes(s));
      expect(h.alignment(d)).toBe(s.block === 0 ? 1 : s.block);
      expect(h.tensorHeaderBytes(d)).toBe(s.format === "nvfp4" ? 4 : 0);
      expect(h.formatName(d)).toBe(s.format);
    }
    expect(h.descriptor("mxfp4")).toBe(descriptorOf(resolveCodec("mxfp4")));
    expect(h.descriptor("int8", { block: 64, scale: "f32" })).toBe(descriptorOf(resolveCodec("int8", { block: 64, scale: "f32" })));
  });

  it("refused descriptors and names throw", () => {
    expect(() => h.bytesFor(0xff, 10)).toThrow(KernelError);
    // more than 2^31 − 1 packed bytes: the kernels' own −5, named
    expect(k.exports.tw_bytes_for(h.f32Descriptor, 2 ** 30)).toBe(-5);
    expect(() => h.bytesFor(h.f32Descriptor, 2 ** 30)).toThrow(/more than 2\^31/);
    expect(() => h.blockBytes(0xff)).toThrow(/unknown format id/);
    expect(() => h.alignment((descriptorOf(resolveCodec("q8_0")) | (1 << 25)) >>> 0)).toThrow(/reserved descriptor bits/);
    expect(() => h.descriptor("q5_1")).toThrow(/unknown format "q5_1"/);
  });

  it("maxPackedBytes bounds every codec's bytes for any split into tensors", () => {
    expect(MAX_BLOCK).toBe(Math.max(...FORMATS.flatMap((f) => f.blocks)));
    for (const s of allSpecs()) {
      for (const [n, parts] of [[0, 1], [1, 1], [1000, 3], [4096, 64], [4099, 5]] as const) {
        // cut n into `parts` tensors the worst way for this codec: every tensor ends in a partial block
        let total = 0, left = n;
        for (let t = 0; t < parts; t++) {
          const m = t === parts - 1 ? left : Math.min(left, Math.max(1, s.block) + 1);
          total += bytesFor(s, m);
          left -= m;
        }
        expect(total, `${specLabel(s)} n=${n} parts=${parts}`).toBeLessThanOrEqual(maxPackedBytes(n, parts));
      }
    }
    expect(maxPackedBytes(1000)).toBe(4000); // f32 is the widest codec
    expect(() => maxPackedBytes(-1)).toThrow(/element count/);
    expect(() => maxPackedBytes(10, 0)).toThrow(/tensors/);
  });
});

describe("kernel calls equal the raw exports", () => {
  it("quantize / dequantize / accumulate / quantizeDequantize / dequantizeSum / reduceQuantize", () => {
    const a = createArena(k);
    const n = 1000;
    const x = a.allocF32(n);
    x.set(normals(n, 7));
    for (const name of ["q8_0", "mxfp4", "nvfp4", "int4", "bf16", "f32"]) {
      const d = h.descriptor(name);
      const nb = h.bytesFor(d, n);
      const p1 = a.alloc(nb), p2 = a.alloc(nb);
      expect(h.quantize(d, x.byteOffset, n, p1, 3)).toBe(k.exports.tw_quantize(d, x.byteOffset, n, p2, 3));
      const u8 = () => new Uint8Array(k.memory.buffer);
      expect(u8().subarray(p1, p1 + nb)).toEqual(u8().subarray(p2, p2 + nb));
      const o1 = a.allocF32(n), o2 = a.allocF32(n);
      h.dequantize(d, p1, n, o1.byteOffset);
      k.exports.tw_dequantize(d, p1, n, o2.byteOffset);
      expect(o1).toEqual(o2);
      h.dequantizeAccumulate(d, p1, n, o1.byteOffset);
      k.exports.tw_dequantize_accumulate(d, p1, n, o2.byteOffset);
      expect(o1).toEqual(o2);
      const srcs = a.alloc(8, 4);
      h.writeSources(srcs, [p1, p2]);
      expect(Array.from(new Uint32Array(k.memory.buffer, srcs, 2))).toEqual([p1, p2]);
      h.dequantizeSum(d, srcs, 2, n, o1.byteOffset);
      k.exports.tw_dequantize_sum(d, srcs, 2, n, o2.byteOffset);
      expect(o1).toEqual(o2);
      const scratch = a.alloc(4 * n);
      const r1 = a.alloc(nb), r2 = a.alloc(nb);
      expect(h.reduceQuantize(d, srcs, 2, n, r1, scratch, 9)).toBe(k.exports.tw_reduce_quantize(d, srcs, 2, n, r2, scratch, 9));
      expect(u8().subarray(r1, r1 + nb)).toEqual(u8().subarray(r2, r2 + nb));
      expect(h.quantizeDequantize(d, x.byteOffset, n, p1, o1.byteOffset, 1)).toBe(k.exports.tw_quantize_dequantize(d, x.byteOffset, n, p2, o2.byteOffset, 1));
      expect(o1).toEqual(o2);
    }
  });
});

describe("bad arguments throw a KernelError naming them, before the kernel runs", () => {
  it("pointers, counts, seeds, tables, overlaps", () => {
    const a = createArena(k);
    const src = a.alloc(4 * 64), dst = a.alloc(4 * 64), srcs = a.alloc(16, 4);
    const d = h.descriptor("q8_0");
    const before = new Uint8Array(k.memory.buffer, dst, 256).slice();
    const cases: Array<[() => unknown, RegExp]> = [
      [() => h.quantize(d, src + 2, 64, dst), /quantize: src: pointer \d+ must be 4-byte aligned/],
      [() => h.quantize(d, 0, 64, dst), /src: pointer 0 lies below heapBase/],
      [() => h.quantize(d, src, 64, k.memory.buffer.byteLength - 10), /dst: .* exceeds the memory/],
      [() => h.quantize(d, src, 1.5, dst), /element count must be an integer/],
      [() => h.quantize(d, src, 64, dst, -1), /seed must be a u32/],
      [() => h.quantize(d, src, 64, dst, 0.5), /seed must be a u32/],
      [() => h.quantize(d, Number.NaN, 64, dst), /src: pointer must be a non-negative integer/],
      [() => h.dequantize(d, src, 64, dst + 2), /dst: pointer \d+ must be 4-byte aligned/],
      [() => h.dequantizeAccumulate(d, src, -1, dst), /element count/],
      [() => h.quantizeDequantize(d, src, 64, dst, dst + 4), /overlap/],
      [() => h.dequantizeSum(d, srcs, 0, 32, dst), /k must be a positive u32/],
      [() => h.dequantizeSum(d, srcs + 1, 1, 32, dst), /srcs: pointer \d+ must be 4-byte aligned/],
      [() => h.reduceQuantize(d, srcs, 1, 32, dst, src, 2 ** 32), /seed must be a u32/],
      [() => h.writeSources(k.memory.buffer.byteLength, [0]), /srcs: .* exceeds the memory/],
      [() => h.writeSources(srcs, [dst], 2), /k must be an integer in 0..1/],
    ];
    for (const [f, re] of cases) {
      let err: unknown;
      try {
        f();
      } catch (e) {
        err = e;
      }
      expect(err, String(re)).toBeInstanceOf(KernelError);
      expect((err as KernelError).code).toBe(-5);
      expect((err as Error).message).toMatch(re);
    }
    new Uint32Array(k.memory.buffer, srcs, 1)[0] = 8;
    expect(() => h.dequantizeSum(d, srcs, 1, 32, dst)).toThrow(/srcs\[0\]: pointer 8 lies below heapBase/);
    new Uint32Array(k.memory.buffer, srcs, 1)[0] = k.memory.buffer.byteLength - 4;
    expect(() => h.reduceQuantize(d, srcs, 1, 32, dst, src)).toThrow(/srcs\[0\]: .* exceeds the memory/);
    expect(new Uint8Array(k.memory.buffer, dst, 256)).toEqual(before);
    // a custom operation name appears in the message
    expect(() => h.quantize(d, src + 2, 64, dst, 0, "encode (q8_0)")).toThrow(/quant.wasm encode \(q8_0\): src/);
  });

  it("a kernel's own negative return code becomes a KernelError with that code", () => {
    const a = createArena(k);
    const src = a.alloc(256), dst = a.alloc(256);
    try {
      h.dequantize(0xff, src, 8, dst, "dequantize (bad)");
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(KernelError);
      expect((e as KernelError).code).toBe(-1);
      expect((e as Error).message).toBe("quant.wasm dequantize (bad) failed: unknown format id (code -1)");
    }
  });
});
