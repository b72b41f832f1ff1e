// Self-checks of the scalar reference (src/reference), independent of the wasm kernels:
// exhaustive element-code checks, hand-computed ggml blocks, measured error against the expected
// relative RMSE of each codec on N(0, 1) (README "Formats"), error bounds, and the edge-case policies
// of FORMATS.md.
import { describe, expect, it } from "vitest";
import { bytesFor, resolveCodec } from "../src/formats.js";
import type { CodecSpec, FormatName } from "../src/formats.js";
import {
  MINIFLOAT_KINDS, decodeBf16, decodeE8m0, decodeFp16, decodeMinifloat, e8m0ScaleOf, encodeBf16, encodeFp16,
  encodeMinifloat, encodeMinifloatStochastic, minifloatInfo, referenceDequantize, referenceDequantizeAccumulate,
  referenceQuantize, referenceReduceQuantize, stochasticUniform,
} from "../src/reference/index.js";
import type { MinifloatKind } from "../src/reference/index.js";
import {
  ADVERSARIAL_KINDS, adversarialBlock, allSpecs, elementGrid, makeRng, normals, specLabel, tiesTensor, withOutliers,
} from "./helpers/data.js";

const spec = (f: FormatName, o: Partial<CodecSpec> = {}): CodecSpec => resolveCodec(f, o);
const hex = (b: Uint8Array): string => Array.from(b, (v) => v.toString(16).padStart(2, "0")).join(" ");

// ---------------------------------------------------------------------------------------------
describe("minifloat element codes (exhaustive)", () => {
  const expected: Record<MinifloatKind, { bits: number; max: number; finite: number }> = {
    e2m1: { bits: 4, max: 6, finite: 8 }, e2m2: { bits: 5, max: 7, finite: 16 }, e3m1: { bits: 5, max: 24, finite: 16 },
    e2m3: { bits: 6, max: 7.5, finite: 32 }, e3m2: { bits: 6, max: 28, finite: 32 }, e4m3: { bits: 8, max: 448, finite: 127 },
    e5m2: { bits: 8, max: 57344, finite: 124 }, ue4m3: { bits: 8, max: 448, finite: 127 },
  };

  it("has the FORMATS.md widths, maxima and code counts", () => {
    for (const k of MINIFLOAT_KINDS) {
      const info = minifloatInfo(k);
      expect([info.bits, info.maxFinite, info.maxCode + 1], k).toEqual([expected[k].bits, expected[k].max, expected[k].finite]);
    }
    const e2m1 = Array.from({ length: 8 }, (_, c) => decodeMinifloat("e2m1", c));
    expect(e2m1).toEqual([0, 0.5, 1, 1.5, 2, 3, 4, 6]);
    expect(Array.from({ length: 8 }, (_, c) => decodeMinifloat("e2m1", c | 8))).toEqual([-0, -0.5, -1, -1.5, -2, -3, -4, -6]);
    // smallest subnormals: 2^(1-b)/2^M
    expect(decodeMinifloat("e4m3", 1)).toBe(2 ** -9);
    expect(decodeMinifloat("e5m2", 1)).toBe(2 ** -16);
    expect(decodeMinifloat("e3m2", 1)).toBe(2 ** -4);
    expect(decodeMinifloat("e2m3", 1)).toBe(2 ** -3);
    expect(decodeMinifloat("e3m1", 1)).toBe(2 ** -3);
  });

  it("decodes the special codes", () => {
    expect(decodeMinifloat("e4m3", 0x7f)).toBeNaN();
    expect(decodeMinifloat("e4m3", 0xff)).toBeNaN();
    expect(decodeMinifloat("e4m3", 0x7e)).toBe(448);
    expect(decodeMinifloat("e5m2", 0x7c)).toBe(Infinity);
    expect(decodeMinifloat("e5m2", 0xfc)).toBe(-Infinity);
    for (const c of [0x7d, 0x7e, 0x7f, 0xfd, 0xfe, 0xff]) expect(decodeMinifloat("e5m2", c)).toBeNaN();
    expect(decodeMinifloat("ue4m3", 0x7f)).toBeNaN();
    expect(decodeMinifloat("ue4m3", 0xff)).toBeNaN();
    expect(decodeMinifloat("ue4m3", 0x80 | 0x38)).toBe(-1); // never written; decodes as E4M3
  });

  for (const k of MINIFLOAT_KINDS) {
    it(`${k}: every non-NaN, non-Inf code round-trips; −0 keeps its code`, () => {
      const info = minifloatInfo(k);
      let checked = 0;
      for (let c = 0; c < 1 << info.bits; c++) {
        if (k === "ue4m3" && c >= 0x80) continue; // the unsigned scale has no negative codes
        const v = decodeMinifloat(k, c);
        if (!Number.isFinite(v)) continue;
        expect(encodeMinifloat(k, v), `${k} code ${c} value ${v}`).toBe(c);
        checked++;
      }
      expect(checked).toBe(k === "ue4m3" ? expected[k].finite : 2 * expected[k].finite);
      if (k !== "ue4m3") expect(encodeMinifloat(k, -0)).toBe(info.signBit);
      expect(encodeMinifloat(k, 0)).toBe(0);
    });

    it(`${k}: midpoints round to the even code, neighbours to the nearest, saturation above max`, () => {
      const info = minifloatInfo(k);
      const sign = k === "ue4m3" ? 0 : info.signBit;
      for (let c = 0; c < info.maxCode; c++) {
        const lo = decodeMinifloat(k, c);
        const hi = decodeMinifloat(k, c + 1);
        const mid = (lo + hi) / 2;
        expect(Math.fround(mid)).toBe(mid); // every midpoint is an f32
        const even = c % 2 === 0 ? c : c + 1;
        expect(encodeMinifloat(k, mid), `${k} tie ${lo}|${hi}`).toBe(even);
        if (k !== "ue4m3") expect(encodeMinifloat(k, -mid)).toBe(even | sign);
        const eps = (hi - lo) / 1024;
        expect(encodeMinifloat(k, mid - eps)).toBe(c);
        expect(encodeMinifloat(k, mid + eps)).toBe(c + 1);
        if (k !== "ue4m3") expect(encodeMinifloat(k, -(mid + eps))).toBe((c + 1) | sign);
      }
      // small negatives that round to zero give the negative-zero code
      if (k !== "ue4m3") expect(encodeMinifloat(k, -decodeMinifloat(k, 1) / 4)).toBe(sign);
      const max = info.maxCode;
      for (const v of [info.maxFinite * 1.0001, info.maxFinite * 1.2, info.maxFinite * 2, 3e38, Infinity]) {
        expect(encodeMinifloat(k, v), `${k} saturates ${v}`).toBe(max);
        if (k !== "ue4m3") expect(encodeMinifloat(k, -v)).toBe(max | sign);
      }
      expect(encodeMinifloat(k, NaN)).toBe(0);
    });
  }

  it("never emits NaN/Inf codes (OCP boundaries: E4M3 464/480, E5M2 61440/65536)", () => {
    expect(encodeMinifloat("e4m3", 464)).toBe(0x7e);
    expect(encodeMinifloat("e4m3", 480)).toBe(0x7e);
    expect(encodeMinifloat("e4m3", -1e6)).toBe(0xfe);
    expect(encodeMinifloat("e5m2", 61440)).toBe(0x7b);
    expect(encodeMinifloat("e5m2", 65536)).toBe(0x7b);
    const rng = makeRng(7);
    const bad: string[] = [];
    for (let t = 0; t < 20000; t++) {
      const v = (rng() - 0.5) * Math.pow(2, Math.floor(rng() * 60) - 20);
      for (const k of MINIFLOAT_KINDS) {
        const c = encodeMinifloat(k, v);
        if (!Number.isFinite(decodeMinifloat(k, c))) bad.push(`${k}(${v}) = ${c}`);
      }
    }
    expect(bad.slice(0, 10)).toEqual([]);
  });

  it("stochastic encoder picks a neighbour with probability proportional to distance", () => {
    // 1.25 lies between E2M1 1 and 1.5 with p = 0.5; 1.125 with p = 0.25
    expect(encodeMinifloatStochastic("e2m1", 1.25, 0.49)).toBe(3);
    expect(encodeMinifloatStochastic("e2m1", 1.25, 0.5)).toBe(2);
    expect(encodeMinifloatStochastic("e2m1", -1.125, 0.2)).toBe(3 | 8);
    expect(encodeMinifloatStochastic("e2m1", -1.125, 0.25)).toBe(2 | 8);
    expect(encodeMinifloatStochastic("e2m1", 1.5, 0)).toBe(3); // representable: p = 0
    expect(encodeMinifloatStochastic("e2m1", 7, 0)).toBe(7); // saturates
    expect(encodeMinifloatStochastic("e4m3", -0, 0.9)).toBe(0x80);
  });
});

// ---------------------------------------------------------------------------------------------
describe("fp16 / bf16 / e8m0 / hash", () => {
  it("fp16: all 65536 codes decode→encode to themselves (NaN → 0x7E00), known values", () => {
    let prev = -1;
    const bad: string[] = [];
    for (let c = 0; c < 65536; c++) {
      const v = decodeFp16(c);
      if (Number.isNaN(v)) {
        if (encodeFp16(v) !== 0x7e00) bad.push(`NaN code ${c}`);
        continue;
      }
      if (encodeFp16(v) !== c) bad.push(`code ${c} → ${v} → ${encodeFp16(v)}`);
      if (c > 0 && c < 0x7c00) { // positive finite codes are strictly increasing
        if (!(v > prev)) bad.push(`not increasing at ${c}`);
        prev = v;
      }
    }
    expect(bad.slice(0, 10)).toEqual([]);
    expect(decodeFp16(0x7bff)).toBe(65504);
    expect(decodeFp16(0x0001)).toBe(2 ** -24);
    expect(decodeFp16(0x0400)).toBe(2 ** -14);
    expect(decodeFp16(0x3555)).toBe(0.333251953125);
    expect(decodeFp16(0xc000)).toBe(-2);
    expect(decodeFp16(0x7c00)).toBe(Infinity);
  });

  it("fp16: every midpoint ties to even, overflow at 65520, against a table search", () => {
    const pos: number[] = [];
    for (let c = 0; c < 0x7c00; c++) pos.push(decodeFp16(c));
    const bad: string[] = [];
    for (let c = 0; c + 1 < pos.length; c++) {
      const mid = (pos[c]! + pos[c + 1]!) / 2;
      const even = c % 2 === 0 ? c : c + 1;
      const got = [encodeFp16(mid), encodeFp16(-mid), encodeFp16(Math.fround(mid * (1 - 2 ** -20))), encodeFp16(Math.fround(mid * (1 + 2 ** -20)))];
      const want = [even, even | 0x8000, c, c + 1];
      if (got.join() !== want.join()) bad.push(`midpoint after code ${c}: ${got.join()} vs ${want.join()}`);
    }
    expect(bad.slice(0, 10)).toEqual([]);
    expect(encodeFp16(65519.99)).toBe(0x7bff);
    expect(encodeFp16(65520)).toBe(0x7c00);
    expect(encodeFp16(-1e9)).toBe(0xfc00);
    expect(encodeFp16(2 ** -25)).toBe(0); // tie between 0 and the smallest subnormal → even (0)
    expect(encodeFp16(Math.fround(2 ** -25 * 1.001))).toBe(1);
    expect(encodeFp16(-0)).toBe(0x8000);
    // random f32 values against a brute-force nearest search over the sorted table
    const rng = makeRng(11);
    const bad2: string[] = [];
    for (let t = 0; t < 20000; t++) {
      const v = Math.fround(rng() * Math.pow(2, Math.floor(rng() * 44) - 28));
      let lo = 0, hi = pos.length - 1;
      if (v >= 65520) continue;
      while (hi - lo > 1) { const m = (lo + hi) >> 1; if (pos[m]! <= v) lo = m; else hi = m; }
      const dl = v - pos[lo]!, dh = pos[hi]! - v;
      const want = v >= pos[pos.length - 1]! ? (v - pos[pos.length - 1]! < 16 ? pos.length - 1 : 0x7c00)
        : dl < dh ? lo : dh < dl ? hi : lo % 2 === 0 ? lo : hi;
      if (encodeFp16(v) !== want) bad2.push(`fp16(${v}) = ${encodeFp16(v)}, want ${want}`);
    }
    expect(bad2.slice(0, 10)).toEqual([]);
  });

  it("bf16: decode equals the f32 with those top bits; encode equals the bit-trick RNE on random and edge f32s", () => {
    const f = new Float32Array(1);
    const u = new Uint32Array(f.buffer);
    const bad: string[] = [];
    for (let c = 0; c < 65536; c++) {
      u[0] = c << 16;
      const want = f[0]!;
      const got = decodeBf16(c);
      if (Number.isNaN(want) ? !Number.isNaN(got) : !Object.is(got, want)) bad.push(`decode ${c}`);
    }
    const rng = makeRng(12);
    const check = (bits: number): void => {
      u[0] = bits >>> 0;
      const v = f[0]!;
      if (Number.isNaN(v)) return;
      const want = ((bits >>> 0) + 0x7fff + ((bits >>> 16) & 1)) >>> 16; // classic RNE bit trick
      if (encodeBf16(v) !== want) bad.push(`bf16(${v}) bits ${(bits >>> 0).toString(16)}: ${encodeBf16(v)} vs ${want}`);
    };
    for (let t = 0; t < 200000; t++) check(Math.floor(rng() * 2 ** 32));
    for (let hi = 0; hi < 65536; hi += 1) { check((hi << 16) | 0x8000); check((hi << 16) | 0x7fff); check((hi << 16) | 0x8001); }
    expect(bad.slice(0, 10)).toEqual([]);
    expect(encodeBf16(NaN)).toBe(0x7fc0);
  });

  it("e8m0: exponent field of amax minus emax, clamped at 0; 0xFF = NaN", () => {
    expect(e8m0ScaleOf(1, 2)).toBe(125);
    expect(e8m0ScaleOf(7.99, 2)).toBe(127);
    expect(e8m0ScaleOf(8, 2)).toBe(128);
    expect(e8m0ScaleOf(0, 2)).toBe(0);
    expect(e8m0ScaleOf(2 ** -127, 0)).toBe(0); // subnormal amax: E = 0
    expect(e8m0ScaleOf(2 ** -126, 0)).toBe(1);
    expect(e8m0ScaleOf(2 ** -126, 8)).toBe(0);
    expect(e8m0ScaleOf(3.4028234663852886e38, 0)).toBe(254);
    expect(decodeE8m0(127)).toBe(1);
    expect(decodeE8m0(0)).toBe(2 ** -127);
    expect(decodeE8m0(254)).toBe(2 ** 127);
    expect(decodeE8m0(255)).toBeNaN();
  });

  it("stochastic hash matches a BigInt transcription of FORMATS.md", () => {
    const M = (1n << 32n) - 1n;
    const ref = (i: number, seed: number): number => {
      let h = (BigInt(i) * 0x9e3779b9n + BigInt(seed)) & M;
      h ^= h >> 16n; h = (h * 0x7feb352dn) & M; h ^= h >> 15n; h = (h * 0x846ca68bn) & M; h ^= h >> 16n;
      return Number(h >> 8n) / 2 ** 24;
    };
    const rng = makeRng(3);
    for (let t = 0; t < 2000; t++) {
      const i = Math.floor(rng() * 2 ** 32), seed = Math.floor(rng() * 2 ** 32);
      expect(stochasticUniform(i, seed)).toBe(ref(i, seed));
    }
    expect(stochasticUniform(0, 0)).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------
describe("ggml Q8_0 / Q4_0 hand-computed blocks", () => {
  it("Q8_0: x = 0..31, a single negative max, roundf ties, all zeros", () => {
    const x = new Float32Array(4 * 32);
    for (let j = 0; j < 32; j++) x[j] = j;
    x[32 + 5] = -2.5; x[32 + 9] = 1; x[32 + 20] = -0.3;
    x[64] = 127; x[65] = 2.5; x[66] = -2.5; x[67] = 0.5; x[68] = -0.5; x[69] = 126.5;
    const { bytes, clipped } = referenceQuantize(spec("q8_0"), x);
    expect(clipped).toBe(0);
    expect(bytes.length).toBe(4 * 34);
    // block 0: d = 31/127 = 0.24409…, fp16 = 0x33D0 (2^-3·(1 + 976/1024)); q_j = round(j·127/31)
    const q0 = [0, 4, 8, 12, 16, 20, 25, 29, 33, 37, 41, 45, 49, 53, 57, 61, 66, 70, 74, 78, 82, 86, 90, 94, 98, 102, 107, 111, 115, 119, 123, 127];
    expect(hex(bytes.subarray(0, 34))).toBe(hex(Uint8Array.from([0xd0, 0x33, ...q0])));
    // block 1: d = 2.5/127 = 0.019685 → fp16 0x250A (2^-6·(1 + 266/1024)); −2.5 → −127, 1 → 51 (50.8), −0.3 → −15
    const q1 = new Array<number>(32).fill(0);
    q1[5] = 0x81; q1[9] = 51; q1[20] = 0xf1;
    expect(hex(bytes.subarray(34, 68))).toBe(hex(Uint8Array.from([0x0a, 0x25, ...q1])));
    // block 2: d = 1 (0x3C00); roundf is half away from zero: 2.5 → 3, −2.5 → −3, ±0.5 → ±1, 126.5 → 127
    const q2 = new Array<number>(32).fill(0);
    q2[0] = 127; q2[1] = 3; q2[2] = 0xfd; q2[3] = 1; q2[4] = 0xff; q2[5] = 127;
    expect(hex(bytes.subarray(68, 102))).toBe(hex(Uint8Array.from([0x00, 0x3c, ...q2])));
    // block 3: all zeros → d = 0, codes 0
    expect(hex(bytes.subarray(102))).toBe(hex(new Uint8Array(34)));
    const y = referenceDequantize(spec("q8_0"), bytes, x.length);
    expect(y[1]).toBe(Math.fround(4 * decodeFp16(0x33d0)));
    expect(y[64 + 1]).toBe(3);
    expect(Array.from(y.subarray(96))).toEqual(new Array(32).fill(0));
  });

  it("Q4_0: x = 0..31, a single negative max, a positive max with a later tie, all zeros", () => {
    const x = new Float32Array(4 * 32);
    for (let j = 0; j < 32; j++) x[j] = j;
    x[32 + 3] = -4; x[32 + 10] = 3; x[32 + 17] = -1;
    x[64 + 2] = 4; x[64 + 7] = -4; x[64 + 20] = 1.25;
    const { bytes, clipped } = referenceQuantize(spec("q4_0"), x);
    expect(clipped).toBe(0);
    expect(bytes.length).toBe(4 * 18);
    // block 0: m = 31, d = −3.875 (fp16 0xC3C0); q = trunc(j/−3.875 + 8.5):
    // 8 8 7 7 7 7 6 6 6 6 5 5 5 5 4 4 | 4 4 3 3 3 3 2 2 2 2 1 1 1 1 0 0 → byte j = q_j | q_{j+16} << 4
    expect(hex(bytes.subarray(0, 18))).toBe(hex(Uint8Array.from([
      0xc0, 0xc3, 0x48, 0x48, 0x37, 0x37, 0x37, 0x37, 0x26, 0x26, 0x26, 0x26, 0x15, 0x15, 0x15, 0x15, 0x04, 0x04,
    ])));
    // block 1: m = −4, d = 0.5 (0x3800), id = 2: −4 → 0, 3 → 14, −1 → 6, zeros → 8
    const b1 = new Array<number>(16).fill(0x88);
    b1[3] = 0x80; b1[10] = 0x8e; b1[1] = 0x68;
    expect(hex(bytes.subarray(18, 36))).toBe(hex(Uint8Array.from([0x00, 0x38, ...b1])));
    // block 2: m = +4 (first of ±4), d = −0.5 (0xB800), id = −2: 4 → 0, −4 → min(15, 16) = 15, 1.25 → 6 (trunc 6), zeros → 8
    const b2 = new Array<number>(16).fill(0x88);
    b2[2] = 0x80; b2[7] = 0x8f; b2[4] = 0x68;
    expect(hex(bytes.subarray(36, 54))).toBe(hex(Uint8Array.from([0x00, 0xb8, ...b2])));
    // block 3: all zeros → m = +0, d = −0 (0x8000), codes 8 (ggml writes the same)
    expect(hex(bytes.subarray(54))).toBe(hex(Uint8Array.from([0x00, 0x80, ...new Array<number>(16).fill(0x88)])));
    const y = referenceDequantize(spec("q4_0"), bytes, x.length);
    expect(y[64 + 7]).toBe(-3.5); // (15 − 8)·(−0.5)
    expect(y[32 + 3]).toBe(-4);
    expect(Object.is(y[96], -0)).toBe(true); // (8 − 8)·(−0)
  });
});

// ---------------------------------------------------------------------------------------------
describe("element field layouts (FORMATS.md section 2)", () => {
  // Quantize blocks whose codes are known (MX scale exactly 1), then read the codes back from the
  // bytes with a direct transcription of the layout text.
  const cases: Array<[FormatName, MinifloatKind, number]> = [
    ["fp4-e2m1", "e2m1", 4], ["fp5-e2m2", "e2m2", 5], ["fp5-e3m1", "e3m1", 5], ["mxfp6-e2m3", "e2m3", 6], ["mxfp6-e3m2", "e3m2", 6],
  ];
  for (const [fmt, kind, bits] of cases) {
    for (const B of fmt.startsWith("mx") ? [32] : [8, 16, 32, 64, 128]) {
      it(`${fmt} B=${B}`, () => {
        const info = minifloatInfo(kind);
        const rng = makeRng(B + bits);
        const codes = Array.from({ length: B }, () => Math.floor(rng() * (1 << bits)));
        codes[0] = info.maxCode; // amax = max finite → E8M0 scale exactly 1
        const x = Float32Array.from(codes, (c) => decodeMinifloat(kind, c));
        const s = spec(fmt, { block: B, scale: "e8m0" });
        const { bytes } = referenceQuantize(s, x);
        expect(bytes[0]).toBe(127); // amax = max finite: E = 127 + emax, X = E − emax
        const el = bytes.subarray(1);
        const read: number[] = [];
        for (let i = 0; i < B; i++) {
          const nib = i < B / 2 ? el[i]! & 0xf : el[i - B / 2]! >> 4;
          let hiBits = 0;
          if (bits === 5) hiBits = (el[B / 2 + (i >> 3)]! >> (i & 7)) & 1;
          if (bits === 6) hiBits = (el[B / 2 + (i % (B / 4))]! >> (2 * Math.floor(i / (B / 4)))) & 3;
          read.push(nib | (hiBits << 4));
        }
        expect(read).toEqual(codes);
        expect(bytes.length).toBe(1 + (B * bits) / 8);
        const y = referenceDequantize(s, bytes, B);
        expect(Array.from(y)).toEqual(Array.from(x));
      });
    }
  }
});

// ---------------------------------------------------------------------------------------------
const relRmse = (x: Float32Array, y: Float32Array): number => {
  let e = 0, p = 0;
  for (let i = 0; i < x.length; i++) { const d = x[i]! - y[i]!; e += d * d; p += x[i]! * x[i]!; }
  return Math.sqrt(e / p);
};

describe("relative RMSE on N(0,1), block 32 (the expected figures of README \"Formats\", ±3%)", () => {
  const N = 1 << 18;
  const x = normals(N, 2024);
  const targets: Array<[string, CodecSpec, number, number]> = [
    ["INT8 amax/127", spec("int8"), 0.0054, 0.0054],
    ["MXFP8 E4M3", spec("mxfp8-e4m3"), 0.029, 0.029],
    ["MXFP6 E2M3", spec("mxfp6-e2m3"), 0.028, 0.028],
    ["MXFP6 E3M2", spec("mxfp6-e3m2"), 0.054, 0.054],
    ["FP5 E2M2+FP16", spec("fp5-e2m2", { scale: "fp16" }), 0.049, 0.049],
    ["FP5 E2M2+E8M0", spec("fp5-e2m2", { scale: "e8m0" }), 0.057, 0.057],
    ["E3M1+FP16", spec("fp5-e3m1", { scale: "fp16" }), 0.097, 0.097],
    ["E2M1+FP16", spec("fp4-e2m1", { scale: "fp16" }), 0.101, 0.101],
    ["MXFP4", spec("mxfp4"), 0.115, 0.115],
    ["NVFP4", spec("nvfp4"), 0.095, 0.1],
    ["INT4 amax/7", spec("int4"), 0.097, 0.097],
    ["Q4_0", spec("q4_0"), 0.086, 0.086],
  ];
  for (const [name, s, lo, hi] of targets) {
    it(`${name}: ${lo === hi ? lo : `${lo}–${hi}`}`, () => {
      const y = referenceDequantize(s, referenceQuantize(s, x).bytes, N);
      const r = relRmse(x, y);
      expect(r).toBeGreaterThanOrEqual(lo * 0.97);
      expect(r).toBeLessThanOrEqual(hi * 1.03);
    });
  }

  it("stochastic rounding has about √2 times the RMSE of RNE (int8, mxfp4)", () => {
    for (const f of ["int8", "mxfp4"] as const) {
      const rne = relRmse(x, referenceDequantize(spec(f), referenceQuantize(spec(f), x).bytes, N));
      const sr = spec(f, { rounding: "stochastic" });
      const st = relRmse(x, referenceDequantize(sr, referenceQuantize(sr, x, 99).bytes, N));
      expect(st / rne).toBeGreaterThan(1.3);
      expect(st / rne).toBeLessThan(1.5);
    }
  });
});

// ---------------------------------------------------------------------------------------------
describe("worst-case |error| / block amax (closed-form bounds per element grid)", () => {
  // bounds with an exact (fp16) scale get 2^-10 relative slack for the fp16 rounding of the scale;
  // ggml q8_0/q4_0 compute codes with the f32 d but decode with fp16(d): + 2^-11 of amax
  const fp16Slack = 1 + 2 ** -10;
  const bounds: Array<[CodecSpec, number]> = [
    [spec("int8"), fp16Slack / 254], [spec("q8_0"), 1 / 254 + 2 ** -11], [spec("int8", { scale: "f32" }), (1 + 2 ** -20) / 254],
    [spec("int8", { scale: "bf16" }), (1 + 2 ** -7) / 254],
    [spec("int4"), fp16Slack / 14], [spec("q4_0"), 0.125 + 2 ** -11],
    [spec("fp4-e2m1", { scale: "fp16" }), fp16Slack / 6], [spec("mxfp4"), 0.25], [spec("fp4-e2m1", { scale: "e8m0", block: 8 }), 0.25],
    [spec("fp5-e2m2", { scale: "fp16" }), fp16Slack / 14], [spec("fp5-e2m2"), 1 / 8],
    [spec("fp5-e3m1", { scale: "fp16" }), fp16Slack / 6], [spec("fp5-e3m1"), 1 / 4],
    [spec("mxfp6-e2m3"), 1 / 16], [spec("mxfp6-e3m2"), 1 / 8], [spec("mxfp8-e4m3"), 1 / 8], [spec("mxfp8-e5m2"), 1 / 8],
    [spec("mxint8"), 1 / 128], [spec("nvfp4"), (1 / 6) * (1 + 1 / 16) * fp16Slack],
  ];
  // relevant adversarial kinds: finite blocks inside the normal range of every scale kind
  const kinds = ["ties", "saturation", "constant", "single-spike", "wide-exponents"] as const;
  const qmaxOf = (s: CodecSpec): number => s.format === "q4_0" ? 8 : s.format === "int4" ? 7 : s.format.startsWith("fp4") ? 6
    : s.format === "fp5-e2m2" ? 7 : s.format === "fp5-e3m1" ? 24 : 127;
  for (const [s, bound] of bounds) {
    it(`${specLabel(s)} ≤ ${bound.toPrecision(4)}`, () => {
      const B = s.block;
      const rng = makeRng(5);
      const parts: Float32Array[] = [normals(B * 512, 77), withOutliers(B * 512, 78)];
      const adv = new Float32Array(B * kinds.length * 40);
      for (let t = 0; t < 40; t++) {
        kinds.forEach((k, i) => adv.set(adversarialBlock(s, k, B, rng), (t * kinds.length + i) * B));
      }
      parts.push(adv);
      let worst = 0;
      for (const x of parts) {
        const y = referenceDequantize(s, referenceQuantize(s, x).bytes, x.length);
        for (let b = 0; b < x.length; b += B) {
          let amax = 0;
          for (let j = 0; j < B; j++) amax = Math.max(amax, Math.abs(x[b + j]!));
          if (amax === 0) continue;
          // an FP16 scale only has its relative precision in the fp16 normal range (and overflows above)
          if (s.scale === "fp16" && !(amax / qmaxOf(s) >= 2 ** -14 && amax / qmaxOf(s) <= 65504)) continue;
          if (s.format === "nvfp4" && amax < 1e-3 * maxAbs(x)) continue; // UE4M3 scale in its subnormal range
          for (let j = 0; j < B; j++) worst = Math.max(worst, Math.abs(x[b + j]! - y[b + j]!) / amax);
        }
      }
      expect(worst).toBeLessThanOrEqual(bound);
      expect(worst).toBeGreaterThan(bound * 0.5); // the adversarial blocks do approach the bound
    });
  }
});

function maxAbs(x: Float32Array): number {
  let m = 0;
  for (const v of x) if (Number.isFinite(v)) m = Math.max(m, Math.abs(v));
  return m;
}

// ---------------------------------------------------------------------------------------------
describe("edge-case policies for every codec", () => {
  const specs = allSpecs();
  const nanScale: Record<string, number[]> = {
    fp16: [0x00, 0x7e], bf16: [0xc0, 0x7f], f32: [0x00, 0x00, 0xc0, 0x7f], e8m0: [0xff], ue4m3: [0x7f],
  };

  it("a NaN or ±Inf makes its block a NaN scale with zero codes and decodes to NaN; other blocks unaffected", () => {
    for (const s of specs) {
      if (s.block === 0) continue;
      const B = s.block;
      const header = s.format === "nvfp4" ? 4 : 0;
      const bb = (bytesFor(s, 3 * B) - header) / 3;
      for (const bad of [NaN, Infinity, -Infinity]) {
        const x = normals(3 * B, 1);
        const clean = referenceQuantize(s, x, 5).bytes;
        x[B + 3] = bad;
        const { bytes } = referenceQuantize(s, x, 5);
        const blk = bytes.subarray(header + bb, header + 2 * bb);
        const sb = nanScale[s.scale]!;
        expect(Array.from(blk.subarray(0, sb.length)), specLabel(s)).toEqual(sb);
        expect(blk.subarray(sb.length).every((v) => v === 0), specLabel(s)).toBe(true);
        expect(hex(bytes.subarray(header, header + bb))).toBe(hex(clean.subarray(header, header + bb)));
        expect(hex(bytes.subarray(header + 2 * bb))).toBe(hex(clean.subarray(header + 2 * bb)));
        const y = referenceDequantize(s, bytes, 3 * B);
        for (let j = 0; j < B; j++) expect(y[B + j]).toBeNaN();
        expect(y.subarray(0, B).every(Number.isFinite)).toBe(true);
      }
    }
  });

  it("all-zero blocks decode to zeros; ±0 inputs never produce non-zero output", () => {
    for (const s of specs) {
      const B = s.block || 32;
      const x = new Float32Array(3 * B);
      for (let i = B; i < 2 * B; i++) x[i] = i % 2 ? -0 : 0;
      const { bytes, clipped } = referenceQuantize(s, x, 9);
      expect(clipped).toBe(0);
      const y = referenceDequantize(s, bytes, x.length);
      expect(y.every((v) => v === 0), specLabel(s)).toBe(true);
    }
  });

  it("fp16 scale overflow is counted as clipped, stores 65504 and never decodes to Inf", () => {
    for (const s of specs) {
      if (s.scale !== "fp16") continue;
      const B = s.block;
      const x = normals(3 * B, 4);
      const huge = s.format === "int8" || s.format === "q8_0" ? 1e7 : 1e6; // amax/qmax ≥ 65520
      for (let j = 0; j < B; j++) x[B + j] = x[B + j]! * huge;
      x[B + 1] = -40 * huge;
      const { bytes, clipped } = referenceQuantize(s, x, 3);
      expect(clipped, specLabel(s)).toBe(1);
      const bb = bytes.length / 3;
      const h = bytes[bb]! | (bytes[bb + 1]! << 8);
      expect(h & 0x7fff).toBe(0x7bff);
      const y = referenceDequantize(s, bytes, x.length);
      expect(y.every(Number.isFinite)).toBe(true);
      expect(Math.abs(y[B + 1]!)).toBeGreaterThan(60000);
      // exactly at the boundary: d = 65504 is fine, d rounding to 65520 overflows
      const qmax = s.format === "int8" || s.format === "q8_0" ? 127 : s.format === "int4" ? 7
        : s.format === "q4_0" ? 8 : minifloatInfo(s.format === "fp5-e3m1" ? "e3m1" : s.format === "fp5-e2m2" ? "e2m2" : "e2m1").maxFinite;
      const edge = new Float32Array(B);
      edge[0] = s.format === "q4_0" ? -65504 * 8 : 65504 * qmax;
      expect(referenceQuantize(s, edge).clipped, `${specLabel(s)} at 65504`).toBe(0);
      edge[0] = s.format === "q4_0" ? -65520 * 8 : 65520 * qmax;
      expect(referenceQuantize(s, edge).clipped, `${specLabel(s)} at 65520`).toBe(1);
    }
  });

  it("sizes 0, 1, B−1, B, B+1, odd, large: bytesFor, padding with +0 and exactly n outputs", () => {
    for (const s of specs) {
      const B = s.block || 32;
      for (const n of [0, 1, B - 1, B, B + 1, 3 * B + 7, 1001, 4099]) {
        const x = normals(n, n + 1);
        const { bytes } = referenceQuantize(s, x, 17);
        expect(bytes.length).toBe(bytesFor(s, n));
        const padded = new Float32Array(Math.ceil(n / B) * B);
        padded.set(x);
        const full = referenceQuantize(s, padded, 17).bytes;
        expect(hex(bytes), `${specLabel(s)} n=${n}`).toBe(hex(full.subarray(0, bytes.length)));
        const y = referenceDequantize(s, bytes, n);
        expect(y.length).toBe(n);
        const yp = referenceDequantize(s, full, padded.length);
        expect(Array.from(y)).toEqual(Array.from(yp.subarray(0, n)));
      }
    }
  });

  it("casts: fp16/bf16 NaN keeps its sign, overflow to ±Inf, f32 copies bits", () => {
    const x = new Float32Array([NaN, -NaN, 1e6, -1e6, 65520, 65519, -0, 1.5]);
    const bits = new Uint32Array(x.buffer);
    bits[1] = 0xffc00001; // negative NaN with a payload
    const h = referenceQuantize(spec("fp16"), x).bytes;
    const u16 = (b: Uint8Array, i: number): number => b[2 * i]! | (b[2 * i + 1]! << 8);
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((i) => u16(h, i))).toEqual([0x7e00, 0xfe00, 0x7c00, 0xfc00, 0x7c00, 0x7bff, 0x8000, 0x3e00]);
    const b = referenceQuantize(spec("bf16"), x).bytes;
    expect([0, 1, 6, 7].map((i) => u16(b, i))).toEqual([0x7fc0, 0xffc0, 0x8000, 0x3fc0]);
    const f = referenceQuantize(spec("f32"), x).bytes;
    expect(hex(f)).toBe(hex(new Uint8Array(x.buffer)));
    const y = referenceDequantize(spec("f32"), f, x.length);
    expect(new Uint32Array(y.buffer)[1]).toBe(0xffc00001);
  });

  it("dequantizeAccumulate adds in f32 and reduceQuantize quantizes the index-order sum", () => {
    for (const s of [spec("int8"), spec("mxfp4", { rounding: "stochastic" }), spec("nvfp4"), spec("bf16"), spec("fp5-e3m1", { block: 16, scale: "fp16" })]) {
      const n = 1000;
      const ins = [1, 2, 3].map((k) => referenceQuantize(s, normals(n, 40 + k), k).bytes);
      const dst = normals(n, 50);
      const before = Float32Array.from(dst);
      referenceDequantizeAccumulate(s, ins[0]!, n, dst);
      const d0 = referenceDequantize(s, ins[0]!, n);
      for (let i = 0; i < n; i++) expect(dst[i]).toBe(Math.fround(before[i]! + d0[i]!));
      const sum = referenceDequantize(s, ins[0]!, n);
      const d1 = referenceDequantize(s, ins[1]!, n), d2 = referenceDequantize(s, ins[2]!, n);
      for (let i = 0; i < n; i++) sum[i] = Math.fround(Math.fround(sum[i]! + d1[i]!) + d2[i]!);
      const want = referenceQuantize(s, sum, 7);
      const got = referenceReduceQuantize(s, ins, n, 7);
      expect(hex(got.bytes)).toBe(hex(want.bytes));
      expect(got.clipped).toBe(want.clipped);
    }
  });

  it("exact ties go to the even code (q8_0: away from zero, q4_0: upwards) in every block codec", () => {
    for (const s of specs) {
      if (s.rounding !== "rne" || s.block === 0) continue;
      const B = s.block;
      const g = elementGrid(s.format);
      const x = tiesTensor(s, 6 * B, 8);
      const y = referenceDequantize(s, referenceQuantize(s, x).bytes, x.length);
      const bad: string[] = [];
      let checked = 0;
      for (let b = s.format === "nvfp4" ? B : 0; b < x.length; b += B) {
        const scale = Math.abs(x[b]!) / g.max; // tiesBlock puts ±max·2^k first
        for (let j = 1; j < B; j++) {
          const v = x[b + j]! / scale;
          const m = Math.abs(v);
          const idx = g.mids.indexOf(m);
          if (idx < 0) continue; // the q4_0 "first one wins" tie element
          checked++;
          let want: number;
          if (s.format === "q8_0") want = Math.sign(v) * g.values[idx + 1]!;
          else if (s.format === "q4_0") want = Math.min(v + 0.5, 7);
          else want = Math.sign(v) * (idx % 2 === 0 ? g.values[idx]! : g.values[idx + 1]!);
          if (y[b + j] !== Math.fround(want * scale)) bad.push(`${specLabel(s)} x=${x[b + j]} → ${y[b + j]}, want ${want * scale}`);
        }
      }
      expect(bad.slice(0, 5)).toEqual([]);
      expect(checked).toBeGreaterThan(4 * (B - 2));
    }
  });
});

// ---------------------------------------------------------------------------------------------
describe("stochastic rounding", () => {
  const sr = allSpecs().filter((s) => s.rounding === "stochastic" && s.block === 32);

  it("is deterministic for a seed and changes with the seed", () => {
    for (const s of sr) {
      const x = normals(4096, 21);
      const a = referenceQuantize(s, x, 1234).bytes;
      expect(hex(referenceQuantize(s, x, 1234).bytes)).toBe(hex(a));
      expect(hex(referenceQuantize(s, x, 1235).bytes)).not.toBe(hex(a));
    }
  });

  it("is unbiased: the mean decoded value over many seeds equals the input", () => {
    for (const s of sr) {
      // a block with its amax fixed at element 0 and the probe value z everywhere else, so the
      // scale is the same for every seed; z sits between two grid points
      const B = s.block;
      const x = new Float32Array(B);
      x[0] = 7.3;
      const probes = [0.337, -1.61, 2.9];
      for (let j = 1; j < B; j++) x[j] = probes[j % 3]!;
      const seeds = 400;
      const sums = new Float64Array(B);
      const sq = new Float64Array(B);
      for (let seed = 0; seed < seeds; seed++) {
        const y = referenceDequantize(s, referenceQuantize(s, x, seed * 7919 + 1).bytes, B);
        for (let j = 0; j < B; j++) { const e = y[j]! - x[j]!; sums[j] += e; sq[j] += e * e; }
      }
      // pool elements that share a probe value: 10 elements × 400 seeds each
      for (let p = 0; p < 3; p++) {
        let m = 0, v = 0, c = 0;
        for (let j = 1; j < B; j++) if (j % 3 === p) { m += sums[j]!; v += sq[j]!; c += seeds; }
        const mean = m / c;
        const sd = Math.sqrt(Math.max(v / c - mean * mean, 1e-30));
        expect(Math.abs(mean), `${specLabel(s)} probe ${probes[p]}: mean ${mean}, sd ${sd}`).toBeLessThan(5 * sd / Math.sqrt(c) + 1e-6);
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------
describe("adversarial tensors for every codec", () => {
  it("quantize without throwing, decode to the right length; nothing but FP16 overflow is clipped", () => {
    for (const s of allSpecs()) {
      for (const k of ADVERSARIAL_KINDS) {
        const B = s.block || 32;
        const x = Float32Array.from(adversarialBlock(s, k, B, makeRng(k.length)));
        const { bytes, clipped } = referenceQuantize(s, x, 1);
        if (s.scale !== "fp16") expect(clipped).toBe(0);
        expect(referenceDequantize(s, bytes, B).length).toBe(B);
      }
    }
  });
});
