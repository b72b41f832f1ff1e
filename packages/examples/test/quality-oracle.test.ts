// An independent implementation of what `tensorwire eval` reports, checked against the CLI's figures.
// Everything on the oracle side is written here from the definitions, not taken from the code it checks:
// the llama2.c checkpoint is parsed by hand, the forward pass is plain f64 arithmetic (run.c's formulas,
// whole window layer by layer as a prefill), tensor parallelism is simulated by splitting the row-parallel
// projections' inputs into contiguous rank ranges ⌊r·n/p⌋ and summing the per-rank partial sums, the
// compressed all-reduce (allgather scheme) quantizes every rank's partial message with quant-wasm's scalar
// reference codec and sums the decoded values, and PPL / KL / top-1 are computed from the logits here.
// Only the tokenizer is shared (its run.c exactness is tested in tp-model against llama.cpp).
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type CodecSpec, resolveCodec } from "@tensorwire/quant-wasm";
import { referenceDequantize, referenceQuantize } from "@tensorwire/quant-wasm/reference";
import { Tokenizer, readLlama2cTokenizer } from "@tensorwire/tp-model";
import { describe, expect, it } from "vitest";

const cli = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
const models = process.env.TENSORWIRE_MODELS;
const data = process.env.TENSORWIRE_DATA;
const bin = models ? join(models, "stories260K", "stories260K.bin") : "";
const tok = models ? join(models, "stories260K", "tok512.bin") : "";
const textPath = data ? join(data, "tinystories", "valid_first1000.txt") : "";
const have = !!models && existsSync(bin) && existsSync(tok) && !!data && existsSync(textPath);
if (!have && process.env.CI === "true") throw new Error("CI=true but TENSORWIRE_MODELS / TENSORWIRE_DATA do not hold stories260K and the TinyStories text");
const d = have ? describe : describe.skip;

interface Llama {
  dim: number; hidden: number; layers: number; heads: number; kvHeads: number; vocab: number; seqLen: number;
  emb: Float32Array; attnNorm: Float32Array[]; wq: Float32Array[]; wk: Float32Array[]; wv: Float32Array[]; wo: Float32Array[];
  ffnNorm: Float32Array[]; w1: Float32Array[]; w2: Float32Array[]; w3: Float32Array[]; finalNorm: Float32Array; cls: Float32Array;
}

/** llama2.c's legacy export (run.c's read_checkpoint): 7 int32 header fields, then the f32 tensors in order. */
function readLegacyCheckpoint(bytes: Uint8Array): Llama {
  const h = new Int32Array(bytes.buffer, bytes.byteOffset, 7);
  const [dim, hidden, layers, heads, kvHeads, vocabSigned, seqLen] = Array.from(h) as [number, number, number, number, number, number, number];
  const vocab = Math.abs(vocabSigned);
  const f = new Float32Array(bytes.buffer.slice(bytes.byteOffset + 28, bytes.byteOffset + bytes.length));
  const kvDim = (dim * kvHeads) / heads;
  let o = 0;
  const take = (n: number) => f.subarray(o, (o += n));
  const perLayer = (n: number) => Array.from({ length: layers }, () => take(n));
  const emb = take(vocab * dim);
  const attnNorm = perLayer(dim), wq = perLayer(dim * dim), wk = perLayer(kvDim * dim), wv = perLayer(kvDim * dim), wo = perLayer(dim * dim);
  const ffnNorm = perLayer(dim), w1 = perLayer(hidden * dim), w2 = perLayer(dim * hidden), w3 = perLayer(hidden * dim);
  const finalNorm = take(dim);
  take(seqLen * (dim / heads)); // freq_cis_real, freq_cis_imag (unused: RoPE is recomputed)
  const cls = vocabSigned > 0 ? emb : take(vocab * dim);
  return { dim, hidden, layers, heads, kvHeads, vocab, seqLen, emb, attnNorm, wq, wk, wv, wo, ffnNorm, w1, w2, w3, finalNorm, cls };
}

const rel = (a: number, b: number) => Math.abs(a / b - 1);
const range = (n: number, p: number, r: number) => [Math.floor((r * n) / p), Math.floor(((r + 1) * n) / p)] as const;

function rmsnormRows(x: Float64Array, T: number, n: number, w: Float32Array): Float64Array {
  const out = new Float64Array(T * n);
  for (let t = 0; t < T; t++) {
    let ss = 0;
    for (let i = 0; i < n; i++) ss += x[t * n + i]! ** 2;
    const s = 1 / Math.sqrt(ss / n + 1e-5);
    for (let i = 0; i < n; i++) out[t * n + i] = w[i]! * s * x[t * n + i]!;
  }
  return out;
}

/** rows of y[T × out] = x[T × in] · Wᵀ over input columns [c0, c1) only (W row-major out × in). */
function matmulCols(x: Float64Array, T: number, nin: number, w: Float32Array, nout: number, c0 = 0, c1 = nin): Float64Array {
  const y = new Float64Array(T * nout);
  for (let t = 0; t < T; t++) for (let i = 0; i < nout; i++) {
    let s = 0;
    for (let j = c0; j < c1; j++) s += w[i * nin + j]! * x[t * nin + j]!;
    y[t * nout + i] = s;
  }
  return y;
}

/**
 * The all-reduce of p partial sums: exact (f64 sum) with no codec; with a codec, the allgather scheme:
 * every rank's whole message (rows × dim, row-major) is quantized once, all are decoded and summed.
 */
function allReduce(partials: Float64Array[], codec: CodecSpec | null): Float64Array {
  const n = partials[0]!.length;
  const out = new Float64Array(n);
  for (const part of partials) {
    let v: ArrayLike<number> = part;
    if (codec) {
      const f = Float32Array.from(part);
      v = referenceDequantize(codec, referenceQuantize(codec, f).bytes, n);
    }
    for (let i = 0; i < n; i++) out[i] += v[i]!;
  }
  return out;
}

/** Teacher-forced logits (T × vocab) of one window at TP p, every row-parallel all-reduce through `codec`. */
function windowLogits(m: Llama, tokens: readonly number[], p: number, codec: CodecSpec | null): Float64Array {
  const T = tokens.length, { dim, hidden, heads, kvHeads } = m;
  const hs = dim / heads, kvDim = (dim * kvHeads) / heads, kvMul = heads / kvHeads;
  const x = new Float64Array(T * dim);
  tokens.forEach((tk, t) => { for (let i = 0; i < dim; i++) x[t * dim + i] = m.emb[tk * dim + i]!; });
  for (let l = 0; l < m.layers; l++) {
    const xb = rmsnormRows(x, T, dim, m.attnNorm[l]!);
    const q = matmulCols(xb, T, dim, m.wq[l]!, dim), k = matmulCols(xb, T, dim, m.wk[l]!, kvDim), v = matmulCols(xb, T, dim, m.wv[l]!, kvDim);
    for (let t = 0; t < T; t++) for (let i = 0; i < dim; i += 2) {
      const hd = i % hs, ang = t / Math.pow(10000, hd / hs), c = Math.cos(ang), s = Math.sin(ang);
      for (const [vec, w] of [[q, dim], [k, kvDim]] as const) {
        if (i >= w) continue;
        const a = vec[t * w + i]!, b = vec[t * w + i + 1]!;
        vec[t * w + i] = a * c - b * s;
        vec[t * w + i + 1] = a * s + b * c;
      }
    }
    const att = new Float64Array(T * dim);
    const sc = new Float64Array(T);
    for (let h = 0; h < heads; h++) {
      const ko = Math.floor(h / kvMul) * hs;
      for (let t = 0; t < T; t++) {
        let max = -Infinity;
        for (let u = 0; u <= t; u++) {
          let s = 0;
          for (let e = 0; e < hs; e++) s += q[t * dim + h * hs + e]! * k[u * kvDim + ko + e]!;
          sc[u] = s / Math.sqrt(hs);
          max = Math.max(max, sc[u]!);
        }
        let z = 0;
        for (let u = 0; u <= t; u++) z += (sc[u] = Math.exp(sc[u]! - max));
        for (let e = 0; e < hs; e++) {
          let o = 0;
          for (let u = 0; u <= t; u++) o += (sc[u]! / z) * v[u * kvDim + ko + e]!;
          att[t * dim + h * hs + e] = o;
        }
      }
    }
    // attention output: row-parallel over query heads
    const ao = allReduce(Array.from({ length: p }, (_, r) => { const [h0, h1] = range(heads, p, r); return matmulCols(att, T, dim, m.wo[l]!, dim, h0 * hs, h1 * hs); }), codec);
    for (let i = 0; i < x.length; i++) x[i] += ao[i]!;
    const xn = rmsnormRows(x, T, dim, m.ffnNorm[l]!);
    const g = matmulCols(xn, T, dim, m.w1[l]!, hidden), u = matmulCols(xn, T, dim, m.w3[l]!, hidden);
    for (let i = 0; i < g.length; i++) g[i] = (g[i]! / (1 + Math.exp(-g[i]!))) * u[i]!;
    // MLP down: row-parallel over hidden units
    const mo = allReduce(Array.from({ length: p }, (_, r) => { const [c0, c1] = range(hidden, p, r); return matmulCols(g, T, hidden, m.w2[l]!, dim, c0, c1); }), codec);
    for (let i = 0; i < x.length; i++) x[i] += mo[i]!;
  }
  return matmulCols(rmsnormRows(x, T, dim, m.finalNorm), T, dim, m.cls, m.vocab);
}

function logSoftmax(z: Float64Array, o: number, n: number): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < n; i++) max = Math.max(max, z[o + i]!);
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.exp(z[o + i]! - max);
  const ls = Math.log(s) + max;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = z[o + i]! - ls;
  return out;
}

interface Figures { ppl: number; pplRef: number; deltaPplPct: number; klMean: number; klP99: number; top1: number; tokens: number }

function oracle(m: Llama, windows: number[][], p: number, codec: CodecSpec): Figures {
  let nllRef = 0, nll = 0, same = 0, n = 0;
  const kls: number[] = [];
  for (const w of windows) {
    const a = windowLogits(m, w, p, null), b = windowLogits(m, w, p, codec);
    for (let t = 0; t + 1 < w.length; t++) {
      const la = logSoftmax(a, t * m.vocab, m.vocab), lb = logSoftmax(b, t * m.vocab, m.vocab);
      nllRef -= la[w[t + 1]!]!;
      nll -= lb[w[t + 1]!]!;
      let kl = 0, ia = 0, ib = 0;
      for (let i = 0; i < m.vocab; i++) {
        kl += Math.exp(la[i]!) * (la[i]! - lb[i]!);
        if (la[i]! > la[ia]!) ia = i;
        if (lb[i]! > lb[ib]!) ib = i;
      }
      kls.push(kl);
      if (ia === ib) same++;
      n++;
    }
  }
  kls.sort((x, y) => x - y);
  const ppl = Math.exp(nll / n), pplRef = Math.exp(nllRef / n);
  return { ppl, pplRef, deltaPplPct: 100 * (ppl / pplRef - 1), klMean: kls.reduce((s, x) => s + x, 0) / n, klP99: kls[Math.min(n - 1, Math.ceil(0.99 * n) - 1)]!, top1: same / n, tokens: n };
}

/** The stories of a `<|endoftext|>`-separated file, as is ("raw"), trimmed, empty ones dropped. */
function stories(text: string): string[] {
  return text.split("<|endoftext|>").map((s) => s.trim()).filter((s) => s.length > 0);
}

d("tensorwire eval against an independent implementation of the same computation", () => {
  const m = readLegacyCheckpoint(new Uint8Array(readFileSync(bin)));
  const tokenizer = new Tokenizer(readLlama2cTokenizer(new Uint8Array(readFileSync(tok)), m.vocab, tok), tok);
  const N = 6, MAX = 160;
  const windows = stories(readFileSync(textPath, "utf8")).slice(0, N).map((s) => tokenizer.encode(s, true, false).slice(0, MAX));
  const evalJson = (tp: number, codec: string, extra: string[] = []) => {
    const r = spawnSync(process.execPath, [cli, "eval", "--model", "stories260K", "--tp", String(tp), "--stories", String(N), "--max-tokens", String(MAX),
      "--codec", codec, ...extra, "--scheme", "allgather", "--no-hidden", "--json"], { encoding: "utf8", env: { ...process.env, TENSORWIRE_NO_PROGRESS: "1" } });
    expect(r.status, r.stderr).toBe(0);
    return (JSON.parse(r.stdout) as { results: Record<string, number>[] }).results[0]!;
  };

  // (TP 1 is not here: with one rank nothing is exchanged, so nothing is quantized)
  // fp5-e2m2/b128: blocks of 128 span two token rows of this dim-64 model (the message is rows × dim)
  it.each([
    [2, "mxfp4", 0], [2, "fp5-e2m2", 128], [3, "int4", 0], [4, "nvfp4", 0], [5, "fp4-e2m1", 64],
  ])("TP %i, %s, block %i (0: the format's own): PPL, ΔPPL, KL mean and p99, top-1 agree within 10 percent", (tp, name, block) => {
    const spec = block ? resolveCodec(name, { block, scale: "e8m0" }) : resolveCodec(name);
    const want = oracle(m, windows, tp, spec);
    const got = evalJson(tp, name, block ? ["--block", String(block), "--scale", "e8m0"] : []);
    expect(got.tokens).toBe(want.tokens);
    expect(got.ppl_ref).toBeCloseTo(want.pplRef, 4); // uncompressed: the same numbers up to f32 rounding
    expect(rel(got.ppl, want.ppl), "ppl").toBeLessThan(0.01);
    // ΔPPL: within 10% relative, or within one standard error of ln(PPL ratio) where that is larger. The
    // two implementations round differently (f32 SIMD sums vs f64): a value on a quantization boundary
    // can land on either side, and the change feeds every later layer's quantization, so on a few hundred
    // tokens ΔPPL differs by about its own noise (KL, p99 and top-1 are far less sensitive).
    const tol = Math.max(0.1 * Math.abs(want.deltaPplPct), 100 * got.ln_ppl_ratio_err!);
    expect(Math.abs(got.delta_ppl_pct - want.deltaPplPct), `ΔPPL ${got.delta_ppl_pct} vs ${want.deltaPplPct}`).toBeLessThan(tol);
    expect(want.klMean).toBeGreaterThan(1e-4); // a lossy codec: the comparisons below are not 0 vs 0
    expect(rel(got.kl_mean, want.klMean), `KL ${got.kl_mean} vs ${want.klMean}`).toBeLessThan(0.1);
    expect(rel(got.kl_p99, want.klP99), `KL p99 ${got.kl_p99} vs ${want.klP99}`).toBeLessThan(0.1);
    expect(Math.abs(got.top1_agree - want.top1), "top-1").toBeLessThan(0.01);
  });

  it("q8_0 costs under 0.1% perplexity at TP 2 and 4, in both implementations", () => {
    for (const tp of [2, 4]) {
      const want = oracle(m, windows, tp, resolveCodec("q8_0"));
      const got = evalJson(tp, "q8_0");
      expect(Math.abs(want.deltaPplPct)).toBeLessThan(0.1);
      expect(Math.abs(got.delta_ppl_pct)).toBeLessThan(0.1);
      expect(got.kl_mean).toBeGreaterThan(0);
      expect(rel(got.kl_mean, want.klMean)).toBeLessThan(0.1);
    }
  });
});
