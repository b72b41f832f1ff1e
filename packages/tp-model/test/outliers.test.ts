// Outlier channels in the compression policy (rule.outliers): the reduce of a message whose k outlier
// channels per row go through their own all-reduce (bf16 / fp16 / f32) while the other dim − k channels
// go through the rule's block codec. Checked against a scalar oracle built from quant-wasm's reference
// codecs (compact the ordinary channels of every rank, quantize, decode-sum in rank order; the outlier
// channels summed exactly), bit-identical on every rank, wire bytes counted, and policy validation.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bytesFor, resolveCodec, type CodecSpec } from "@tensorwire/quant-wasm";
import { referenceDequantize, referenceDequantizeAccumulate, referenceQuantize } from "@tensorwire/quant-wasm/reference";
import { spawnGroup, type Group } from "@tensorwire/collectives/node";
import { checkPolicy, type CompressionPolicy } from "../src/index.js";
import { outlierChannelsOf } from "../src/policy.js";
import { rotateRuns, rotationSigns } from "../src/mappings.js";
// @ts-expect-error plain-JS worker helper (workers run compiled code)
import { input } from "./workers/outliers.mjs";

const worker = new URL("./workers/outliers.mjs", import.meta.url);
const makeInput = input as (rows: number, dim: number, q: number, seed: number, hot: readonly number[]) => Float32Array;

interface Case {
  policy: CompressionPolicy;
  nLayers: number;
  rows: number;
  dim: number;
  seed: number;
  /** channels given large values in the input */
  hot: number[];
  layer?: number;
  site?: "attention" | "mlp";
  length?: number;
}
interface Reply { values?: number[]; hash?: string; error?: string; totals?: { wireBytes: number; compressedElements: number; elements: number } }

/** Σ_q decode(quantize(x_q)) in rank order, as the allgather scheme computes it (f32 accumulation). */
function allgatherSum(spec: CodecSpec, inputs: readonly Float32Array[]): Float32Array {
  const n = inputs[0]!.length;
  const out = referenceDequantize(spec, referenceQuantize(spec, inputs[0]!).bytes, n);
  for (let q = 1; q < inputs.length; q++) referenceDequantizeAccumulate(spec, referenceQuantize(spec, inputs[q]!).bytes, n, out);
  return out;
}

/** The scalar expectation of reduce() with outliers under an allgather rule. */
function expected(c: Case, p: number, main: CodecSpec, side: CodecSpec | "none", channels: readonly number[]): Float32Array {
  const { rows, dim } = c;
  const isOut = (ch: number) => channels.includes(ch);
  const inputs = Array.from({ length: p }, (_, q) => makeInput(rows, dim, q, c.seed, c.hot));
  const split = (x: Float32Array, want: boolean) => Float32Array.from(Array.from(x).filter((_, i) => isOut(i % dim) === want));
  const m = allgatherSum(main, inputs.map((x) => split(x, false)));
  const sides = inputs.map((x) => split(x, true));
  const s = side === "none" ? sides.reduce((acc, x) => acc.map((v, i) => v + x[i]!), new Float32Array(sides[0]!.length)) : allgatherSum(side, sides);
  const out = new Float32Array(rows * dim);
  let a = 0, b = 0;
  for (let i = 0; i < out.length; i++) out[i] = isOut(i % dim) ? s[b++]! : m[a++]!;
  return out;
}

function exactSum(c: Case, p: number): Float64Array {
  const out = new Float64Array(c.rows * c.dim);
  for (let q = 0; q < p; q++) makeInput(c.rows, c.dim, q, c.seed, c.hot).forEach((v, i) => { out[i]! += v; });
  return out;
}

const rule = (codec: string, outliers: object | undefined, scheme = "allgather", extra: object = {}): CompressionPolicy =>
  ({ rules: [{ codec, scheme, ...(outliers ? { outliers } : {}), ...extra }] }) as unknown as CompressionPolicy;

for (const p of [2, 3]) {
  describe(`reduce with outlier channels, world size ${p}`, () => {
    let g: Group;
    beforeAll(async () => { g = await spawnGroup({ worldSize: p, module: worker, waitMode: p > 2 ? "wait" : "auto" }); });
    afterAll(async () => { await g?.shutdown(); });
    const run = async (cases: Case[]): Promise<Reply[][]> => {
      const reps = await g.run<Reply[]>({ cases });
      return cases.map((_, i) => reps.map((r) => r[i]!));
    };

    it("equals the scalar oracle bit for bit (allgather; mxfp4, int4/b16, nvfp4, q8_0 × bf16, fp16, f32 outliers; odd shapes) on every rank", async () => {
      const cases: { c: Case; main: CodecSpec; side: CodecSpec | "none"; ch: number[] }[] = [];
      const shapes = [{ rows: 5, dim: 64 }, { rows: 1, dim: 64 }, { rows: 7, dim: 33 }, { rows: 3, dim: 1 }, { rows: 0, dim: 64 }];
      const mains = [resolveCodec("mxfp4"), resolveCodec("int4", { block: 16, scale: "fp16" }), resolveCodec("nvfp4"), resolveCodec("q8_0")];
      let seed = 1;
      for (const { rows, dim } of shapes) for (const main of mains) for (const side of ["bf16", "fp16", "none"] as const) {
        const ch = dim === 1 ? [0] : [0, 3, dim - 1];
        const c: Case = { rows, dim, seed: seed++, hot: ch, nLayers: 2, policy: rule("x", undefined) };
        c.policy = { rules: [{ codec: main, scheme: "allgather", outliers: { dim, channels: ch, codec: side } }] };
        cases.push({ c, main, side: side === "none" ? "none" : resolveCodec(side), ch });
      }
      const replies = await run(cases.map((x) => x.c));
      replies.forEach((reps, i) => {
        const { c, main, side, ch } = cases[i]!;
        const what = `${main.format}/${main.block} + ${typeof side === "string" ? side : side.format} outliers, ${c.rows}×${c.dim}`;
        for (const r of reps) expect(r.error, what).toBeUndefined();
        const want = expected(c, p, main, side, ch);
        expect(Float32Array.from(reps[0]!.values!), what).toEqual(want);
        for (let q = 1; q < p; q++) expect(reps[q]!.hash, `${what}: rank ${q} vs rank 0`).toBe(reps[0]!.hash);
        // the outlier channels are exact (their values and sums are representable in every outlier codec)
        const exact = exactSum(c, p);
        for (let i = 0; i < want.length; i++) if (ch.includes(i % c.dim)) expect(reps[0]!.values![i], what).toBe(exact[i]);
        const k = ch.length, nMain = c.rows * (c.dim - k), nSide = c.rows * k;
        const sideBytes = side === "none" ? 4 * nSide : bytesFor(side, nSide);
        expect(reps[0]!.totals!.wireBytes, what).toBe(bytesFor(main, nMain) + sideBytes);
      });
    });

    it("per-layer channel maps: a layer absent from the map reduces exactly as without outliers", async () => {
      const dim = 48, rows = 4, hot = [5, 40];
      const main = resolveCodec("mxfp4");
      const withMap: CompressionPolicy = { rules: [{ codec: main, scheme: "allgather", outliers: { dim, channels: { 0: [5, 40], 2: [40] }, codec: "bf16" } }] };
      const plain: CompressionPolicy = { rules: [{ codec: main, scheme: "allgather" }] };
      const base = { rows, dim, hot, seed: 9, nLayers: 3 };
      const reps = await run([
        { ...base, policy: withMap, layer: 0 }, { ...base, policy: withMap, layer: 1 }, { ...base, policy: plain, layer: 1 }, { ...base, policy: withMap, layer: 2 },
      ]);
      expect(Float32Array.from(reps[0]![0]!.values!)).toEqual(expected({ ...base, policy: withMap }, p, main, resolveCodec("bf16"), [5, 40]));
      expect(reps[1]![0]!.values).toEqual(reps[2]![0]!.values);
      expect(Float32Array.from(reps[3]![0]!.values!)).toEqual(expected({ ...base, policy: withMap }, p, main, resolveCodec("bf16"), [40]));
      for (const r of reps) for (let q = 1; q < p; q++) expect(r[q]!.hash).toBe(r[0]!.hash);
    });

    it("takes the outliers' error away from the ordinary channels (mxfp4: within amax/2 per rank, RMS error halved at least), also with two-shot", async () => {
      const dim = 64, rows = 6, hot = [7, 50];
      const base = { rows, dim, hot, seed: 4, nLayers: 1 };
      for (const scheme of ["allgather", "two-shot"]) {
        const reps = await run([
          { ...base, policy: rule("mxfp4", undefined, scheme) },
          { ...base, policy: rule("mxfp4", { dim, channels: hot, codec: "bf16" }, scheme) },
        ]);
        const exact = exactSum(base as Case, p);
        const maxErr = (v: number[], ordinary: boolean) => v.reduce((m, x, i) => (hot.includes(i % dim) === !ordinary ? Math.max(m, Math.abs(x - exact[i]!)) : m), 0);
        for (const r of reps) for (let q = 1; q < p; q++) expect(r[q]!.hash, scheme).toBe(r[0]!.hash);
        const rms = (v: number[]) => Math.sqrt(v.reduce((a, x, i) => (hot.includes(i % dim) ? a : a + (x - exact[i]!) ** 2), 0) / (rows * (dim - hot.length)));
        // every rank's ordinary channels are at most 1 in magnitude: with the outliers out of the blocks,
        // each rank's rounding error is at most half its block's amax (two-shot rounds twice: the shard sum's amax is ≤ p)
        const bound = scheme === "allgather" ? p * 0.5 : p * 0.5 + p * 0.5;
        expect(maxErr(reps[1]![0]!.values!, true), scheme).toBeLessThanOrEqual(bound);
        expect(rms(reps[1]![0]!.values!), scheme).toBeLessThan(rms(reps[0]![0]!.values!) / 2);
        expect(maxErr(reps[1]![0]!.values!, false), `${scheme}: outlier channels exact`).toBe(0);
      }
    });

    it("rotate: the reduce equals D·H/√h · Σ_q decode(quantize(H·D·x_q/√h)) bit for bit on every rank, with and without outliers", async () => {
      const dim = 64, rows = 5, hot = [9];
      const specs = [resolveCodec("int4", { block: 32, scale: "fp16" }), resolveCodec("nvfp4")];
      const cases: Case[] = [];
      for (const main of specs) for (const h of [16, 64]) {
        cases.push({ rows, dim, hot, seed: h, nLayers: 1, policy: { rules: [{ codec: main, scheme: "allgather", rotate: h }] } });
        cases.push({ rows, dim, hot, seed: h + 1, nLayers: 1, policy: { rules: [{ codec: main, scheme: "allgather", rotate: h, outliers: { dim, channels: hot, codec: "bf16" } }] } });
      }
      const reps = await run(cases);
      cases.forEach((c, i) => {
        const rule0 = c.policy.rules[0]!;
        const main = rule0.codec as CodecSpec, h = rule0.rotate!, signs = rotationSigns(h);
        const ch = rule0.outliers ? hot : [];
        const inputs = Array.from({ length: p }, (_, q) => makeInput(rows, dim, q, c.seed, hot));
        const split = (x: Float32Array, want: boolean) => Float32Array.from(Array.from(x).filter((_, j) => ch.includes(j % dim) === want));
        const mains = inputs.map((x) => { const m = split(x, false); rotateRuns(m, h, signs, false); return m; });
        const m = allgatherSum(main, mains);
        rotateRuns(m, h, signs, true);
        const side = ch.length ? allgatherSum(resolveCodec("bf16"), inputs.map((x) => split(x, true))) : new Float32Array(0);
        const want = new Float32Array(rows * dim);
        let a = 0, b = 0;
        for (let j = 0; j < want.length; j++) want[j] = ch.includes(j % dim) ? side[b++]! : m[a++]!;
        const what = `${main.format} rotate ${h}${ch.length ? " + outliers" : ""}`;
        expect(reps[i]![0]!.error, what).toBeUndefined();
        expect(Float32Array.from(reps[i]![0]!.values!), what).toEqual(want);
        for (let q = 1; q < p; q++) expect(reps[i]![q]!.hash, what).toBe(reps[i]![0]!.hash);
      });
    });

    it("a message the row width does not divide is a clear error on every rank (no hang); uncompressed rules ignore outliers", async () => {
      const dim = 16;
      const reps = await run([
        { rows: 3, dim, hot: [1], seed: 1, nLayers: 1, length: 47, policy: rule("mxfp4", { dim, channels: [1], codec: "bf16" }) },
        { rows: 3, dim, hot: [1], seed: 1, nLayers: 1, policy: rule("none", { dim, channels: [1], codec: "bf16" }) },
      ]);
      for (const r of reps[0]!) expect(r.error).toMatch(/outliers\.dim 16 does not divide the all-reduced message of 47 values/);
      // uncompressed: the f32 sum in rank order
      const sum = new Float32Array(3 * dim);
      for (let q = 0; q < p; q++) makeInput(3, dim, q, 1, [1]).forEach((v, i) => { sum[i] = Math.fround(sum[i]! + v); });
      expect(reps[1]![0]!.values).toEqual(Array.from(sum));
      expect(reps[1]![0]!.totals!.wireBytes).toBe(4 * 3 * dim);
    });
  });
}

/** x ← H·D·x/√h per run with H from its definition, H[i][j] = (−1)^popcount(i & j), in f64. */
function naiveRotate(x: Float32Array, h: number, signs: Float32Array): Float64Array {
  const out = Float64Array.from(x);
  const pop = (v: number) => { let c = 0; while (v) { c += v & 1; v >>>= 1; } return c; };
  for (let o = 0; o + h <= x.length; o += h) for (let i = 0; i < h; i++) {
    let acc = 0;
    for (let j = 0; j < h; j++) acc += (pop(i & j) & 1 ? -1 : 1) * signs[j]! * x[o + j]!;
    out[o + i] = acc / Math.sqrt(h);
  }
  return out;
}

describe("randomized Hadamard rotation (rule.rotate)", () => {
  it("rotateRuns equals the matrix definition (f32 rounding), leaves a short tail alone, and its inverse restores x", () => {
    for (const [n, h] of [[64, 64], [100, 32], [7, 8], [0, 16], [48, 2], [4096, 4096]] as const) {
      const x = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 1.3) * (i % 5 === 0 ? 40 : 1));
      const signs = rotationSigns(h);
      expect(signs.every((v) => v === 1 || v === -1)).toBe(true);
      const y = x.slice();
      rotateRuns(y, h, signs, false);
      const want = naiveRotate(x, h, signs);
      const amax = Math.max(1e-30, ...Array.from(x, Math.abs));
      for (let i = 0; i < n; i++) expect(Math.abs(y[i]! - want[i]!), `n ${n} h ${h} i ${i}`).toBeLessThanOrEqual(amax * 2e-6 * Math.log2(h));
      for (let i = n - (n % h); i < n; i++) expect(y[i]).toBe(x[i]);
      rotateRuns(y, h, signs, true);
      for (let i = 0; i < n; i++) expect(Math.abs(y[i]! - x[i]!)).toBeLessThanOrEqual(amax * 4e-6 * Math.log2(h));
    }
  });
});

describe("outliers in checkPolicy", () => {
  const pol = (outliers: unknown): unknown => ({ rules: [{ codec: "mxfp4", outliers }] });
  it("accepts channel lists and per-layer maps", () => {
    expect(() => checkPolicy(pol({ dim: 64, channels: [0, 63], codec: "bf16" }), 5)).not.toThrow();
    expect(() => checkPolicy(pol({ dim: 64, channels: { 0: [1], 4: [] }, codec: "none" }), 5)).not.toThrow();
    expect(() => checkPolicy(pol({ dim: 64, channels: [], codec: "fp16" }), 5)).not.toThrow();
  });
  it.each([
    [null, /outliers must be an object/],
    [{ dim: 0, channels: [], codec: "bf16" }, /outliers\.dim must be a positive integer, got 0/],
    [{ dim: 2.5, channels: [], codec: "bf16" }, /outliers\.dim must be a positive integer/],
    [{ dim: 64, channels: [], codec: "q8_0" }, /outliers\.codec must be "bf16", "fp16" or "none", got q8_0/],
    [{ dim: 64, channels: [64], codec: "bf16" }, /channel 64 is not in 0\.\.63/],
    [{ dim: 64, channels: [-1], codec: "bf16" }, /channel -1 is not in 0\.\.63/],
    [{ dim: 64, channels: [1.5], codec: "bf16" }, /channel 1\.5 is not in/],
    [{ dim: 64, channels: [3, 3], codec: "bf16" }, /channel 3 is listed twice/],
    [{ dim: 64, channels: { 5: [1] }, codec: "bf16" }, /outliers\.channels has layer 5, not in 0\.\.4/],
    [{ dim: 64, channels: { x: [1] }, codec: "bf16" }, /outliers\.channels has layer x/],
    [{ dim: 64, channels: { 1: 3 }, codec: "bf16" }, /outliers\.channels\[1\] must be an array/],
    [{ dim: 64, channels: "0,1", codec: "bf16" }, /outliers\.channels must be an array of channel indices or a map/],
  ])("rejects %j", (o, msg) => {
    expect(() => checkPolicy(pol(o), 5)).toThrow(msg);
    expect(() => checkPolicy(pol(o), 5)).toThrow(/compression policy rule 0/);
  });
  it.each([0, 1, 3, 48, 8192, 2.5, "32"])("rejects rotate %j", (h) => {
    expect(() => checkPolicy({ rules: [{ codec: "int4", rotate: h }] } as unknown as CompressionPolicy, 5)).toThrow(/compression policy rule 0: rotate must be a power of two 2–4096/);
  });
  it("outlierChannelsOf: sorted, per layer, empty when absent", () => {
    expect(outlierChannelsOf({ dim: 8, channels: [5, 1], codec: "bf16" }, 3)).toEqual([1, 5]);
    expect(outlierChannelsOf({ dim: 8, channels: { 2: [7, 0] }, codec: "bf16" }, 2)).toEqual([0, 7]);
    expect(outlierChannelsOf({ dim: 8, channels: { 2: [7] }, codec: "bf16" }, 1)).toEqual([]);
    expect(outlierChannelsOf(undefined, 0)).toEqual([]);
  });
});
