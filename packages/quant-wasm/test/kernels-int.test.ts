// Integer-family kernels (q8_0, q4_0, int8, int4) and the casts (f32, fp16, bf16) against oracles
// written here from FORMATS.md alone: hand-computed blocks, exhaustive fp16/bf16 code sweeps with an
// arithmetic (log2 / power-of-two) encoder, and a small per-block model of sections 4-5 using
// Math.fround for every f32 operation. Never the kernels' own output.
import { describe, it, expect, beforeAll } from "vitest";
import { loadQuantKernels, type QuantKernels } from "../src/kernels.js";
import { makeRng, uniform } from "./helpers/data.js";

let k: QuantKernels;
let base = 0;
beforeAll(async () => {
  k = await loadQuantKernels(undefined, { initialPages: 448 });
  base = (k.heapBase + 4095) & ~4095;
});

const fr = Math.fround;
const ID = { f32: 0, fp16: 1, bf16: 2, q8_0: 8, q4_0: 9, int8: 10, int4: 11 } as const;
const SC = { none: 0, fp16: 1, bf16: 2, f32: 3 } as const;
type Sc = "fp16" | "bf16" | "f32";
const desc = (id: number, B = 0, scale = 0, stoch = false) => (id | (B << 8) | (scale << 16) | (stoch ? 1 << 20 : 0)) >>> 0;
const Q8 = desc(ID.q8_0, 32, SC.fp16);
const Q4 = desc(ID.q4_0, 32, SC.fp16);
const intDesc = (int4: boolean, B = 32, sc: Sc = "fp16", stoch = false) => desc(int4 ? ID.int4 : ID.int8, B, SC[sc], stoch);
const GUARD = 0xa5;

// ---------------------------------------------------------------- wasm calls with guard bytes
function region(): { src: number; dst: number; out: number } {
  return { src: base, dst: base + (8 << 20) + 1, out: base + (16 << 20) };
}
function quantize(d: number, x: Float32Array, seed = 0): { ret: number; bytes: Uint8Array } {
  const { src, dst } = region();
  const nb = k.exports.tw_bytes_for(d, x.length);
  expect(nb).toBeGreaterThanOrEqual(0);
  const u8 = new Uint8Array(k.memory.buffer);
  new Float32Array(k.memory.buffer, src, x.length).set(x);
  u8.fill(GUARD, dst - 1, dst + nb + 32);
  const ret = k.exports.tw_quantize(d, src, x.length, dst, seed);
  expect(u8[dst - 1]).toBe(GUARD);
  for (let i = 0; i < 32; i++) expect(u8[dst + nb + i]).toBe(GUARD);
  return { ret, bytes: u8.slice(dst, dst + nb) };
}
function dequantize(d: number, bytes: Uint8Array, n: number, acc?: Float32Array): Float32Array {
  const { dst, out } = region();
  const u8 = new Uint8Array(k.memory.buffer);
  u8.set(bytes, dst);
  const f = new Float32Array(k.memory.buffer, out, n + 8);
  f.fill(-1234.5);
  if (acc) f.set(acc);
  const r = acc ? k.exports.tw_dequantize_accumulate(d, dst, n, out) : k.exports.tw_dequantize(d, dst, n, out);
  expect(r).toBe(0);
  for (let i = n; i < n + 8; i++) expect(f[i]).toBe(-1234.5);
  return f.slice(0, n);
}
const bitsOf = (x: Float32Array) => Array.from(new Uint32Array(x.buffer, x.byteOffset, x.length));
const f32bits = (v: number) => new Uint32Array(new Float32Array([v]).buffer)[0]!;
const fromBits = (b: number) => new Float32Array(new Uint32Array([b >>> 0]).buffer)[0]!;
function expectSameF32(got: Float32Array, want: ArrayLike<number>): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < got.length; i++) {
    const g = got[i]!, w = want[i]!;
    if (Number.isNaN(w)) expect(Number.isNaN(g), `index ${i}`).toBe(true);
    else if (f32bits(g) !== f32bits(w)) expect(`${i}: ${g}`).toBe(`${i}: ${w}`);
  }
}

// ---------------------------------------------------------------- arithmetic fp16 / bf16 oracles
const rneInt = (t: number) => {
  const f = Math.floor(t), r = t - f;
  return r > 0.5 || (r === 0.5 && f % 2 !== 0) ? f + 1 : f;
};
const negative = (v: number) => v < 0 || Object.is(v, -0);
/** floor(log2 a) exactly for a > 0. */
function ilog2(a: number): number {
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  if (2 ** (e + 1) <= a) e++;
  return e;
}
function fp16Value(h: number): number {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 31, m = h & 1023;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (e === 0 ? m * 2 ** -24 : (1024 + m) * 2 ** (e - 25));
}
/** fp16 RNE by arithmetic: quantum 2^(max(e,-14)-10), ties to even, >= 65520 -> Inf. */
function fp16Encode(v: number): number {
  const sign = negative(v) ? 0x8000 : 0;
  if (Number.isNaN(v)) return 0x7e00 | (f32bits(v) >>> 31 ? 0x8000 : 0);
  const a = Math.abs(v);
  if (a >= 65520) return sign | 0x7c00;
  if (a === 0) return sign;
  const e = Math.max(ilog2(a), -14);
  const q = rneInt(a / 2 ** (e - 10)); // 0..2048
  return sign | (e === -14 && q < 1024 ? q : ((e + 15) << 10) + (q - 1024));
}
const bf16Value = (h: number) => fromBits(h << 16);
function bf16Encode(v: number): number {
  if (Number.isNaN(v)) return 0x7fc0 | (f32bits(v) >>> 31 ? 0x8000 : 0);
  const sign = negative(v) ? 0x8000 : 0;
  const a = Math.abs(v);
  if (a === 0 || a === Infinity) return sign | (a ? 0x7f80 : 0);
  const e = Math.max(ilog2(a), -126);
  const r = rneInt(a / 2 ** (e - 7)) * 2 ** (e - 7);
  if (r >= 2 ** 128) return sign | 0x7f80;
  return sign | (f32bits(r) >>> 16);
}

// ---------------------------------------------------------------- block model (FORMATS.md §4)
const clampCode = (c: number, lo: number, hi: number) => (Number.isNaN(c) ? 0 : Math.max(lo, Math.min(hi, c)));
const roundAway = (v: number) => Math.sign(v) * Math.floor(Math.abs(v) + 0.5);

type Kind = { f: "q8_0" } | { f: "q4_0" } | { f: "int"; int4: boolean; B: number; sc: Sc; stoch: boolean };
/** Expected bytes and clipped count for x under a kind, block by block. */
function model(kind: Kind, x: Float32Array, seed = 0): { bytes: Uint8Array; clipped: number } {
  const B = kind.f === "int" ? kind.B : 32;
  const int4 = kind.f === "q4_0" || (kind.f === "int" && kind.int4);
  const SB = kind.f === "int" && kind.sc === "f32" ? 4 : 2;
  const bb = SB + (int4 ? B / 2 : B);
  const nb = Math.ceil(x.length / B);
  const out = new Uint8Array(nb * bb);
  const dv = new DataView(out.buffer);
  let clipped = 0;
  for (let b = 0; b < nb; b++) {
    const xs = Array.from({ length: B }, (_, j) => (b * B + j < x.length ? x[b * B + j]! : 0));
    const o = b * bb;
    if (xs.some((v) => !Number.isFinite(v))) {
      if (kind.f === "int" && kind.sc === "f32") dv.setUint32(o, 0x7fc00000, true);
      else dv.setUint16(o, kind.f === "int" && kind.sc === "bf16" ? 0x7fc0 : 0x7e00, true);
      continue;
    }
    let codes: number[];
    if (kind.f === "q8_0") {
      const amax = Math.max(0, ...xs.map(Math.abs));
      const d = fr(amax / 127);
      let id = d !== 0 ? fr(1 / d) : 0;
      let h = fp16Encode(d);
      if (h === 0x7c00) { h = 0x7bff; id = fr(1 / 65504); clipped++; }
      dv.setUint16(o, h, true);
      codes = xs.map((v) => clampCode(roundAway(fr(v * id)), -127, 127) & 0xff);
    } else if (kind.f === "q4_0") {
      let amax = 0, m = 0;
      for (const v of xs) if (Math.abs(v) > amax) { amax = Math.abs(v); m = v; }
      let d = fr(m / -8);
      let id = d !== 0 ? fr(1 / d) : 0;
      let h = fp16Encode(d);
      if ((h & 0x7fff) === 0x7c00) { h = (h & 0x8000) | 0x7bff; d = h & 0x8000 ? -65504 : 65504; id = fr(1 / d); clipped++; }
      dv.setUint16(o, h, true);
      codes = xs.map((v) => clampCode(Math.trunc(fr(fr(v * id) + 8.5)), 0, 15));
    } else {
      const qmax = kind.int4 ? 7 : 127;
      const amax = Math.max(0, ...xs.map(Math.abs));
      const d = fr(amax / qmax);
      let s: number;
      if (kind.sc === "fp16") {
        let h = fp16Encode(d);
        if (h === 0x7c00) { h = 0x7bff; clipped++; }
        dv.setUint16(o, h, true);
        s = fp16Value(h);
      } else if (kind.sc === "bf16") {
        const h = bf16Encode(d);
        dv.setUint16(o, h, true);
        s = bf16Value(h);
      } else {
        dv.setFloat32(o, d, true);
        s = d;
      }
      const inv = s !== 0 ? fr(1 / s) : 0;
      codes = xs.map((v, j) => {
        const t = fr(v * inv);
        const c = kind.stoch ? Math.floor(fr(t + uniform(b * B + j, seed))) : rneInt(t);
        return clampCode(c, -qmax, qmax) & (kind.int4 ? 15 : 255);
      });
    }
    if (int4) for (let j = 0; j < B / 2; j++) out[o + SB + j] = codes[j]! | (codes[j + B / 2]! << 4);
    else for (let j = 0; j < B; j++) out[o + SB + j] = codes[j]!;
  }
  return { bytes: out, clipped };
}
/** Expected decode of bytes under a kind (FORMATS.md §5). */
function decodeModel(kind: Kind, bytes: Uint8Array, n: number): Float32Array {
  const B = kind.f === "int" ? kind.B : 32;
  const int4 = kind.f === "q4_0" || (kind.f === "int" && kind.int4);
  const SB = kind.f === "int" && kind.sc === "f32" ? 4 : 2;
  const bb = SB + (int4 ? B / 2 : B);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const b = Math.floor(i / B), j = i % B, o = b * bb;
    const s = kind.f === "int" && kind.sc === "f32" ? dv.getFloat32(o, true)
      : kind.f === "int" && kind.sc === "bf16" ? bf16Value(dv.getUint16(o, true)) : fp16Value(dv.getUint16(o, true));
    let c: number;
    if (int4) {
      const byte = bytes[o + SB + (j % (B / 2))]!;
      const nib = j < B / 2 ? byte & 15 : byte >> 4;
      c = kind.f === "q4_0" ? nib - 8 : (nib ^ 8) - 8;
    } else c = (bytes[o + SB + j]! << 24) >> 24;
    out[i] = fr(c * s);
  }
  return out;
}
const kindDesc = (kd: Kind) => (kd.f === "q8_0" ? Q8 : kd.f === "q4_0" ? Q4 : intDesc(kd.int4, kd.B, kd.sc, kd.stoch));

// ---------------------------------------------------------------- data
/** The shared seeded PRNG (./testing). */
const rng = makeRng;
function gauss(n: number, seed: number, scale = 1): Float32Array {
  const r = rng(seed);
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r()) * scale;
  return x;
}

// =================================================================================================
describe("q8_0 closed forms", () => {
  it("[0..31]: d = 31/127, codes round(i·id) half away from zero", () => {
    const x = Float32Array.from({ length: 32 }, (_, i) => i);
    const { ret, bytes } = quantize(Q8, x);
    expect(ret).toBe(0);
    const d = fr(31 / 127);
    expect(bytes[0]! | (bytes[1]! << 8)).toBe(fp16Encode(d)); // 0.2441 -> 0x33D0
    expect(bytes[0]! | (bytes[1]! << 8)).toBe(0x33d0);
    const id = fr(1 / d);
    // hand values: i·127/31: 1 -> 4.097 -> 4, 2 -> 8.19 -> 8, 16 -> 65.55 -> 66, 31 -> 127
    expect([bytes[2], bytes[3], bytes[4], bytes[18], bytes[33]]).toEqual([0, 4, 8, 66, 127]);
    for (let i = 0; i < 32; i++) expect(bytes[2 + i]).toBe(Math.round(fr(i * id)));
    const y = dequantize(Q8, bytes, 32);
    const dv = fp16Value(0x33d0);
    for (let i = 0; i < 32; i++) expect(y[i]).toBe(fr(bytes[2 + i]! * dv));
  });

  it("rounds ties away from zero (roundf), not to even", () => {
    // amax 127 -> d = 1, id = 1: codes are roundf(x) exactly
    const x = new Float32Array(32);
    const ties = [0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 126.5, -126.5, 0.49999997, -0.49999997, 3.4999998];
    ties.forEach((v, i) => (x[i] = v));
    x[31] = 127;
    const { bytes } = quantize(Q8, x);
    expect(bytes[0]! | (bytes[1]! << 8)).toBe(0x3c00);
    const codes = Array.from(bytes.slice(2, 2 + ties.length), (c) => (c << 24) >> 24);
    expect(codes).toEqual([1, 2, 3, -1, -2, -3, 127, -127, 0, 0, 3]);
  });

  it("all-zero block, negative zero and partial blocks", () => {
    const z = new Float32Array(70);
    z[3] = -0;
    const { bytes } = quantize(Q8, z);
    expect(bytes.length).toBe(3 * 34);
    expect(Array.from(bytes).every((b) => b === 0)).toBe(true);
    expectSameF32(dequantize(Q8, bytes, 70), new Float32Array(70));
    // n = 1: padded with +0.0
    const one = quantize(Q8, Float32Array.of(-3));
    expect(Array.from(one.bytes.slice(0, 4))).toEqual([...u16(fp16Encode(fr(3 / 127))), 0x81, 0]);
    expect(Array.from(one.bytes.slice(4)).every((b) => b === 0)).toBe(true);
  });

  it("fp16 overflow: scale 0x7BFF, codes saturate, each such block counted", () => {
    const x = gauss(32 * 9, 5);
    for (const b of [1, 4, 8]) x[b * 32 + 3] = 1e7 * (b === 4 ? -1 : 1); // 1e7/127 > 65504
    const { ret, bytes } = quantize(Q8, x);
    expect(ret).toBe(3);
    for (const b of [1, 4, 8]) expect(bytes[b * 34]! | (bytes[b * 34 + 1]! << 8)).toBe(0x7bff);
    expect((bytes[4 * 34 + 2 + 3]! << 24) >> 24).toBe(-127);
    const m = model({ f: "q8_0" }, x);
    expect(bytes).toEqual(m.bytes);
  });
});

function u16(h: number): number[] {
  return [h & 0xff, h >> 8];
}

describe("q4_0 closed forms", () => {
  it("all-zero block: d = -0.0 (scale 0x8000), codes 8, decodes to -0.0", () => {
    const { bytes } = quantize(Q4, new Float32Array(32));
    expect(Array.from(bytes)).toEqual([0x00, 0x80, ...new Array(16).fill(0x88)]);
    const y = dequantize(Q4, bytes, 32);
    for (const v of y) expect(Object.is(v, -0)).toBe(true);
  });

  it("m = -8 gives d = 1, codes trunc(x + 8.5) capped at 15, ggml nibble order", () => {
    const x = Float32Array.from({ length: 32 }, (_, i) => (i - 16) / 2); // -8 .. 7.5
    const { bytes } = quantize(Q4, x);
    expect(bytes[0]! | (bytes[1]! << 8)).toBe(0x3c00); // d = -8 / -8 = 1
    const code = (v: number) => Math.min(15, Math.trunc(v + 8.5));
    for (let j = 0; j < 16; j++) expect(bytes[2 + j]).toBe(code(x[j]!) | (code(x[j + 16]!) << 4));
    // hand: element 0 = -8 -> 0; element 16 = 0 -> 8; element 31 = 7.5 -> 15 (16 capped); element 1 = -7.5 -> 1
    expect(bytes[2]).toBe(0x80);
    expect(bytes[17]! >> 4).toBe(15);
    expect(bytes[3]! & 15).toBe(1);
  });

  it("the first of +a / -a wins (as ggml's strict > scan)", () => {
    const a = new Float32Array(32 * 4);
    a[5] = 4; a[9] = -4; // block 0: +4 first -> d = -0.5
    a[32 + 2] = -4; a[32 + 7] = 4; // block 1: -4 first -> d = 0.5
    a[64 + 1] = -2; a[64 + 30] = -2; // block 2: equal values
    a[96 + 31] = 3;
    const { bytes } = quantize(Q4, a);
    expect(bytes[0]! | (bytes[1]! << 8)).toBe(0xb800); // -0.5
    expect(bytes[18]! | (bytes[19]! << 8)).toBe(0x3800); // +0.5
    expect(bytes).toEqual(model({ f: "q4_0" }, a).bytes);
  });

  it("negative overflow keeps the sign: 0xFBFF, clamped codes", () => {
    const x = gauss(32, 9);
    x[7] = 1e6; // d = -125000 -> overflow
    const { ret, bytes } = quantize(Q4, x);
    expect(ret).toBe(1);
    expect(bytes[0]! | (bytes[1]! << 8)).toBe(0xfbff);
    expect(bytes).toEqual(model({ f: "q4_0" }, x).bytes);
  });
});

describe("int8 / int4 closed forms", () => {
  it("int8: amax 127 gives s = 1; RNE ties to even", () => {
    const x = new Float32Array(32);
    [0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 126.5, -3.5].forEach((v, i) => (x[i] = v));
    x[31] = -127;
    for (const sc of ["fp16", "bf16", "f32"] as const) {
      const { bytes } = quantize(intDesc(false, 32, sc), x);
      const SB = sc === "f32" ? 4 : 2;
      const scale = sc === "f32" ? [0, 0, 0x80, 0x3f] : sc === "bf16" ? [0x80, 0x3f] : [0x00, 0x3c];
      expect(Array.from(bytes.slice(0, SB))).toEqual(scale);
      const codes = Array.from(bytes.slice(SB, SB + 8), (c) => (c << 24) >> 24);
      expect(codes).toEqual([0, 2, 2, 0, -2, -2, 126, -4]);
      expect((bytes[SB + 31]! << 24) >> 24).toBe(-127);
    }
  });

  it("int4: nibble layout c_j | c_(j+B/2) << 4 for every block size", () => {
    for (const B of [8, 16, 32, 64, 128]) {
      // amax 7 -> s = 1; x_j = (j % 15) - 7 (integers -7..7)
      const x = Float32Array.from({ length: B }, (_, j) => (j % 15) - 7);
      x[0] = -7;
      const { bytes } = quantize(intDesc(true, B), x);
      expect(bytes.length).toBe(2 + B / 2);
      expect(bytes[0]! | (bytes[1]! << 8)).toBe(0x3c00);
      for (let j = 0; j < B / 2; j++) expect(bytes[2 + j]).toBe((x[j]! & 15) | ((x[j + B / 2]! & 15) << 4));
      expectSameF32(dequantize(intDesc(true, B), bytes, B), x);
    }
  });

  it("fp16-scale overflow counts clipped blocks; bf16/f32 scales never clip", () => {
    const x = gauss(64 * 8, 3);
    x[64 + 5] = 3e7; // int8 d = 236220 > 65504
    x[5 * 64 + 9] = -2e6; // int4 d = 285714
    expect(quantize(intDesc(false, 64), x).ret).toBe(1);
    expect(quantize(intDesc(true, 64), x).ret).toBe(2);
    expect(quantize(intDesc(true, 64, "bf16"), x).ret).toBe(0);
    expect(quantize(intDesc(true, 64, "f32"), x).ret).toBe(0);
    const { bytes } = quantize(intDesc(false, 64), x);
    expect(bytes[66]! | (bytes[67]! << 8)).toBe(0x7bff);
    expect(bytes[66 + 2 + 5]).toBe(127);
  });

  it("stochastic rounding: floor(v + u(index)) with the FORMATS.md hash", () => {
    // amax 127 (s = 1), fractional values: the code is floor(x + u_i) for the global index i
    const n = 32 * 6 + 5;
    const x = Float32Array.from({ length: n }, (_, i) => ((i * 37) % 250) / 2 - 62.3);
    for (let b = 0; b < 7; b++) x[b * 32] = 127;
    const seed = 0xdeadbeef;
    const { bytes } = quantize(intDesc(false, 32, "fp16", true), x, seed);
    for (let i = 0; i < n; i++) {
      if (i % 32 === 0) continue;
      const want = Math.floor(fr(x[i]! + uniform(i, seed)));
      expect((bytes[Math.floor(i / 32) * 34 + 2 + (i % 32)]! << 24) >> 24, `element ${i}`).toBe(want);
    }
  });

  it("stochastic element indices continue across tw_reduce_quantize's 4096-element chunks", () => {
    const n = 4096 * 2 + 100;
    const x = gauss(n, 11);
    for (const int4 of [false, true]) {
      const kd: Kind = { f: "int", int4, B: 16, sc: "bf16", stoch: true };
      const d = kindDesc(kd);
      const a = quantize(d, x, 77).bytes;
      const b = quantize(d, gauss(n, 12), 78).bytes;
      expect(a).toEqual(model(kd, x, 77).bytes);
      // reduce of two packed inputs: scratch = dec(a) + dec(b) in f32, then quantized with global indices
      const db = decodeModel(kd, b, n);
      const sum = decodeModel(kd, a, n).map((v, i) => fr(v + db[i]!));
      const { src, dst, out } = region();
      const u8 = new Uint8Array(k.memory.buffer);
      u8.set(a, dst);
      u8.set(b, dst + a.length);
      new Uint32Array(k.memory.buffer, src, 2).set([dst, dst + a.length]);
      const res = out + (8 << 20);
      expect(k.exports.tw_reduce_quantize(d, src, 2, n, res, out, 79)).toBe(0);
      expect(u8.slice(res, res + a.length)).toEqual(model(kd, sum, 79).bytes);
    }
  });
});

describe("non-finite blocks", () => {
  const kinds: Kind[] = [
    { f: "q8_0" }, { f: "q4_0" },
    { f: "int", int4: false, B: 32, sc: "fp16", stoch: false },
    { f: "int", int4: true, B: 8, sc: "bf16", stoch: false },
    { f: "int", int4: false, B: 128, sc: "f32", stoch: true },
  ];
  it.each(kinds.map((kd) => [JSON.stringify(kd), kd] as const))("%s: NaN scale, zero codes, decodes to NaN", (_, kd) => {
    const B = kd.f === "int" ? kd.B : 32;
    const n = B * 9 + 3;
    const x = gauss(n, 21);
    x[B * 2 + 1] = NaN; x[B * 5] = Infinity; x[B * 6 + B - 1] = -Infinity; x[n - 1] = NaN;
    const { ret, bytes } = quantize(kindDesc(kd), x, 5);
    expect(ret).toBe(0);
    expect(bytes).toEqual(model(kd, x, 5).bytes);
    const y = dequantize(kindDesc(kd), bytes, n);
    for (const b of [2, 5, 6, 9]) for (let j = 0; j < B && b * B + j < n; j++) expect(Number.isNaN(y[b * B + j]!)).toBe(true);
    expect(Number.isFinite(y[B * 3]!)).toBe(true);
  });
});

describe("model agreement over sizes, data and options", () => {
  // 0..3 partial/full blocks, a partial group, and >= 4 full blocks (the vector path) with a tail
  const sizes = [0, 1, 7, 9, 31, 33, 129, 257, 1000, 2053];
  const kinds: Kind[] = [{ f: "q8_0" }, { f: "q4_0" }];
  for (const int4 of [false, true]) for (const B of [8, 16, 32, 64, 128]) for (const sc of ["fp16", "bf16", "f32"] as const) {
    for (const stoch of [false, true]) kinds.push({ f: "int", int4, B, sc, stoch });
  }
  function data(n: number, seed: number): Float32Array[] {
    const r = rng(seed);
    const out = [gauss(n, seed), gauss(n, seed + 1, 1e-3)];
    const wide = gauss(n, seed + 2);
    for (let i = 0; i < n; i++) wide[i] = wide[i]! * 10 ** Math.floor(r() * 12 - 6);
    out.push(wide);
    const tiny = new Float32Array(n); // subnormal-range blocks: reciprocal overflow, subnormal scales
    for (let i = 0; i < n; i++) tiny[i] = (r() - 0.5) * 2 ** -(120 + Math.floor(r() * 28));
    out.push(tiny);
    const big = gauss(n, seed + 3, 3e6);
    out.push(big);
    const halves = new Float32Array(n);
    for (let i = 0; i < n; i++) halves[i] = Math.round((r() - 0.5) * 40) / 2;
    out.push(halves);
    return out;
  }
  it.each(kinds.map((kd) => [JSON.stringify(kd), kd] as const))("%s", (_, kd) => {
    const d = kindDesc(kd);
    for (const n of sizes) {
      for (const [di, x] of data(n, n + 1).entries()) {
        const seed = (n * 2654435761) >>> 0;
        const want = model(kd, x, seed);
        const got = quantize(d, x, seed);
        if (got.ret !== want.clipped || !eqBytes(got.bytes, want.bytes)) {
          expect({ n, di, ret: got.ret, bytes: Array.from(got.bytes) }).toEqual({ n, di, ret: want.clipped, bytes: Array.from(want.bytes) });
        }
        const dec = decodeModel(kd, want.bytes, n);
        expectSameF32(dequantize(d, want.bytes, n), dec);
        const acc = gauss(n, 99);
        expectSameF32(dequantize(d, want.bytes, n, acc), acc.map((a, i) => fr(a + dec[i]!)));
      }
    }
  });
});
function eqBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

// =================================================================================================
describe("casts", () => {
  const F16 = desc(ID.fp16), BF16 = desc(ID.bf16), F32 = desc(ID.f32);

  it("fp16: every code decodes exactly and re-encodes to itself (NaN -> 0x7E00 | sign)", () => {
    const codes = new Uint8Array(65536 * 2);
    for (let h = 0; h < 65536; h++) { codes[2 * h] = h & 0xff; codes[2 * h + 1] = h >> 8; }
    const y = dequantize(F16, codes, 65536);
    const yb = bitsOf(y);
    for (let h = 0; h < 65536; h++) {
      const v = fp16Value(h);
      if (Number.isNaN(v)) {
        // exact decode keeps sign and payload: sign | 0x7F800000 | m << 13
        expect(yb[h]).toBe((((h & 0x8000) << 16) | 0x7f800000 | ((h & 0x3ff) << 13)) >>> 0);
      } else if (f32bits(v) !== yb[h]) expect(`${h}: ${y[h]}`).toBe(`${h}: ${v}`);
    }
    const { bytes } = quantize(F16, y);
    for (let h = 0; h < 65536; h++) {
      const got = bytes[2 * h]! | (bytes[2 * h + 1]! << 8);
      const want = (h & 0x7fff) > 0x7c00 ? (h & 0x8000) | 0x7e00 : h;
      if (got !== want) expect(got.toString(16)).toBe(want.toString(16));
    }
  });

  it("fp16: midpoints between neighbours round to even, ±1 ulp around them to the nearest", () => {
    const xs: number[] = [];
    for (let h = 0; h < 0x7bff; h++) {
      const lo = fp16Value(h), hi = fp16Value(h + 1);
      const mid = (lo + hi) / 2; // exact in f32 (11-bit values, one more bit)
      xs.push(mid, fromBits(f32bits(mid) - 1), fromBits(f32bits(mid) + 1));
    }
    xs.push(65504, 65519.996, 65520, 65536, 1e30, Infinity, 2 ** -25, fromBits(f32bits(2 ** -25) + 1), 2 ** -26, 1e-45, 0);
    const x = new Float32Array(xs.length * 2);
    xs.forEach((v, i) => { x[2 * i] = v; x[2 * i + 1] = -v; });
    const { bytes } = quantize(F16, x);
    for (let i = 0; i < x.length; i++) {
      const got = bytes[2 * i]! | (bytes[2 * i + 1]! << 8);
      const want = fp16Encode(x[i]!);
      if (got !== want) expect(`${x[i]} -> ${got.toString(16)}`).toBe(`${x[i]} -> ${want.toString(16)}`);
    }
    // spot values
    const spotX = Float32Array.of(65519, 65520, 2 ** -25, 3 * 2 ** -25, -0, 0, 0);
    new Uint32Array(spotX.buffer).set([0x7fc00000, 0xff800001], 5);
    const spot = quantize(F16, spotX);
    const h = (i: number) => spot.bytes[2 * i]! | (spot.bytes[2 * i + 1]! << 8);
    expect([0, 1, 2, 3, 4, 5, 6].map(h)).toEqual([0x7bff, 0x7c00, 0x0000, 0x0002, 0x8000, 0x7e00, 0xfe00]);
  });

  it("fp16: random f32 bit patterns and NaN signs", () => {
    const r = rng(4);
    const x = new Float32Array(20011);
    const u = new Uint32Array(x.buffer);
    for (let i = 0; i < u.length; i++) u[i] = (r() * 2 ** 32) >>> 0;
    u[5] = 0xffc00001; u[6] = 0x7f800001; u[7] = 0xff812345;
    const { bytes } = quantize(F16, x);
    for (let i = 0; i < x.length; i++) {
      const got = bytes[2 * i]! | (bytes[2 * i + 1]! << 8);
      const want = Number.isNaN(x[i]) ? 0x7e00 | (u[i]! >>> 31 ? 0x8000 : 0) : fp16Encode(x[i]!);
      if (got !== want) expect(`${u[i]!.toString(16)} -> ${got.toString(16)}`).toBe(`${u[i]!.toString(16)} -> ${want.toString(16)}`);
    }
  });

  it("bf16: every code decodes exactly; RNE at midpoints; overflow to Inf; NaN quiet with sign", () => {
    const codes = new Uint8Array(65536 * 2);
    for (let h = 0; h < 65536; h++) { codes[2 * h] = h & 0xff; codes[2 * h + 1] = h >> 8; }
    const y = dequantize(BF16, codes, 65536);
    const yb = bitsOf(y);
    for (let h = 0; h < 65536; h++) expect(yb[h]).toBe((h << 16) >>> 0);
    const xs: number[] = [];
    for (let h = 0; h < 0x7f80; h += 13) {
      xs.push(fromBits((h << 16) | 0x8000), fromBits((h << 16) | 0x7fff), fromBits((h << 16) | 0x8001), fromBits(h << 16));
    }
    xs.push(fromBits(0x7f7fffff), fromBits(0x7f7f7fff), fromBits(0x7f7f8000), Infinity, NaN, fromBits(0x7f800001));
    const x = new Float32Array(xs.length * 2);
    xs.forEach((v, i) => { x[2 * i] = v; x[2 * i + 1] = -v; });
    const { bytes } = quantize(BF16, x);
    for (let i = 0; i < x.length; i++) {
      const got = bytes[2 * i]! | (bytes[2 * i + 1]! << 8);
      const want = bf16Encode(x[i]!);
      if (got !== want) expect(`${x[i]} -> ${got.toString(16)}`).toBe(`${x[i]} -> ${want.toString(16)}`);
    }
    const neg = quantize(BF16, new Float32Array(new Uint32Array([0xff800001, 0x7f7f8000]).buffer));
    expect(Array.from(neg.bytes)).toEqual([0xc0, 0xff, 0x80, 0x7f]);
  });

  it("f32 copies bits both ways; accumulate is one f32 add; every length 0..40", () => {
    for (let n = 0; n <= 40; n++) {
      const x = gauss(n, n + 3);
      if (n > 3) x[2] = fromBits(0x7fa00001); // NaN payload kept
      const q = quantize(F32, x);
      expect(Array.from(q.bytes)).toEqual(Array.from(new Uint8Array(x.buffer)));
      expect(bitsOf(dequantize(F32, q.bytes, n))).toEqual(bitsOf(x));
      for (const [d, enc, dec] of [[F16, fp16Encode, fp16Value], [BF16, bf16Encode, bf16Value]] as const) {
        const r = quantize(d, x);
        expect(r.bytes.length).toBe(2 * n);
        const want = Array.from(x, (v) => dec(enc(v)));
        expectSameF32(dequantize(d, r.bytes, n), want);
        const acc = gauss(n, 7);
        expectSameF32(dequantize(d, r.bytes, n, acc), acc.map((a, i) => fr(a + want[i]!)));
      }
      const acc = gauss(n, 8);
      const y = gauss(n, 9);
      expectSameF32(dequantize(F32, new Uint8Array(y.buffer), n, acc), acc.map((a, i) => fr(a + y[i]!)));
    }
  });
});
