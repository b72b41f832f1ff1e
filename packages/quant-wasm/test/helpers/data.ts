// Shared, seeded test-data generators for the quant-wasm tests (reference self-checks, kernel
// comparisons, benchmarks). Everything is deterministic for a given seed.
import { FORMATS, resolveCodec } from "../../src/formats.js";
import type { CodecSpec, FormatName } from "../../src/formats.js";
import { minifloatInfo } from "../../src/reference/index.js";
import type { MinifloatKind } from "../../src/reference/index.js";

// The PRNG and the plain generators live in the package's ./testing subpath (one copy for every
// test and benchmark of quant-wasm and collectives); this file adds the format-aware ones.
import { makeRng, randInt } from "../../src/testing.js";
export { makeRng, randInt, normals, withOutliers } from "../../src/testing.js";

/** Element grid of a format: the value of the largest element code and the ties (midpoints) between codes. */
interface ElementGrid {
  /** Largest representable element magnitude (what amax maps to when the scale is exact). */
  readonly max: number;
  /** Midpoints between adjacent representable element magnitudes (all ≤ max). */
  readonly mids: readonly number[];
  /** Representable magnitudes. */
  readonly values: readonly number[];
}

const ELEMENT: Partial<Record<FormatName, MinifloatKind>> = {
  "mxfp8-e4m3": "e4m3", "mxfp8-e5m2": "e5m2", "mxfp6-e2m3": "e2m3", "mxfp6-e3m2": "e3m2",
  mxfp4: "e2m1", "fp5-e2m2": "e2m2", "fp5-e3m1": "e3m1", "fp4-e2m1": "e2m1", nvfp4: "e2m1",
};

/** The element grid of a block format (integer formats: integers; mxint8: c/64). */
export function elementGrid(format: FormatName): ElementGrid {
  const kind = ELEMENT[format];
  if (kind) {
    const mags = Array.from(minifloatInfo(kind).mags);
    return { max: mags[mags.length - 1]!, values: mags, mids: mags.slice(1).map((v, i) => (v + mags[i]!) / 2) };
  }
  const q = format === "int4" ? 7 : format === "q4_0" ? 8 : 127;
  const div = format === "mxint8" ? 64 : 1;
  const values = Array.from({ length: q + 1 }, (_, i) => i / div);
  return { max: q / div, values, mids: values.slice(1).map((v) => v - 0.5 / div) };
}

/**
 * A block whose scale is an exact power of two 2^k and whose other elements sit exactly on
 * midpoints between element codes (random sign), so every element is a rounding tie.
 * nvfp4 needs the tensor scale too: see tiesTensor.
 */
export function tiesBlock(spec: CodecSpec, B: number, rng: () => number, k: number): number[] {
  const g = elementGrid(spec.format);
  const scale = Math.pow(2, k);
  const out: number[] = [];
  // the amax element fixes the scale at 2^k (q4_0: the signed max is −8·2^k so d = +2^k)
  out.push(spec.format === "q4_0" ? -g.max * scale : g.max * scale * (rng() < 0.5 ? -1 : 1));
  for (let j = 1; j < B; j++) {
    const mid = g.mids[randInt(rng, 0, g.mids.length - 1)]!;
    out.push((rng() < 0.5 ? -1 : 1) * mid * scale);
  }
  if (spec.format === "q4_0" && B > 2) out[B - 1] = g.max * scale; // same |x| later: the first wins
  return out;
}

/**
 * A tensor made only of ties blocks. For nvfp4 the first element is G = 2688·2^k0 so S_t = 2^k0,
 * and each later block has amax 6·2^(k0+j), whose UE4M3 code is exactly 2^j.
 */
export function tiesTensor(spec: CodecSpec, n: number, seed: number): Float32Array {
  const rng = makeRng(seed);
  const x = new Float32Array(n);
  if (spec.block === 0) { // casts: midpoints between adjacent fp16 / bf16 values, both signs
    const fp16 = spec.format === "fp16";
    for (let i = 0; i < n; i++) {
      const sign = rng() < 0.5 ? -1 : 1;
      if (spec.format === "f32") { x[i] = sign * rng(); continue; }
      // a random finite code c and the midpoint between it and c+1 (c+1 may be the Inf code)
      const e = fp16 ? randInt(rng, 0, 30) : randInt(rng, 0, 254);
      const mBits = fp16 ? 10 : 7;
      const bias = fp16 ? 15 : 127;
      const m = randInt(rng, 0, (1 << mBits) - 1);
      const lo = e === 0 ? m * Math.pow(2, 1 - bias - mBits) : (1 + m / (1 << mBits)) * Math.pow(2, e - bias);
      const ulp = Math.pow(2, Math.max(e, 1) - bias - mBits);
      x[i] = sign * (lo + ulp / 2);
    }
    return x;
  }
  const B = spec.block;
  const k0 = randInt(rng, -6, 6);
  for (let base = 0; base < n; base += B) {
    const k = spec.format === "nvfp4" ? k0 + randInt(rng, -8, 7) : randInt(rng, -12, 12);
    const blk = tiesBlock(spec, B, rng, k); // nvfp4: amax 6·2^k, UE4M3 code of 2^(k-k0), d = 2^k
    for (let j = 0; j < B && base + j < n; j++) x[base + j] = blk[j]!;
  }
  if (spec.format === "nvfp4" && n > 0) x[0] = 2688 * Math.pow(2, k0);
  return x;
}

/** Names of the adversarial block kinds, in the order adversarialTensor cycles through them. */
export const ADVERSARIAL_KINDS = [
  "zeros", "signed-zeros", "subnormals", "tiny-normals", "plus-inf", "minus-inf", "nan", "ties",
  "saturation", "fp16-scale-overflow", "f32-max", "dynamic-range", "fp16-scale-edge", "constant",
  "single-spike", "wide-exponents", "tiny-with-zeros",
] as const;

/**
 * One adversarial block of length B (FORMATS.md edge cases): all-zero, ±0, subnormals, tiny normals
 * (inverse scale overflows), ±Inf, NaN, exact ties, saturation, FP16 scale overflow, f32 max, a huge
 * dynamic range, amax at the FP16-scale overflow edge, constant, a single spike, wild exponents.
 */
export function adversarialBlock(spec: CodecSpec, kind: (typeof ADVERSARIAL_KINDS)[number], B: number, rng: () => number): number[] {
  const g = spec.block === 0 ? { max: 1 } : elementGrid(spec.format);
  const qmax = g.max;
  const out = new Array<number>(B).fill(0);
  const nrm = (): number => (rng() * 2 - 1) * 3;
  const anyIdx = (): number => randInt(rng, 0, B - 1);
  switch (kind) {
    case "zeros": break;
    case "signed-zeros": for (let j = 0; j < B; j++) out[j] = rng() < 0.5 ? -0 : 0; break;
    case "subnormals": for (let j = 0; j < B; j++) out[j] = (rng() < 0.5 ? -1 : 1) * randInt(rng, 0, 1 << 23) * Math.pow(2, -149); break;
    case "tiny-normals": for (let j = 0; j < B; j++) out[j] = nrm() * Math.pow(2, randInt(rng, -126, -118)); break;
    case "plus-inf": for (let j = 0; j < B; j++) out[j] = nrm(); out[anyIdx()] = Infinity; break;
    case "minus-inf": for (let j = 0; j < B; j++) out[j] = nrm(); out[anyIdx()] = -Infinity; break;
    case "nan": for (let j = 0; j < B; j++) out[j] = nrm(); out[anyIdx()] = NaN; break;
    case "ties": return spec.block === 0 ? Array.from(tiesTensor(spec, B, randInt(rng, 0, 1e9))) : tiesBlock(spec, B, rng, randInt(rng, -20, 20));
    case "saturation": { // amax just below the next power of two of the element range: clips in MX formats
      const top = Math.pow(2, Math.floor(Math.log2(qmax)) + 1);
      for (let j = 0; j < B; j++) out[j] = (rng() < 0.5 ? -1 : 1) * (qmax + rng() * (top - qmax));
      out[anyIdx()] = top * (1 - 1 / 1024);
      break;
    }
    case "fp16-scale-overflow": for (let j = 0; j < B; j++) out[j] = nrm() * 1e9; out[anyIdx()] = 3e10; break;
    case "f32-max": for (let j = 0; j < B; j++) out[j] = (rng() < 0.5 ? -1 : 1) * 3.4028234663852886e38 * rng(); out[anyIdx()] = -3.4028234663852886e38; break;
    case "dynamic-range": {
      for (let j = 0; j < B; j++) out[j] = nrm() * Math.pow(10, randInt(rng, -45, 38));
      out[anyIdx()] = 1e30;
      break;
    }
    case "fp16-scale-edge": { // amax / qmax right at the fp16 overflow threshold 65520 (and 65504)
      const edge = [65504, 65519.99, 65520, 65520.01, 65535][randInt(rng, 0, 4)]!;
      for (let j = 0; j < B; j++) out[j] = nrm() * edge * qmax / 4;
      out[anyIdx()] = (rng() < 0.5 ? -1 : 1) * edge * qmax;
      break;
    }
    case "constant": { const c = nrm(); out.fill(c); break; }
    case "single-spike": out[anyIdx()] = nrm() * 1000; break;
    case "wide-exponents": for (let j = 0; j < B; j++) out[j] = nrm() * Math.pow(2, randInt(rng, -30, 30)); break;
    case "tiny-with-zeros": { // 1/scale overflows to Inf: x·inv is ±Inf, or NaN for the ±0 elements
      const e = randInt(rng, -149, -126);
      for (let j = 0; j < B; j++) out[j] = j % 3 === 0 ? (j % 2 ? -0 : 0) : nrm() * Math.pow(2, e);
      break;
    }
  }
  return out;
}

/** A tensor of n values cycling through every adversarial block kind (block-aligned). */
export function adversarialTensor(spec: CodecSpec, n: number, seed: number): Float32Array {
  const rng = makeRng(seed);
  const B = spec.block === 0 ? 32 : spec.block;
  const x = new Float32Array(n);
  let kind = seed % ADVERSARIAL_KINDS.length;
  for (let base = 0; base < n; base += B) {
    const blk = adversarialBlock(spec, ADVERSARIAL_KINDS[kind]!, B, rng);
    for (let j = 0; j < B && base + j < n; j++) x[base + j] = blk[j]!;
    kind = (kind + 1) % ADVERSARIAL_KINDS.length;
  }
  return x;
}

/**
 * A tensor of only tiny values (subnormal and barely normal f32, with ±0 mixed in): every block's
 * inverse scale overflows for f32/bf16 scales, and nvfp4's tensor scale S_t is itself tiny.
 */
export function tinyTensor(spec: CodecSpec, n: number, seed: number): Float32Array {
  const rng = makeRng(seed);
  const B = spec.block === 0 ? 32 : spec.block;
  const x = new Float32Array(n);
  for (let base = 0, t = 0; base < n; base += B, t++) {
    const blk = adversarialBlock(spec, t % 3 === 1 ? "subnormals" : "tiny-with-zeros", B, rng);
    for (let j = 0; j < B && base + j < n; j++) x[base + j] = blk[j]!;
  }
  return x;
}

/** Every valid codec: each format × allowed block × allowed scale kind × allowed rounding. */
export function allSpecs(formats: readonly FormatName[] = FORMATS.map((f) => f.name)): CodecSpec[] {
  const out: CodecSpec[] = [];
  for (const name of formats) {
    const f = FORMATS.find((x) => x.name === name)!;
    const blocks = f.blocks.length ? [...f.blocks].sort((a, b) => a - b) : [0];
    for (const block of blocks) {
      for (const scale of f.scales) {
        for (const rounding of f.stochastic ? (["rne", "stochastic"] as const) : (["rne"] as const)) {
          out.push(resolveCodec(name, { block, scale, rounding }));
        }
      }
    }
  }
  return out;
}

/** A short label for a codec: "int8/b32/fp16/rne". */
export function specLabel(s: CodecSpec): string {
  return `${s.format}/b${s.block}/${s.scale}/${s.rounding}`;
}

/** True for the bits of an f32 NaN. */
export function isNaNBits(bits: number): boolean {
  return (bits & 0x7f800000) === 0x7f800000 && (bits & 0x7fffff) !== 0;
}

/** True when two f32 bit patterns are identical, any NaN matching any NaN (payload and sign aside). */
export function sameF32Bits(aBits: number, bBits: number): boolean {
  return aBits === bBits || (isNaNBits(aBits) && isNaNBits(bBits));
}

/** The bits of an f32 value. */
export function f32Bits(v: number): number {
  F32[0] = v;
  return U32[0]!;
}
const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);

/**
 * The stochastic-rounding uniform u ∈ [0, 1) of element index i under a seed, written from
 * FORMATS.md ("Stochastic rounding"), independently of the kernels and the reference.
 */
export function uniform(i: number, seed: number): number {
  let h = (Math.imul(i, 0x9e3779b9) + seed) >>> 0;
  h ^= h >>> 16; h = Math.imul(h, 0x7feb352d) >>> 0;
  h ^= h >>> 15; h = Math.imul(h, 0x846ca68b) >>> 0;
  h ^= h >>> 16;
  return (h >>> 8) / 2 ** 24;
}
