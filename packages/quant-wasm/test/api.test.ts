// Public API: codec objects (staging, zero copy, pointer calls, errors), the arena, error metrics.
// Oracles: closed forms (the f32/fp16/bf16 casts and hand-computed sums), never the codec's own output.
import { describe, it, expect, beforeAll } from "vitest";
import {
  loadQuantKernels, createCodec, createArena, isInMemory, errorMetrics, KernelError, FORMATS, listFormats,
  type QuantKernels, type Codec,
} from "../src/index.js";
import {
  referenceQuantize, referenceDequantize, referenceDequantizeAccumulate, referenceReduceQuantize,
} from "../src/reference/index.js";

let k: QuantKernels;
beforeAll(async () => {
  k = await loadQuantKernels();
});

function f32Bytes(x: Float32Array): Uint8Array {
  return new Uint8Array(x.buffer, x.byteOffset, x.byteLength).slice();
}

function sample(n: number, seed = 1): Float32Array {
  const x = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    x[i] = (s / 2 ** 32 - 0.5) * 8;
  }
  return x;
}

describe("errorMetrics", () => {
  it("computes relative RMSE, SQNR and max error in closed form", () => {
    const m = errorMetrics(new Float32Array([1, 2, 3, 4]), new Float32Array([1, 2, 3, 5]));
    expect(m.n).toBe(4);
    expect(m.nonFinite).toBe(0);
    expect(m.relRmse).toBeCloseTo(1 / Math.sqrt(30), 15);
    expect(m.sqnrDb).toBeCloseTo(10 * Math.log10(30), 12);
    expect(m.maxAbsErr).toBe(1);
  });
  it("accumulates in f64 (an f32 sum of squares would lose the small errors)", () => {
    const n = 1 << 20;
    const ref = new Float32Array(n).fill(1);
    const approx = new Float32Array(n).fill(1);
    approx[0] = 1 + 2 ** -20;
    const m = errorMetrics(ref, approx);
    expect(m.relRmse).toBeCloseTo(2 ** -20 / Math.sqrt(n), 18);
  });
  it("handles exact, all-zero and non-finite inputs", () => {
    const exact = errorMetrics(new Float32Array([1, -2]), new Float32Array([1, -2]));
    expect(exact).toEqual({ relRmse: 0, sqnrDb: Infinity, maxAbsErr: 0, n: 2, nonFinite: 0 });
    expect(errorMetrics(new Float32Array(3), new Float32Array(3)).relRmse).toBe(0);
    const z = errorMetrics(new Float32Array(2), new Float32Array([0, 1]));
    expect(z.relRmse).toBe(Infinity);
    expect(z.sqnrDb).toBe(-Infinity);
    const nf = errorMetrics(new Float32Array([1, NaN, 3, 4]), new Float32Array([1, 2, Infinity, 4.5]));
    expect(nf.nonFinite).toBe(2);
    expect(nf.maxAbsErr).toBe(0.5);
    expect(nf.relRmse).toBeCloseTo(0.5 / Math.sqrt(17), 15);
    expect(() => errorMetrics(new Float32Array(2), new Float32Array(3))).toThrow(RangeError);
  });
});

describe("createCodec", () => {
  it("resolves defaults, the descriptor and bits/value", () => {
    const q = createCodec(k, "q8_0");
    expect(q.spec).toEqual({ format: "q8_0", block: 32, scale: "fp16", rounding: "rne" });
    expect(q.descriptor).toBe(8 | (32 << 8) | (1 << 16));
    expect(q.bitsPerValue).toBe(8.5);
    expect(q.bytesFor(100)).toBe(4 * 34);
    const s = createCodec(k, "fp4-e2m1", { block: 16, scale: "fp16", rounding: "stochastic" });
    expect(s.descriptor).toBe(26 | (16 << 8) | (1 << 16) | (1 << 20));
    expect(s.bitsPerValue).toBe(5);
    const nv = createCodec(k, "nvfp4");
    expect(nv.bytesFor(33)).toBe(4 + 3 * 9);
    expect(nv.bitsPerValue).toBe(4.5);
    for (const f of listFormats()) {
      const c = createCodec(k, f.name);
      expect(c.bitsPerValue).toBe(f.bitsPerValue);
      for (const n of [0, 1, 31, 32, 33, 1000]) expect(c.bytesFor(n)).toBe(k.exports.tw_bytes_for(c.descriptor, n));
    }
  });
  it("rejects unknown formats and disallowed options", () => {
    expect(() => createCodec(k, "q5_1")).toThrow(/unknown format "q5_1"/);
    expect(() => createCodec(k, "mxfp4", { block: 16 })).toThrow(/block 16 not allowed/);
    expect(() => createCodec(k, "int8", { scale: "e8m0" })).toThrow(/scale "e8m0" not allowed/);
    expect(() => createCodec(k, "q4_0", { rounding: "stochastic" })).toThrow(/stochastic/);
  });
});

describe("typed-array calls (closed-form casts)", () => {
  it("f32 passthrough: bytes are the input's bytes, decode returns the input", () => {
    const c = createCodec(k, "f32");
    const x = sample(1001);
    const { bytes, clipped } = c.encode(x);
    expect(clipped).toBe(0);
    expect(bytes).toEqual(f32Bytes(x));
    expect(bytes.buffer).not.toBeInstanceOf(SharedArrayBuffer);
    expect(c.decode(bytes, 1001)).toEqual(x);
  });

  it("fp16 and bf16 casts give the IEEE codes", () => {
    const x = new Float32Array([1, -2, 65504, 1e6, 2 ** -24, 0.1, -0, NaN]);
    const h = new Uint16Array(createCodec(k, "fp16").encode(x).bytes.buffer);
    expect(Array.from(h)).toEqual([0x3c00, 0xc000, 0x7bff, 0x7c00, 0x0001, 0x2e66, 0x8000, 0x7e00]);
    const b = new Uint16Array(createCodec(k, "bf16").encode(x).bytes.buffer);
    expect(Array.from(b)).toEqual([0x3f80, 0xc000, 0x4780, 0x4974, 0x3380, 0x3dcd, 0x8000, 0x7fc0]);
    expect(Array.from(createCodec(k, "bf16").decode(new Uint8Array(new Uint16Array([0x3f80, 0xc0a0]).buffer), 2))).toEqual([1, -5]);
  });

  it("encode/decode write into a given out and return exact-length views", () => {
    const c = createCodec(k, "f32");
    const x = sample(10);
    const out = new Uint8Array(64).fill(0xee);
    const r = c.encode(x, out);
    expect(r.bytes.buffer).toBe(out.buffer);
    expect(r.bytes.length).toBe(40);
    expect(out.subarray(40)).toEqual(new Uint8Array(24).fill(0xee));
    const dec = new Float32Array(12).fill(7);
    const v = c.decode(r.bytes, 10, dec);
    expect(v.buffer).toBe(dec.buffer);
    expect(v).toEqual(x);
    expect(dec[10]).toBe(7);
    expect(() => c.encode(x, new Uint8Array(39))).toThrow(/39 bytes, 40 needed/);
    expect(() => c.decode(r.bytes, 11)).toThrow(/40 bytes given, 44 needed/);
    expect(() => c.decode(r.bytes, 10, new Float32Array(9))).toThrow(/9 values, 10 needed/);
  });

  it("decodeAccumulate adds in f32", () => {
    const c = createCodec(k, "f32");
    const x = sample(77, 3);
    const dst = sample(80, 4);
    const expected = dst.map((d, i) => (i < 77 ? Math.fround(d + x[i]!) : d));
    const r = c.decodeAccumulate(f32Bytes(x), 77, dst);
    expect(r.length).toBe(77);
    expect(dst).toEqual(expected);
    expect(() => c.decodeAccumulate(f32Bytes(x), 77, new Float32Array(76))).toThrow(RangeError);
  });

  it("reduceEncode sums in index order in f32, then encodes", () => {
    const c = createCodec(k, "f32");
    const xs = [sample(50, 1), sample(50, 2), sample(50, 3)];
    const sum = new Float32Array(50).map((_, i) => Math.fround(Math.fround(xs[0]![i]! + xs[1]![i]!) + xs[2]![i]!));
    const r = c.reduceEncode(xs.map(f32Bytes), 50);
    expect(r.bytes).toEqual(f32Bytes(sum));
    expect(r.clipped).toBe(0);
    expect(() => c.reduceEncode([], 50)).toThrow(/at least one input/);
    expect(() => c.reduceEncode([new Uint8Array(199)], 50)).toThrow(/input 0 has 199 bytes, 200 needed/);
  });

  it("n = 0 is a valid empty call", () => {
    const c = createCodec(k, "bf16");
    expect(c.encode(new Float32Array(0)).bytes.length).toBe(0);
    expect(c.decode(new Uint8Array(0), 0).length).toBe(0);
  });
});

describe("zero copy and the arena", () => {
  it("uses arguments already in the kernels' memory in place (a 16-byte fixed arena cannot stage)", () => {
    const arena = createArena(k, { base: k.heapBase, size: 16 });
    const tiny = createCodec(k, "f32", { arena });
    const big = createArena(k); // growable: its own fresh pages
    const x = big.allocF32(100);
    const xPtr = x.byteOffset;
    x.set(sample(100, 9));
    const out = big.allocU8(400);
    const outPtr = out.byteOffset;
    const r = tiny.encode(x, out);
    expect(r.bytes.byteOffset).toBe(outPtr);
    expect(r.bytes).toEqual(f32Bytes(x));
    // the same call with a heap input needs staging, which the 16-byte arena refuses
    expect(() => tiny.encode(sample(100), out)).toThrow(/do not fit/);
    // decode in place, and accumulate in place
    const dec = big.allocF32(100);
    tiny.decode(out, 100, dec);
    expect(dec).toEqual(x);
    tiny.decodeAccumulate(out, 100, dec);
    expect(dec).toEqual(x.map((v) => Math.fround(2 * v)));
    expect(arena.top).toBe(arena.base);
    expect(() => tiny.encode(x, new Uint8Array(k.memory.buffer, xPtr + 4, 400))).toThrow(/overlap/);
  });

  it("recognises views taken before the memory grew", () => {
    const a = createArena(k);
    const before = a.allocF32(16);
    a.alloc(8 << 20); // forces a grow: memory.buffer is a new SharedArrayBuffer object now
    expect(before.buffer).not.toBe(k.memory.buffer);
    expect(isInMemory(k.memory, before)).toBe(true);
    expect(isInMemory(k.memory, new Float32Array(16))).toBe(false);
    expect(isInMemory(k.memory, new Float32Array(new SharedArrayBuffer(64)))).toBe(false);
  });

  it("grows the memory for staging large inputs, and releases after each call", async () => {
    const kk = await loadQuantKernels(undefined, { initialPages: 17, maximumPages: 1024 });
    const c = createCodec(kk, "f32");
    const x = sample(3 << 20, 5); // 12 MiB > the initial 1.06 MiB memory
    const before = kk.memory.buffer.byteLength;
    const roundTrip = () => Buffer.from(c.decode(c.encode(x).bytes, x.length).buffer).equals(Buffer.from(x.buffer));
    expect(roundTrip()).toBe(true);
    expect(kk.memory.buffer.byteLength).toBeGreaterThan(before + 24 * 2 ** 20);
    const size = kk.memory.buffer.byteLength;
    expect(roundTrip()).toBe(true);
    expect(kk.memory.buffer.byteLength).toBe(size); // second call reuses the region
  });

  it("fixed arenas: bounds, alignment, marks", () => {
    const a = createArena(k, { base: k.heapBase + 4096, size: 256 });
    const p = a.alloc(3, 1);
    const q = a.alloc(8, 16);
    expect(p).toBe(k.heapBase + 4096);
    expect(q % 16).toBe(0);
    expect(q).toBeGreaterThanOrEqual(p + 3);
    const m = a.mark();
    a.alloc(100);
    a.reset(m);
    expect(a.top).toBe(m);
    a.reset();
    expect(a.top).toBe(a.base);
    expect(() => a.alloc(257)).toThrow(/do not fit/);
    expect(() => createArena(k, { base: k.heapBase - 16, size: 16 })).toThrow(/heapBase/);
    expect(() => createArena(k, { base: k.heapBase + 8, size: 16 })).toThrow(/multiple of 16/);
    expect(() => createArena(k, { size: 16 })).toThrow(/needs `base`/);
  });

  it("reports a memory that cannot grow", async () => {
    const kk = await loadQuantKernels(undefined, { initialPages: 17, maximumPages: 18 });
    expect(() => createCodec(kk, "f32").encode(new Float32Array(1 << 20))).toThrow(/cannot grow the wasm memory/);
  });
});

describe("pointer calls", () => {
  let c: Codec;
  let src: number;
  let dst: number;
  beforeAll(() => {
    c = createCodec(k, "q8_0");
    const a = createArena(k);
    src = a.alloc(4 * 64);
    dst = a.alloc(4 * 64);
  });

  it("check pointers before calling the kernel", () => {
    expect(() => c.encodePtr(src + 2, 64, dst)).toThrow(/4-byte aligned/);
    expect(() => c.encodePtr(0, 64, dst)).toThrow(/below heapBase/);
    expect(() => c.encodePtr(src, 64, k.memory.buffer.byteLength - 10)).toThrow(/exceeds the memory/);
    expect(() => c.decodePtr(src, 64, dst + 1)).toThrow(/4-byte aligned/);
    expect(() => c.encodePtr(src, -1, dst)).toThrow(/element count/);
    expect(() => c.encodePtr(src, 64, dst, -1)).toThrow(/seed must be a u32/);
    expect(() => c.encodePtr(src, 64, dst, 2 ** 32)).toThrow(/seed must be a u32/);
    expect(() => c.reduceEncodePtr(src, 0, 64, dst, src)).toThrow(/k must be a positive/);
    new Uint32Array(k.memory.buffer, src, 1)[0] = 8; // srcs[0] below heapBase
    expect(() => c.reduceEncodePtr(src, 1, 32, dst, dst + 64)).toThrow(/srcs\[0\].*below heapBase/);
  });

  it("turn a negative kernel return into a KernelError with the code", () => {
    // the same real kernels, driven with a descriptor they must refuse (format id 255: error −1)
    const bad = Object.create(c, { descriptor: { value: 0xff } }) as Codec;
    let err: unknown;
    try {
      bad.encodePtr(src, 64, dst);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KernelError);
    expect((err as KernelError).code).toBe(-1);
    expect((err as Error).message).toMatch(/quantize \(q8_0\) failed: unknown format id/);
    const reserved = Object.create(c, { descriptor: { value: (c.descriptor | (1 << 25)) >>> 0 } }) as Codec;
    expect(() => reserved.decodePtr(src, 64, dst)).toThrow(/reserved descriptor bits/);
    expect(() => reserved.decodeAccumulatePtr(src, 64, dst)).toThrow(KernelError);
    new Uint32Array(k.memory.buffer, src, 1)[0] = dst;
    expect(() => reserved.reduceEncodePtr(src, 1, 32, dst, dst + 128)).toThrow(KernelError);
  });

  it("every format has all four kernels (no −1 from an unimplemented family)", () => {
    const a = createArena(k);
    const x = a.alloc(4 * 256);
    new Float32Array(k.memory.buffer, x, 256).set(sample(256));
    for (const f of FORMATS) {
      const cc = createCodec(k, f.name);
      const packed = a.alloc(cc.bytesFor(256));
      const out = a.alloc(4 * 256);
      const ptrs = a.alloc(8, 4);
      new Uint32Array(k.memory.buffer, ptrs, 2).set([packed, packed]);
      expect(() => cc.encodePtr(x, 256, packed), f.name).not.toThrow();
      expect(() => cc.decodePtr(packed, 256, out), f.name).not.toThrow();
      expect(() => cc.decodeAccumulatePtr(packed, 256, out), f.name).not.toThrow();
      expect(() => cc.reduceEncodePtr(ptrs, 2, 256, packed, out), f.name).not.toThrow();
    }
  });
});

describe("every codec through the typed-array API equals the scalar reference", () => {
  const variants: Array<[string, Record<string, unknown>]> = [
    ...FORMATS.map((f) => [f.name, {}] as [string, Record<string, unknown>]),
    ["int8", { block: 128, scale: "f32", rounding: "stochastic" }],
    ["int4", { block: 8, scale: "bf16" }],
    ["fp5-e2m2", { block: 64, scale: "fp16", rounding: "stochastic" }],
    ["fp4-e2m1", { block: 16, scale: "fp16" }],
    ["mxfp8-e4m3", { rounding: "stochastic" }],
    ["nvfp4", { rounding: "stochastic" }],
  ];
  const same = (a: ArrayBufferView, b: ArrayBufferView) =>
    Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

  for (const [format, options] of variants) {
    it(`${format} ${JSON.stringify(options)}`, () => {
      const c = createCodec(k, format, options);
      for (const n of [0, 1, 31, 1000, 4099]) {
        const xs = [sample(n, n + 1), sample(n, n + 2).map((v) => v * 100), sample(n, n + 3).map((v) => v / 64)];
        const seed = (0x9e3779b9 ^ n) >>> 0;
        const ref = referenceQuantize(c.spec, xs[0]!, seed);
        const got = c.encode(xs[0]!, undefined, { seed });
        expect(same(got.bytes, ref.bytes), `encode n=${n}`).toBe(true);
        expect(got.clipped).toBe(ref.clipped);
        const dec = c.decode(got.bytes, n);
        expect(same(dec, referenceDequantize(c.spec, ref.bytes, n)), `decode n=${n}`).toBe(true);
        const acc = xs[1]!.slice();
        c.decodeAccumulate(got.bytes, n, acc);
        const accRef = xs[1]!.slice();
        referenceDequantizeAccumulate(c.spec, ref.bytes, n, accRef);
        expect(same(acc, accRef), `decodeAccumulate n=${n}`).toBe(true);
        const packed = xs.map((x) => referenceQuantize(c.spec, x, seed + 1).bytes);
        const red = c.reduceEncode(packed, n, undefined, { seed });
        const redRef = referenceReduceQuantize(c.spec, packed, n, seed);
        expect(same(red.bytes, redRef.bytes), `reduceEncode n=${n}`).toBe(true);
        expect(red.clipped).toBe(redRef.clipped);
        const rt = c.roundTrip(xs[0]!, undefined, { seed });
        expect(same(rt.bytes, ref.bytes), `roundTrip bytes n=${n}`).toBe(true);
        expect(same(rt.values, referenceDequantize(c.spec, ref.bytes, n)), `roundTrip values n=${n}`).toBe(true);
        expect(rt.clipped).toBe(ref.clipped);
        const sum = c.decodeSum(packed, n);
        const sumRef = referenceDequantize(c.spec, packed[0]!, n);
        for (const b of packed.slice(1)) referenceDequantizeAccumulate(c.spec, b, n, sumRef);
        expect(same(sum, sumRef), `decodeSum n=${n}`).toBe(true);
      }
    });
  }

  it("roundTrip in place in memory, into given arrays, and its errors", () => {
    const a = createArena(k);
    for (const format of ["q8_0", "nvfp4", "fp5-e2m2", "int4"]) {
      const c = createCodec(k, format);
      const n = 9001; // three chunks of the kernel, the last one partial
      const x = sample(n, 7);
      const ref = referenceQuantize(c.spec, x, 0);
      const want = referenceDequantize(c.spec, ref.bytes, n);
      const xm = a.allocF32(n);
      xm.set(x);
      const bm = a.allocU8(c.bytesFor(n));
      const r = c.roundTrip(xm, xm, { bytes: bm }); // zero copy, in place
      expect(r.values.buffer).toBe(xm.buffer);
      expect(r.values.byteOffset).toBe(xm.byteOffset);
      expect(same(xm, want), format).toBe(true);
      expect(same(bm, ref.bytes), format).toBe(true);
      const out = new Float32Array(n + 3).fill(5);
      const bytes = new Uint8Array(c.bytesFor(n) + 1);
      const r2 = c.roundTrip(x, out, { bytes }); // staged, results copied into the given arrays
      expect(r2.values.length).toBe(n);
      expect(same(out.subarray(0, n), want)).toBe(true);
      expect(out[n]).toBe(5);
      expect(same(bytes.subarray(0, c.bytesFor(n)), ref.bytes)).toBe(true);
      expect(() => c.roundTrip(x, new Float32Array(n - 1))).toThrow(/out holds 9000 values, 9001 needed/);
      expect(() => c.roundTrip(x, undefined, { bytes: new Uint8Array(3) })).toThrow(/options.bytes has 3 bytes/);
      expect(() => c.roundTrip(xm, a.allocF32(n), { bytes: new Uint8Array(xm.buffer, xm.byteOffset + 4, c.bytesFor(n)) })).toThrow(/overlap/);
      expect(() => c.roundTripPtr(xm.byteOffset, n, bm.byteOffset, bm.byteOffset)).toThrow(/overlap/);
      a.reset();
    }
  });

  it("decodeSum: argument errors", () => {
    const c = createCodec(k, "mxfp4");
    expect(() => c.decodeSum([], 32)).toThrow(/at least one input/);
    expect(() => c.decodeSum([new Uint8Array(16)], 32)).toThrow(/input 0 has 16 bytes, 17 needed/);
    expect(() => c.decodeSum([new Uint8Array(17)], 32, new Float32Array(31))).toThrow(/out holds 31 values/);
    expect(() => c.decodeSumPtr(k.heapBase, 0, 32, k.heapBase + 64)).toThrow(/k must be a positive/);
  });

  it("staged and in-memory arguments give the same results (q8_0, nvfp4, mxfp6-e2m3)", () => {
    const a = createArena(k);
    for (const format of ["q8_0", "nvfp4", "mxfp6-e2m3"]) {
      const c = createCodec(k, format);
      const n = 777;
      const x = sample(n, 99);
      const nb = c.bytesFor(n);
      const xm = a.allocF32(n);
      xm.set(x);
      const outm = a.allocU8(nb);
      c.encode(xm, outm);
      const ref = referenceQuantize(c.spec, x).bytes;
      expect(same(outm, ref)).toBe(true);
      const inputs = [outm, new Uint8Array(ref)]; // one in memory, one on the heap
      const red = c.reduceEncode(inputs, n, a.allocU8(nb));
      expect(same(red.bytes, referenceReduceQuantize(c.spec, [ref, ref], n).bytes)).toBe(true);
    }
  });
});
