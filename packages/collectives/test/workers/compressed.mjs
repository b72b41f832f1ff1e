// Rank function for test/compressed.test.ts: compressed all-reduce against the exact f32 sum, with a
// per-element error bound derived from the codec's worst-case error (computed by the test host).
import { hashF32, rankOrderSum } from "./common.mjs";

/** Rank q's input: smooth values of different magnitude per block, a few outliers, some zero blocks. */
export function input(n, q, seed) {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const blk = i >> 5;
    const mag = 2 ** (((blk * 7 + q * 3 + seed) % 9) - 4); // block amax varies over 2^-4 … 2^4
    let v = Math.sin(i * 0.731 + q * 2.1 + seed) * mag;
    if ((i * 2654435761 + q) % 997 === 0) v *= 20; // outliers
    if (blk % 13 === 5) v = 0; // all-zero blocks decode to exact zeros
    x[i] = v;
  }
  return x;
}

/** max |x| over each block of `block` elements (block 1 → |x|), aligned to the start. */
function blockAmax(x, block) {
  const b = Math.max(1, block), out = new Float64Array(x.length);
  for (let s = 0; s < x.length; s += b) {
    let m = 0;
    const e = Math.min(x.length, s + b);
    for (let i = s; i < e; i++) m = Math.max(m, Math.abs(x[i]));
    for (let i = s; i < e; i++) out[i] = m;
  }
  return out;
}

/**
 * Rank q's input with special values: NaNs with a rank-specific payload and sign, ±Inf, values near
 * the f32 maximum (sums overflow) and subnormals, at rank-dependent positions (some coincide).
 */
export function specialInput(n, q, seed) {
  const x = input(n, q, seed);
  const u = new Uint32Array(x.buffer);
  for (let i = 0; i < n; i++) {
    if (i % 97 === (q * 7) % 97) u[i] = ((q & 1) << 31 | 0x7fc00000 | (q + 1)) >>> 0; // NaN, payload q + 1
    else if (i % 89 === (q * 5 + 1) % 89) x[i] = q & 1 ? -Infinity : Infinity;
    else if (i % 83 === q % 83) x[i] = (i & 1 ? -3e38 : 3e38);
    else if (i % 79 === q % 79) x[i] = (i & 2 ? -1 : 1) * 1e-40;
  }
  return x;
}

export default function (comm, { cases, E, block, tensorSlack, special = false }) {
  const p = comm.worldSize, r = comm.rank;
  const failures = [], hashes = {}, worst = {};
  if (special) {
    // Special values: the results must be bit-identical on every rank (the host compares hashes),
    // NaN wherever an input was NaN, and the call must neither throw nor hang.
    for (const { n, codec, scheme, algorithm, seed } of cases) {
      const inputs = [];
      for (let q = 0; q < p; q++) inputs.push(specialInput(n, q, seed));
      const out = new Float32Array(n);
      comm.allReduce(inputs[r], codec ? { codec, scheme, output: out } : { algorithm, compress: false, output: out });
      const label = codec ? `${codec}/${scheme}` : algorithm;
      hashes[`${label}/${n}`] = hashF32(out);
      for (let i = 0; i < n; i++) {
        if (inputs.some((x) => Number.isNaN(x[i])) && !Number.isNaN(out[i])) {
          failures.push(`${label} n=${n}: out[${i}] = ${out[i]} where an input is NaN`);
          break;
        }
      }
    }
    return { failures, hashes, worst };
  }
  for (const { n, codec, scheme, seed } of cases) {
    for (const round of [0, 1]) {
      const inputs = [];
      for (let q = 0; q < p; q++) inputs.push(input(n, q, seed + round));
      const exact = rankOrderSum(inputs);
      const out = new Float32Array(n);
      const zc = round === 1 && n <= comm.capacity;
      let src = inputs[r];
      if (zc) { src = comm.alloc(n); src.set(inputs[r]); }
      comm.allReduce(src, { codec, scheme, output: zc ? undefined : out });
      const got = zc ? Float32Array.from(src) : out;
      const last = comm.stats.last;
      if (p > 1 && (last.codec === null || last.scheme !== scheme)) failures.push(`n=${n} ${scheme}: stats say codec ${last.codec}, scheme ${last.scheme}`);
      hashes[`${scheme}/${n}/${round}`] = hashF32(got);
      // The bound is checked on one rank per case (the others' bits are compared by hash on the host).
      if (r !== (n + round) % p) continue;
      // bound: Σ_q E·amax_block(x_q) (one quantization each) [+ E·amax_block(sum of decoded) for two-shot]
      //        + per-tensor slack (nvfp4) + f32 summation rounding
      const am = inputs.map((x) => blockAmax(x, block));
      const G = inputs.map((x) => x.reduce((m, v) => Math.max(m, Math.abs(v)), 0));
      let worstRatio = 0, bad = 0, firstBad = "";
      for (let i = 0; i < n; i++) {
        let sA = 0, sAbs = 0, sG = 0;
        for (let q = 0; q < p; q++) { sA += am[q][i]; sAbs += Math.abs(inputs[q][i]); sG += G[q]; }
        let bound = E * sA + tensorSlack * sG;
        if (scheme === "two-shot" && p > 1) bound += E * (1 + E) * sA + tensorSlack * (1 + E) * sG;
        bound += (p + 2) * 2 ** -23 * ((1 + E) * sA + sAbs);
        const err = Math.abs(got[i] - exact[i]);
        if (!(err <= bound)) { if (!bad) firstBad = `i=${i} got ${got[i]} exact ${exact[i]} bound ${bound}`; bad++; }
        if (bound > 0) worstRatio = Math.max(worstRatio, err / bound);
        else if (err > 0) worstRatio = Infinity;
      }
      if (bad) failures.push(`${JSON.stringify(codec)} ${scheme} n=${n} round ${round}: ${bad} elements over the bound, first ${firstBad}`);
      worst[`${scheme}/${n}`] = Math.max(worst[`${scheme}/${n}`] ?? 0, worstRatio);
    }
  }
  return { failures, hashes, worst };
}
