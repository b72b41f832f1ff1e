// Minifloat-family kernels (mxfp8/6/4, mxint8, fp5, fp4, nvfp4) against hand-computed blocks and a
// brute-force oracle written here from FORMATS.md alone: element codes by enumerating every code's
// value (nearest, ties to the even code, saturating), scales by the closed-form rules.
import { describe, it, expect, beforeAll } from "vitest";
import { loadQuantKernels, type QuantKernels } from "../src/kernels.js";
import { makeRng, uniform } from "./helpers/data.js";

let k: QuantKernels;
let base = 0;
beforeAll(async () => {
  k = await loadQuantKernels(undefined, { initialPages: 64 });
  base = (k.heapBase + 4095) & ~4095;
});

// ---------------------------------------------------------------- oracle: elements
interface Elem { nb: number; vals: number[]; max: number; emax: number }
function minifloat(e: number, m: number, nb: number, special: "none" | "e4m3" | "e5m2"): Elem {
  const bias = (1 << (e - 1)) - 1;
  const vals: number[] = [];
  for (let c = 0; c < 1 << (nb - 1); c++) {
    const ef = c >> m, mf = c & ((1 << m) - 1);
    let v = ef === 0 ? 2 ** (1 - bias) * (mf / 2 ** m) : 2 ** (ef - bias) * (1 + mf / 2 ** m);
    if (special === "e4m3" && c === 0x7f) v = NaN;
    if (special === "e5m2" && ef === 31) v = mf === 0 ? Infinity : NaN;
    vals.push(v);
  }
  const finite = vals.filter((v) => Number.isFinite(v));
  const max = Math.max(...finite);
  return { nb, vals, max, emax: Math.floor(Math.log2(max)) };
}
const E2M1 = minifloat(2, 1, 4, "none");
const E2M2 = minifloat(2, 2, 5, "none");
const E3M1 = minifloat(3, 1, 5, "none");
const E2M3 = minifloat(2, 3, 6, "none");
const E3M2 = minifloat(3, 2, 6, "none");
const E4M3 = minifloat(4, 3, 8, "e4m3");
const E5M2 = minifloat(5, 2, 8, "e5m2");
const INT8: Elem = { nb: 8, vals: [], max: 127, emax: 0 };

const isNeg = (v: number) => v < 0 || Object.is(v, -0);
/** Nearest code magnitude by enumeration, ties to the even code, saturating; sign from v. */
function encRef(el: Elem, v: number): number {
  if (Number.isNaN(v)) return 0;
  const a = Math.abs(v);
  let best = 0;
  if (a >= el.max) best = el.vals.indexOf(el.max);
  else {
    for (let c = 1; c < el.vals.length; c++) {
      const d = Math.abs(el.vals[c]! - a), db = Math.abs(el.vals[best]! - a);
      if (!(d <= db)) continue;
      if (d < db || (c & 1) === 0) best = c;
    }
  }
  return best | (isNeg(v) ? 1 << (el.nb - 1) : 0);
}
function encStochRef(el: Elem, v: number, u: number): number {
  const a = Math.abs(v);
  let mag: number;
  if (a >= el.max) mag = el.max;
  else {
    const sorted = el.vals.filter((x) => Number.isFinite(x));
    let lo = 0;
    for (const x of sorted) if (x <= a && x > lo) lo = x;
    const hi = Math.min(...sorted.filter((x) => x > a));
    const p = Math.fround(Math.fround(a - lo) / Math.fround(hi - lo));
    mag = u < p ? hi : lo;
  }
  return el.vals.indexOf(mag) | (isNeg(v) ? 1 << (el.nb - 1) : 0);
}
const rneInt = (t: number) => {
  const f = Math.floor(t), r = t - f;
  return r > 0.5 || (r === 0.5 && f % 2 !== 0) ? f + 1 : f;
};
const clamp127 = (c: number) => Math.max(-127, Math.min(127, c));
function decRef(el: Elem, c: number): number {
  if (el === INT8) return ((c << 24) >> 24) / 64;
  const v = el.vals[c & ((1 << (el.nb - 1)) - 1)]!;
  return c >> (el.nb - 1) ? -v : v;
}
/** fp16 RNE of a non-negative finite value (Inf when it rounds past 65504). */
function fp16Ref(d: number): { bits: number; value: number } {
  if (d >= 65520) return { bits: 0x7c00, value: Infinity };
  if (d === 0) return { bits: 0, value: 0 };
  const e = Math.max(Math.floor(Math.log2(d)), -14);
  const q = rneInt(d / 2 ** (e - 10));
  const value = q * 2 ** (e - 10);
  const f = new Float32Array([value]);
  const b = new Uint32Array(f.buffer)[0]!;
  const ex = (b >>> 23) & 0xff;
  const bits = ex === 0 || value < 2 ** -14 ? Math.round(value / 2 ** -24) : ((ex - 112) << 10) | ((b >>> 13) & 0x3ff);
  return { bits, value };
}
const f32exp = (x: number) => (new Uint32Array(new Float32Array([x]).buffer)[0]! >>> 23) & 0xff;

// ---------------------------------------------------------------- oracle: blocks and layouts
interface Fmt { name: string; id: number; el: Elem; blocks: number[]; fp16: boolean }
const FMTS: Fmt[] = [
  { name: "mxfp8-e4m3", id: 16, el: E4M3, blocks: [32], fp16: false },
  { name: "mxfp8-e5m2", id: 17, el: E5M2, blocks: [32], fp16: false },
  { name: "mxfp6-e2m3", id: 18, el: E2M3, blocks: [32], fp16: false },
  { name: "mxfp6-e3m2", id: 19, el: E3M2, blocks: [32], fp16: false },
  { name: "mxfp4", id: 20, el: E2M1, blocks: [32], fp16: false },
  { name: "mxint8", id: 21, el: INT8, blocks: [32], fp16: false },
  { name: "fp5-e2m2", id: 24, el: E2M2, blocks: [8, 16, 32, 64, 128], fp16: true },
  { name: "fp5-e3m1", id: 25, el: E3M1, blocks: [8, 16, 32, 64, 128], fp16: true },
  { name: "fp4-e2m1", id: 26, el: E2M1, blocks: [8, 16, 32, 64, 128], fp16: true },
];
const desc = (id: number, B: number, scale: number, stoch = false) => (id | (B << 8) | (scale << 16) | (stoch ? 1 << 20 : 0)) >>> 0;

/** Element field bytes from codes (FORMATS.md section 2). */
function packRef(codes: number[], nb: number): number[] {
  const B = codes.length;
  if (nb === 8) return codes.map((c) => c & 0xff);
  const out = new Array<number>((B * nb) / 8).fill(0);
  for (let j = 0; j < B / 2; j++) out[j] = (codes[j]! & 0xf) | ((codes[j + B / 2]! & 0xf) << 4);
  if (nb === 5) for (let i = 0; i < B; i++) out[B / 2 + (i >> 3)]! |= ((codes[i]! >> 4) & 1) << (i & 7);
  if (nb === 6) {
    for (let j = 0; j < B / 4; j++) {
      for (let q = 0; q < 4; q++) out[B / 2 + j]! |= ((codes[j + (q * B) / 4]! >> 4) & 3) << (2 * q);
    }
  }
  return out;
}

function quantRef(f: Fmt, B: number, fp16: boolean, x: Float32Array, stoch = false, seed = 0, index0 = 0): { bytes: number[]; clipped: number } {
  const out: number[] = [];
  let clipped = 0;
  for (let b0 = 0; b0 < x.length; b0 += B) {
    const blk = Array.from({ length: B }, (_, i) => (b0 + i < x.length ? x[b0 + i]! : 0));
    const amax = Math.max(...blk.map(Math.abs));
    if (!Number.isFinite(amax)) {
      out.push(...(fp16 ? [0x00, 0x7e] : [0xff]), ...new Array<number>((B * f.el.nb) / 8).fill(0));
      continue;
    }
    let mul: number;
    if (!fp16) {
      const X = Math.max(f32exp(amax) - f.el.emax, 0);
      out.push(X);
      mul = 2 ** (127 - X);
    } else {
      const d = Math.fround(amax / f.el.max);
      let h = fp16Ref(d);
      if (h.bits === 0x7c00) { h = { bits: 0x7bff, value: 65504 }; clipped++; }
      out.push(h.bits & 0xff, h.bits >> 8);
      mul = h.value !== 0 ? Math.fround(1 / h.value) : 0;
    }
    const codes = blk.map((xi, i) => {
      const v = Math.fround(xi * mul);
      const u = uniform((index0 + b0 + i) >>> 0, seed);
      if (f.el === INT8) {
        const t = Math.fround(v * 64);
        return clamp127(stoch ? Math.floor(Math.fround(t + u)) : rneInt(t)) & 0xff;
      }
      return stoch ? encStochRef(f.el, v, u) : encRef(f.el, v);
    });
    out.push(...packRef(codes, f.el.nb));
  }
  return { bytes: out, clipped };
}

// ---------------------------------------------------------------- wasm helpers
function run(d: number, x: Float32Array, seed = 0): { bytes: Uint8Array; ret: number } {
  const n = x.length;
  const nbytes = k.exports.tw_bytes_for(d, n);
  expect(nbytes).toBeGreaterThanOrEqual(0);
  const src = base, dst = base + 4 * n + 64;
  new Float32Array(k.memory.buffer, src, n).set(x);
  const mem = new Uint8Array(k.memory.buffer);
  mem.fill(0xa5, dst - 32, dst + nbytes + 32);
  const ret = k.exports.tw_quantize(d, src, n, dst, seed);
  // guard bytes on both sides are untouched
  for (let i = 1; i <= 32; i++) {
    expect(mem[dst - i]).toBe(0xa5);
    expect(mem[dst + nbytes + i - 1]).toBe(0xa5);
  }
  return { bytes: mem.slice(dst, dst + nbytes), ret };
}
function decode(d: number, bytes: Uint8Array, n: number, acc?: Float32Array): Float32Array {
  const src = base, dst = base + bytes.length + 64 & ~3;
  new Uint8Array(k.memory.buffer).set(bytes, src);
  const out = new Float32Array(k.memory.buffer, dst, n + 8);
  out.fill(12345);
  if (acc) out.set(acc);
  const r = acc ? k.exports.tw_dequantize_accumulate(d, src, n, dst) : k.exports.tw_dequantize(d, src, n, dst);
  expect(r).toBe(0);
  for (let i = n; i < n + 8; i++) expect(out[i]).toBe(12345);
  return out.slice(0, n);
}
const f32Bits = (x: Float32Array) => Array.from(new Uint32Array(x.buffer, x.byteOffset, x.length));
/** The shared seeded PRNG (./testing). */
const rng = makeRng;
/** Roughly Gaussian data with occasional outliers, exact ties and tiny values. */
function sample(n: number, seed: number): Float32Array {
  const r = rng(seed);
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const g = (r() + r() + r() + r() - 2) * 1.7;
    const kind = r();
    if (kind < 0.05) x[i] = g * 300;
    else if (kind < 0.1) x[i] = Math.round(g * 8) / 4; // many exact ties after scaling
    else if (kind < 0.13) x[i] = g * 1e-3;
    else if (kind < 0.14) x[i] = kind < 0.135 ? 0 : -0;
    else x[i] = g;
  }
  return x;
}

// ---------------------------------------------------------------- hand-computed blocks
describe("hand-computed blocks", () => {
  const MXFP4 = desc(20, 32, 4);
  it("MXFP4 block with amax 6·2^k: X = 127 + k, elements exact", () => {
    for (const kk of [-3, 0, 5]) {
      const vals = [0, 0.5, 1, 1.5, 2, 3, 4, 6];
      const x = new Float32Array(32);
      for (let i = 0; i < 32; i++) x[i] = vals[i % 8]! * 2 ** kk * (i >= 16 ? -1 : 1);
      const { bytes } = run(MXFP4, x);
      expect(bytes[0]).toBe(127 + kk);
      // element i<16 code i%8, element i+16 code 8|(i%8); byte j = c_j | c_{j+16}<<4
      for (let j = 0; j < 16; j++) expect(bytes[1 + j]).toBe((j % 8) | ((8 | (j % 8)) << 4));
      expect(Array.from(decode(MXFP4, bytes, 32))).toEqual(Array.from(x));
    }
  });
  it("MXFP4 exact ties go to the even code, values above 6 saturate (floor rule)", () => {
    // amax 7: E = 129, X = 127, scale 1: 7 -> 6 (clipped by the floor rule)
    const x = new Float32Array([0.25, 0.75, 1.25, 1.75, 2.5, 3.5, 5, 7, -0.25, -5.5, 5.9, 0.2500001]);
    const { bytes } = run(MXFP4, x);
    expect(bytes[0]).toBe(127);
    const codes = [0, 2, 2, 4, 4, 6, 6, 7, 8, 15, 7, 1];
    for (let i = 0; i < 12; i++) expect(bytes[1 + i]! & 0xf).toBe(codes[i]);
    expect(Array.from(decode(MXFP4, bytes, 12))).toEqual([0, 1, 1, 2, 2, 4, 4, 6, -0, -6, 6, 0.5]);
  });
  it("all-zero and signed-zero blocks: X = 0, sign codes kept, decode to zeros", () => {
    const x = new Float32Array(32);
    x[3] = -0;
    const { bytes } = run(MXFP4, x);
    expect(bytes[0]).toBe(0);
    expect(bytes[4]).toBe(0x08);
    const y = decode(MXFP4, bytes, 32);
    expect(Object.is(y[3], -0)).toBe(true);
    expect(Object.is(y[0], 0)).toBe(true);
  });
  it("subnormal elements: MXFP8 E4M3 with amax 448 keeps 2^-9 multiples", () => {
    const x = new Float32Array([448, 2 ** -9, 3 * 2 ** -10, 2 ** -10, 7 * 2 ** -9, -(2 ** -6), 464, 0.001]);
    const d = desc(16, 32, 4);
    const { bytes } = run(d, x);
    expect(bytes[0]).toBe(127); // E(448) = 135, emax 8
    expect(Array.from(bytes.slice(1, 9))).toEqual([0x7e, 0x01, 0x02, 0x00, 0x07, 0x88, 0x7e, 0x01]);
  });
  it("non-finite blocks: scale NaN code, zero elements, decode to NaN", () => {
    for (const bad of [NaN, Infinity, -Infinity]) {
      const x = new Float32Array(64).fill(1.5);
      x[40] = bad;
      const { bytes } = run(MXFP4, x);
      expect(bytes[17]).toBe(0xff);
      expect(Array.from(bytes.slice(18, 34)).every((b) => b === 0)).toBe(true);
      expect(bytes[0]).toBe(127 - 2); // E(1.5) = 127, emax 2
      const y = decode(MXFP4, bytes, 64);
      expect(y.slice(32).every(Number.isNaN)).toBe(true);
      expect(y[0]).toBe(1.5);
      const f = run(desc(24, 16, 1), x).bytes; // fp5-e2m2 + fp16, blocks of 16 (12 B)
      expect(f[24] | (f[25]! << 8)).toBe(0x7e00);
    }
  });
  it("FP16 scale overflow: 65504, counted as clipped, elements saturate", () => {
    const x = new Float32Array(16).fill(1);
    x[0] = 6 * 65520; // d = 65520 rounds to fp16 Inf
    x[17] = 3;
    const d = desc(26, 8, 1); // fp4-e2m1, B = 8, fp16
    const { bytes, ret } = run(d, new Float32Array([...x, 6 * 65504]));
    expect(ret).toBe(1);
    expect(bytes[0] | (bytes[1]! << 8)).toBe(0x7bff);
    expect(bytes[2]! & 0xf).toBe(7); // 393120 / 65504 = 6.0015 -> 6
    // the last block (amax exactly 6·65504) is not clipped
    expect(bytes[12] | (bytes[13]! << 8)).toBe(0x7bff);
  });
  it("mxint8: X from amax's exponent with emax 0, codes RNE(x·2^(127-X)·64) clamped to ±127", () => {
    const x = new Float32Array([1.5, -1.5, 1.999, 0.5 / 64, 1.5 / 64, -1.99, 2.5 / 64, -0.75 / 64]);
    const { bytes } = run(desc(21, 32, 4), x);
    expect(bytes[0]).toBe(127);
    expect(Array.from(bytes.slice(1, 9))).toEqual([96, 256 - 96, 127, 0, 2, 256 - 127, 2, 255]);
  });
  it("nvfp4: tensor scale G/2688, UE4M3 block scales, E2M1 elements", () => {
    const x = new Float32Array(32);
    x[0] = 2688; x[1] = -1344; x[2] = 2016; // block 0: amax 2688 -> code 448 (0x7E)
    x[16] = 3; x[17] = -0.5; // block 1: amax 3 -> 3/6 = 0.5 -> code 0x30
    const d = desc(32, 16, 5);
    const { bytes } = run(d, x);
    expect(new Float32Array(bytes.slice(0, 4).buffer)[0]).toBe(1);
    expect(bytes[4]).toBe(0x7e);
    expect(bytes[5]).toBe(0x07 | 0); // element 0: 6 ; element 8: 0
    expect(bytes[6]).toBe(0x0d); // element 1: -3 (sign | code 5)
    expect(bytes[7]).toBe(0x06); // element 2: 2016/448 = 4.5 -> 4 (tie, even)
    expect(bytes[13]).toBe(0x30);
    expect(bytes[14]).toBe(0x07); // 3 / 0.5 = 6
    expect(bytes[15]).toBe(0x0a); // -0.5/0.5 = -1 (sign | code 2)
    const y = decode(d, bytes, 32);
    expect(Array.from(y.slice(0, 3))).toEqual([2688, -1344, 1792]);
    expect(Array.from(y.slice(16, 18))).toEqual([3, -0.5]);
  });
  it("nvfp4 ignores non-finite values for S_t and writes 0x7F for their blocks; n = 0 writes the header", () => {
    const x = new Float32Array(20).fill(0.25);
    x[0] = 2688; x[18] = Infinity;
    const { bytes } = run(desc(32, 16, 5), x);
    expect(new Float32Array(bytes.slice(0, 4).buffer)[0]).toBe(1);
    expect(bytes[13]).toBe(0x7f);
    expect(run(desc(32, 16, 5), new Float32Array(0)).bytes.length).toBe(4);
  });
});

// ---------------------------------------------------------------- layouts
describe("packed layouts", () => {
  it("5-bit: nibble plane then high-bit plane; 6-bit: nibble plane then 2-bit plane", () => {
    // fp5-e2m2 with E8M0, B = 16: amax 7·2^0 -> X = 127; code of 7 = 0b01111; of -7 = 0b11111
    const x = new Float32Array(16);
    x[0] = 7; x[9] = -7; x[15] = -0.25;
    const b5 = run(desc(24, 16, 4), x).bytes;
    expect(b5[0]).toBe(127);
    expect(b5[1]).toBe(0x0f); // element 0 low nibble, element 8 = 0
    expect(b5[2]).toBe(0xf0); // element 9 in the high nibble of byte 1
    expect(b5[8]).toBe(0x10); // element 15 (-0.25 = sign | code 1) high nibble of byte 7
    expect(b5[9]).toBe(0x00);
    expect(b5[10]).toBe(0x82); // bits 9 and 15 of the high-bit plane
    // mxfp6-e3m2: element 8 = -28 (code 0x3F), element 30 = 28 (0x1F)
    const y = new Float32Array(32);
    y[8] = -28; y[30] = 28;
    const b6 = run(desc(19, 32, 4), y).bytes;
    expect(b6[0]).toBe(127 + 4 - 4);
    expect(b6[1 + 8]).toBe(0x0f);
    expect(b6[1 + 14]).toBe(0xf0);
    expect(Array.from(b6.slice(17, 25))).toEqual([0b1100, 0, 0, 0, 0, 0, 0b01000000, 0]);
  });
});

// ---------------------------------------------------------------- brute-force oracle sweeps
const SIZES = [0, 1, 7, 31, 32, 33, 127, 128, 129, 200, 515, 1024 + 96 + 3];
describe("quantize/dequantize vs the brute-force oracle", () => {
  for (const f of FMTS) {
    it(`${f.name}: every block size and scale, sizes ${SIZES.join(",")}`, () => {
      let seed = 7;
      for (const B of f.blocks) {
        for (const fp16 of f.fp16 ? [false, true] : [false]) {
          const d = desc(f.id, B, fp16 ? 1 : 4);
          for (const n of SIZES) {
            const x = sample(n, seed++);
            if (n > 100) { x[n - 50] = NaN; x[5] = 3e38; x[6] = -1e-41; }
            const want = quantRef(f, B, fp16, x);
            const got = run(d, x);
            expect(Array.from(got.bytes)).toEqual(want.bytes);
            expect(got.ret).toBe(want.clipped);
            // decoding: value = f32(element · scale); accumulate adds in f32
            const y = decode(d, got.bytes, n);
            const S = fp16 ? 2 : 1, bb = S + (B * f.el.nb) / 8;
            const expectVals = new Float32Array(n);
            for (let i = 0; i < n; i++) {
              const blk = Math.floor(i / B), o = blk * bb;
              const sv = fp16 ? fp16Val(got.bytes[o]! | (got.bytes[o + 1]! << 8)) : e8m0Val(got.bytes[o]!);
              expectVals[i] = decRef(f.el, codeAt(got.bytes, o + S, i % B, B, f.el.nb)) * sv;
            }
            expect(f32Bits(y)).toEqual(f32Bits(expectVals));
            const acc = sample(n, seed++);
            const z = decode(d, got.bytes, n, acc);
            const wantAcc = new Float32Array(n);
            for (let i = 0; i < n; i++) wantAcc[i] = acc[i]! + expectVals[i]!;
            expect(f32Bits(z)).toEqual(f32Bits(wantAcc));
          }
        }
      }
    });
  }
  it("decoders accept every code and scale byte (random packed bytes, NaN/Inf codes included)", () => {
    const r = rng(5);
    for (const f of FMTS) {
      for (const B of f.blocks) {
        for (const fp16 of f.fp16 ? [false, true] : [false]) {
          const d = desc(f.id, B, fp16 ? 1 : 4);
          const n = B * 9 + 3;
          const bytes = new Uint8Array(k.exports.tw_bytes_for(d, n));
          for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(r() * 256);
          const S = fp16 ? 2 : 1, bb = S + (B * f.el.nb) / 8;
          bytes[0] = 0; bytes[bb] = 0xff; // the smallest scale and the NaN scale
          if (!fp16) bytes[2 * bb] = 254;
          const y = decode(d, bytes, n);
          for (let i = 0; i < n; i++) {
            const o = Math.floor(i / B) * bb;
            const sv = fp16 ? fp16Val(bytes[o]! | (bytes[o + 1]! << 8)) : e8m0Val(bytes[o]!);
            const want = Math.fround(decRef(f.el, codeAt(bytes, o + S, i % B, B, f.el.nb)) * sv);
            if (!(Object.is(y[i], want) || (Number.isNaN(y[i]) && Number.isNaN(want)))) {
              expect.fail(`${f.name} B=${B} fp16=${fp16} element ${i}: got ${y[i]}, want ${want}`);
            }
          }
        }
      }
    }
    // nvfp4: every UE4M3 code (0x7F/0xFF NaN, 0x80.. negative) and every E2M1 code
    const nb = new Uint8Array(4 + 9 * 16);
    new DataView(nb.buffer).setFloat32(0, 0.75, true);
    for (let i = 4; i < nb.length; i++) nb[i] = Math.floor(r() * 256);
    nb[4] = 0x7f; nb[13] = 0xff; nb[22] = 0x80; nb[31] = 0x01;
    const y = decode(desc(32, 16, 5), nb, 256);
    for (let i = 0; i < 256; i++) {
      const o = 4 + 9 * Math.floor(i / 16);
      const dd = Math.fround(decRef(E4M3, nb[o]!) * 0.75);
      const want = Math.fround(decRef(E2M1, codeAt(nb, o + 1, i % 16, 16, 4)) * dd);
      expect(Object.is(y[i], want) || (Number.isNaN(y[i]) && Number.isNaN(want))).toBe(true);
    }
  });
  it("stochastic rounding follows the hash of the global element index", () => {
    for (const f of FMTS) {
      for (const fp16 of f.fp16 ? [false, true] : [false]) {
        const B = f.blocks[0]!;
        const x = sample(300, 99);
        const d = desc(f.id, B, fp16 ? 1 : 4, true);
        const got = run(d, x, 0xdeadbeef);
        expect(Array.from(got.bytes)).toEqual(quantRef(f, B, fp16, x, true, 0xdeadbeef, 0).bytes);
      }
    }
  });
  it("stochastic rounding is unbiased on average", () => {
    // 0.3 in E2M1 with scale 1 (block amax 4): neighbours 0 and 0.5, P(0.5) = 0.6
    const n = 32 * 200;
    const x = new Float32Array(n);
    for (let i = 0; i < n; i++) x[i] = i % 32 === 0 ? 4 : 0.3;
    const d = desc(20, 32, 4, true);
    const y = decode(d, run(d, x, 1234).bytes, n);
    let s = 0;
    for (let i = 0; i < n; i++) if (i % 32) s += y[i]!;
    expect(Math.abs(s / (n - 200) - 0.3)).toBeLessThan(0.01);
  });
  it("values over the whole f32 range (subnormal blocks, huge blocks, mixed binades)", () => {
    const r = rng(11);
    const wide = (n: number, lo: number, hi: number) => {
      const x = new Float32Array(n);
      for (let i = 0; i < n; i++) x[i] = (r() < 0.5 ? -1 : 1) * 2 ** (lo + r() * (hi - lo)) * (r() < 0.05 ? 0 : 1);
      return x;
    };
    for (const [lo, hi] of [[-149, 128], [-149, -120], [100, 128], [-20, 20]] as const) {
      for (const f of FMTS) {
        for (const B of f.blocks) {
          for (const fp16 of f.fp16 ? [false, true] : [false]) {
            const x = wide(B * 8 + 5, lo, hi);
            expect(Array.from(run(desc(f.id, B, fp16 ? 1 : 4), x).bytes)).toEqual(quantRef(f, B, fp16, x).bytes);
          }
        }
      }
      const x = wide(16 * 12 + 5, lo, hi);
      expect(Array.from(run(desc(32, 16, 5), x).bytes)).toEqual(nvfp4Ref(x, false, 0));
      expect(Array.from(run(desc(32, 16, 5, true), x, 9).bytes)).toEqual(nvfp4Ref(x, true, 9));
    }
  });
  it("nvfp4 vs oracle (RNE and stochastic, sizes with partial blocks)", () => {
    let seed = 3;
    for (const stoch of [false, true]) {
      for (const n of SIZES) {
        const x = sample(n, seed++);
        if (n > 100) { x[n - 50] = NaN; x[60] = -Infinity; }
        const got = run(desc(32, 16, 5, stoch), x, 42);
        expect(Array.from(got.bytes)).toEqual(nvfp4Ref(x, stoch, 42));
        const y = decode(desc(32, 16, 5), got.bytes, n);
        const st = new Float32Array(got.bytes.slice(0, 4).buffer)[0]!;
        for (let i = 0; i < n; i++) {
          const o = 4 + 9 * Math.floor(i / 16);
          const dd = Math.fround(decRef(E4M3, got.bytes[o]!) * st);
          const want = Math.fround(decRef(E2M1, codeAt(got.bytes, o + 1, i % 16, 16, 4)) * dd);
          expect(Object.is(y[i], want) || (Number.isNaN(y[i]) && Number.isNaN(want))).toBe(true);
        }
      }
    }
  });
});

function fp16Val(h: number): number {
  const e = (h >> 10) & 31, m = h & 1023, s = h & 0x8000 ? -1 : 1;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (e ? 2 ** (e - 15) * (1 + m / 1024) : 2 ** -24 * m);
}
const e8m0Val = (x: number) => (x === 0xff ? NaN : 2 ** (x - 127));
function codeAt(bytes: Uint8Array, el: number, i: number, B: number, nb: number): number {
  if (nb === 8) return bytes[el + i]!;
  const half = B / 2;
  let c = i < half ? bytes[el + i]! & 0xf : bytes[el + i - half]! >> 4;
  if (nb === 5) c |= ((bytes[el + half + (i >> 3)]! >> (i & 7)) & 1) << 4;
  if (nb === 6) c |= ((bytes[el + half + (i % (B / 4))]! >> (2 * Math.floor(i / (B / 4)))) & 3) << 4;
  return c;
}
function nvfp4Ref(x: Float32Array, stoch: boolean, seed: number): number[] {
  let g = 0;
  for (const v of x) if (Number.isFinite(v)) g = Math.max(g, Math.abs(v));
  const st = Math.fround(g / 2688);
  const out = Array.from(new Uint8Array(new Float32Array([st]).buffer));
  for (let b0 = 0; b0 < x.length; b0 += 16) {
    const blk = Array.from({ length: 16 }, (_, i) => (b0 + i < x.length ? x[b0 + i]! : 0));
    const amax = Math.max(...blk.map(Math.abs));
    if (!Number.isFinite(amax)) { out.push(0x7f, ...new Array<number>(8).fill(0)); continue; }
    let code = 0;
    if (st !== 0) code = encRef(E4M3, Math.fround(amax / Math.fround(st * 6)));
    const d = Math.fround(decRef(E4M3, code) * st);
    const inv = d !== 0 ? Math.fround(1 / d) : 0;
    out.push(code);
    const codes = blk.map((xi, i) => {
      const v = Math.fround(xi * inv);
      return stoch ? encStochRef(E2M1, v, uniform(b0 + i, seed)) : encRef(E2M1, v);
    });
    out.push(...packRef(codes, 4));
  }
  return out;
}
