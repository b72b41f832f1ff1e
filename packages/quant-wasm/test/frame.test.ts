// TWQF frame: layout (against a hand-built header and zlib's CRC-32), every malformed kind, fuzzing.
import { describe, it, expect, beforeAll } from "vitest";
import fc from "fast-check";
import { crc32 as zlibCrc32 } from "node:zlib";
import {
  encodeFrame, decodeFrame, frameBytes, crc32, FrameError, FRAME_HEADER_BYTES,
  FORMATS, resolveCodec, bytesFor, loadQuantKernels, createCodec, createArena,
  type CodecSpec, type QuantKernels, type WasmArena,
} from "../src/index.js";
import { referenceQuantize, referenceDequantize } from "../src/reference/index.js";

/** Every allowed (format, block, scale, rounding) combination. */
const ALL_SPECS: CodecSpec[] = FORMATS.flatMap((f) =>
  (f.blocks.length ? f.blocks : [0]).flatMap((block) =>
    f.scales.flatMap((scale) =>
      (f.stochastic ? (["rne", "stochastic"] as const) : (["rne"] as const)).map((rounding) =>
        resolveCodec(f.name, { block, scale, rounding })))));

function randomBytes(len: number, seed: number): Uint8Array {
  const b = new Uint8Array(len);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < len; i++) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    b[i] = s & 0xff;
  }
  return b;
}

function frameFor(spec: CodecSpec, n: number, seed = 1): { frame: Uint8Array; payload: Uint8Array } {
  const payload = randomBytes(bytesFor(spec, n), seed);
  return { frame: encodeFrame(spec, payload, n), payload };
}

/** Recompute the CRC after a deliberate header edit (so the check under test is the one that fires). */
function reseal(frame: Uint8Array): Uint8Array {
  const dv = new DataView(frame.buffer, frame.byteOffset);
  dv.setUint32(24, zlibCrc32(Buffer.concat([frame.subarray(0, 24), frame.subarray(FRAME_HEADER_BYTES)])) >>> 0, true);
  return frame;
}

function expectFrameError(bytes: Uint8Array, message: RegExp): void {
  let err: unknown;
  try {
    decodeFrame(bytes);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(FrameError);
  expect((err as Error).message).toMatch(message);
}

describe("crc32", () => {
  it("matches the standard check value and zlib", () => {
    expect(crc32(new TextEncoder().encode("123456789"))).toBe(0xcbf43926);
    expect(crc32()).toBe(0);
    for (const len of [0, 1, 7, 8, 9, 63, 1000, 4099]) {
      const b = randomBytes(len, len + 3);
      expect(crc32(b)).toBe(zlibCrc32(b) >>> 0);
      // split anywhere: the concatenation is what counts
      const cut = len >> 1;
      expect(crc32(b.subarray(0, cut), b.subarray(cut))).toBe(zlibCrc32(b) >>> 0);
    }
  });
});

describe("frame layout", () => {
  it("writes the documented header bit for bit (q8_0, n = 100)", () => {
    const spec = resolveCodec("q8_0");
    const payload = randomBytes(4 * 34, 7);
    const frame = encodeFrame(spec, payload, 100);
    const header = [
      0x54, 0x57, 0x51, 0x46, // "TWQF"
      1, // version
      8, // q8_0
      32, 0, // block 32, u16 LE
      1, // scale kind fp16
      0, // flags: rne
      0, 0, // reserved
      100, 0, 0, 0, // n low
      0, 0, 0, 0, // n high
      136, 0, 0, 0, // payload length 4 blocks · 34 B
    ];
    expect(Array.from(frame.subarray(0, 24))).toEqual(header);
    const crc = zlibCrc32(Buffer.concat([Buffer.from(header), Buffer.from(payload)])) >>> 0;
    expect(new DataView(frame.buffer).getUint32(24, true)).toBe(crc);
    expect(frame.subarray(28)).toEqual(payload);
    expect(frame.length).toBe(frameBytes(spec, 100));
  });

  it("writes stochastic rounding, wide blocks and a u53 count", () => {
    const spec = resolveCodec("fp5-e3m1", { block: 128, scale: "fp16", rounding: "stochastic" });
    const frame = frameFor(spec, 300).frame;
    expect(Array.from(frame.subarray(4, 10))).toEqual([1, 25, 128, 0, 1, 1]);
    // n = 2^32 + 5 of the 4-bit nvfp4 format: 4 + ceil(n/16)·9 bytes, too big to allocate here, so check
    // the split of n by editing a small frame's count fields and reading the error that names n
    const f = frameFor(resolveCodec("nvfp4"), 16).frame;
    const dv = new DataView(f.buffer);
    dv.setUint32(12, 5, true);
    dv.setUint32(16, 1, true);
    expectFrameError(f, /n = 4294967301\b/);
  });

  it("round-trips every allowed codec at several sizes, payload as a view", () => {
    for (const spec of ALL_SPECS) {
      for (const n of [0, 1, spec.block - 1, spec.block, 3 * Math.max(spec.block, 1) + 1, 1000]) {
        if (n < 0) continue;
        const { frame, payload } = frameFor(spec, n, n + spec.block);
        const d = decodeFrame(frame);
        expect(d.spec).toEqual(spec);
        expect(d.n).toBe(n);
        expect(d.payload).toEqual(payload);
        expect(d.payload.buffer).toBe(frame.buffer);
      }
    }
  });

  it("accepts a frame at a non-zero offset of a larger buffer", () => {
    const { frame, payload } = frameFor(resolveCodec("mxfp4"), 77);
    const big = new Uint8Array(frame.length + 13);
    big.set(frame, 5);
    const d = decodeFrame(big.subarray(5, 5 + frame.length));
    expect(d.payload).toEqual(payload);
  });

  it("takes a codec-like object as well as a spec", () => {
    const spec = resolveCodec("int4", { block: 64, scale: "bf16" });
    const payload = randomBytes(bytesFor(spec, 70), 9);
    expect(encodeFrame({ spec }, payload, 70)).toEqual(encodeFrame(spec, payload, 70));
  });
});

describe("encodeFrame arguments", () => {
  const spec = resolveCodec("q4_0");
  it("rejects a wrong payload length, a bad count and an invalid spec with FrameError", () => {
    expect(() => encodeFrame(spec, new Uint8Array(17), 32)).toThrow(FrameError);
    expect(() => encodeFrame(spec, new Uint8Array(18), -1)).toThrow(FrameError);
    expect(() => encodeFrame(spec, new Uint8Array(18), 1.5)).toThrow(FrameError);
    expect(() => encodeFrame({ ...spec, block: 16 }, new Uint8Array(10), 16)).toThrow(/block 16 not allowed/);
    expect(() => encodeFrame({ ...spec, rounding: "stochastic" }, new Uint8Array(18), 32)).toThrow(FrameError);
    expect(() => encodeFrame({ ...spec, format: "q5_0" as never }, new Uint8Array(18), 32)).toThrow(/unknown format/);
  });
});

describe("malformed frames", () => {
  const good = () => frameFor(resolveCodec("q8_0"), 100).frame;
  const edit = (f: (dv: DataView, b: Uint8Array) => void, seal = true) => {
    const b = good();
    f(new DataView(b.buffer), b);
    return seal ? reseal(b) : b;
  };

  it("every kind is a FrameError naming the problem", () => {
    expectFrameError(new Uint8Array(0), /truncated frame: 0 bytes/);
    expectFrameError(good().subarray(0, 27), /truncated frame: 27 bytes, the header alone is 28/);
    expectFrameError(edit((_, b) => { b[0] = 0x55; }), /bad magic/);
    expectFrameError(edit((_, b) => { b[3] = 0x47; }), /bad magic/);
    expectFrameError(edit((dv) => dv.setUint8(4, 2)), /unsupported frame version 2/);
    expectFrameError(edit((dv) => dv.setUint8(4, 0)), /unsupported frame version 0/);
    expectFrameError(edit((dv) => dv.setUint8(5, 3)), /unknown format id 3/);
    expectFrameError(edit((dv) => dv.setUint8(5, 255)), /unknown format id 255/);
    expectFrameError(edit((dv) => dv.setUint16(6, 16, true)), /block 16 not allowed/);
    expectFrameError(edit((dv) => dv.setUint16(6, 32 + 256, true)), /block 288 not allowed/);
    expectFrameError(edit((dv) => dv.setUint8(8, 6)), /unknown scale kind id 6/);
    expectFrameError(edit((dv) => dv.setUint8(8, 4)), /scale "e8m0" not allowed/);
    expectFrameError(edit((dv) => dv.setUint8(9, 1)), /does not support stochastic rounding/);
    expectFrameError(edit((dv) => dv.setUint8(9, 2)), /reserved flag bits/);
    expectFrameError(edit((dv) => dv.setUint8(10, 1)), /reserved header bytes/);
    expectFrameError(edit((dv) => dv.setUint8(11, 0x80)), /reserved header bytes/);
    expectFrameError(edit((dv) => dv.setUint32(16, 0x200000, true)), /exceeds 21 bits/);
    expectFrameError(edit((dv) => dv.setUint32(12, 1000, true)), /payload length 136 does not match 1088/);
    expectFrameError(edit((dv) => dv.setUint32(20, 170, true)), /payload length 170 does not match 136/);
    expectFrameError(good().subarray(0, 28 + 135), /truncated frame: 163 bytes, 164 expected/);
    const longer = new Uint8Array(good().length + 3);
    longer.set(good());
    expectFrameError(longer, /3 trailing bytes/);
    expectFrameError(edit((_, b) => { b[50] ^= 0x10; }, false), /checksum mismatch/);
    expectFrameError(edit((dv) => dv.setUint32(24, dv.getUint32(24, true) ^ 1, true), false), /checksum mismatch/);
    // a header edit that stays valid (n 100 → 97: same payload length) is caught by the checksum
    expectFrameError(edit((dv) => dv.setUint32(12, 97, true), false), /checksum mismatch/);
    // casts: no block and no scale
    const cast = frameFor(resolveCodec("bf16"), 10).frame;
    new DataView(cast.buffer).setUint16(6, 32, true);
    expectFrameError(reseal(cast), /format bf16: block 32 not allowed \(allowed: none\)/);
  });

  it("rejects what is not a Uint8Array", () => {
    expectFrameError(new Uint16Array(20) as unknown as Uint8Array, /expected a Uint8Array/);
    expectFrameError([0x54, 0x57] as unknown as Uint8Array, /expected a Uint8Array/);
  });
});

describe("fuzzing", () => {
  const specArb = fc.constantFrom(...ALL_SPECS);
  const frameArb = fc.tuple(specArb, fc.integer({ min: 0, max: 600 }), fc.integer({ min: 1, max: 2 ** 31 }))
    .map(([spec, n, seed]) => ({ spec, n, ...frameFor(spec, n, seed) }));

  /** decodeFrame either throws FrameError or returns; any other exception fails the property. */
  function tryDecode(bytes: Uint8Array): ReturnType<typeof decodeFrame> | FrameError {
    try {
      return decodeFrame(bytes);
    } catch (e) {
      if (e instanceof FrameError) return e;
      throw e;
    }
  }

  it("random bytes: FrameError (or a consistent decode), never another exception", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
      const r = tryDecode(b);
      if (!(r instanceof FrameError)) expect(r.payload.length + FRAME_HEADER_BYTES).toBe(b.length);
    }), { numRuns: 3000 });
  });

  it("random bytes behind a valid magic and version reach the deeper checks", () => {
    const arb = fc.uint8Array({ minLength: 24, maxLength: 160 }).map((b) => {
      const out = new Uint8Array(b.length + 4);
      out.set([0x54, 0x57, 0x51, 0x46, 1]);
      out.set(b.subarray(1), 5);
      return out;
    });
    fc.assert(fc.property(arb, (b) => {
      const r = tryDecode(b);
      if (!(r instanceof FrameError)) expect(r.payload.length + FRAME_HEADER_BYTES).toBe(b.length);
    }), { numRuns: 3000 });
  });

  it("any single-byte corruption of a valid frame is a FrameError", () => {
    fc.assert(fc.property(frameArb, fc.nat(), fc.integer({ min: 1, max: 255 }), ({ frame }, pos, x) => {
      const b = frame.slice();
      b[pos % b.length] ^= x;
      expect(tryDecode(b)).toBeInstanceOf(FrameError);
    }), { numRuns: 2000 });
  });

  it("truncations and extensions are FrameErrors; the intact frame decodes exactly", () => {
    fc.assert(fc.property(frameArb, fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 9 }), ({ spec, n, frame, payload }, cut, extra) => {
      expect(tryDecode(frame.subarray(0, cut % frame.length))).toBeInstanceOf(FrameError);
      const longer = new Uint8Array(frame.length + extra.length);
      longer.set(frame);
      longer.set(extra, frame.length);
      expect(tryDecode(longer)).toBeInstanceOf(FrameError);
      const d = decodeFrame(frame);
      expect(d.spec).toEqual(spec);
      expect(d.n).toBe(n);
      expect(d.payload).toEqual(payload);
    }), { numRuns: 500 });
  });
});

describe("frames into and out of the wasm memory", () => {
  const GUARD = 64;
  let k: QuantKernels;
  let arena: WasmArena;
  beforeAll(async () => {
    k = await loadQuantKernels();
    arena = createArena(k);
  });

  /** A region of `bytes` in the wasm memory with GUARD bytes of 0xA5 on both sides. */
  function guarded(bytes: number): { ptr: number; check: () => void } {
    const start = arena.alloc(bytes + 2 * GUARD, 16);
    const ptr = start + GUARD;
    new Uint8Array(k.memory.buffer, start, bytes + 2 * GUARD).fill(0xa5);
    return {
      ptr,
      check: () => {
        const before = new Uint8Array(k.memory.buffer, start, GUARD);
        const after = new Uint8Array(k.memory.buffer, ptr + bytes, GUARD);
        expect(before.every((b) => b === 0xa5) && after.every((b) => b === 0xa5)).toBe(true);
      },
    };
  }

  it("decoding a frame's payload in place never writes outside the destination; encoding neither", () => {
    const defaults = FORMATS.map((f) => resolveCodec(f.name));
    fc.assert(fc.property(fc.constantFrom(...defaults), fc.integer({ min: 0, max: 700 }), fc.integer({ min: 1, max: 2 ** 31 }), (spec, n, seed) => {
      const mark = arena.mark();
      try {
        const codec = createCodec(k, spec.format, spec);
        // a frame around reference-encoded data (sane payload) and around random bytes (any code)
        const x = new Float32Array(n).map((_, i) => ((((seed + i * 2654435761) >>> 0) % 20001) - 10000) / 997);
        const refBytes = referenceQuantize(spec, x, seed).bytes;
        for (const payload of [refBytes, randomBytes(refBytes.length, seed)]) {
          const frame = decodeFrame(encodeFrame(codec, payload, n));
          const dst = guarded(4 * n);
          const out = new Float32Array(k.memory.buffer, dst.ptr, n);
          codec.decode(frame.payload, frame.n, out);
          dst.check();
          // bit-exact, except that a NaN's sign and payload are not deterministic in wasm arithmetic
          const want = referenceDequantize(spec, payload, n);
          const wantBits = new Uint32Array(want.buffer);
          const gotBits = new Uint32Array(k.memory.buffer, dst.ptr, n);
          for (let i = 0; i < n; i++) {
            if (!(Number.isNaN(want[i]!) && Number.isNaN(out[i]!)) && gotBits[i] !== wantBits[i]) {
              expect.fail(`${spec.format} n=${n}: value ${i} is ${out[i]}, the reference says ${want[i]}`);
            }
          }
        }
        const packed = guarded(codec.bytesFor(n));
        const r = codec.encode(x, new Uint8Array(k.memory.buffer, packed.ptr, codec.bytesFor(n)), { seed });
        packed.check();
        expect(Buffer.from(r.bytes).equals(Buffer.from(refBytes))).toBe(true);
      } finally {
        arena.reset(mark);
      }
    }), { numRuns: 150 });
  });
});
