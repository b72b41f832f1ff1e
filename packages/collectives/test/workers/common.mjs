// Helpers shared by the test worker modules (plain JS: workers run compiled code, not vitest's TS).

/** Deterministic PRNG (quant-wasm's one seeded PRNG, mulberry32): identical sequences on every rank for the same seed. */
export { makeRng as rng } from "@tensorwire/quant-wasm/testing";

/** FNV-1a over the bits of a Float32Array (cross-rank bit-identity checks). */
export function hashF32(a) {
  const u = new Uint32Array(a.buffer, a.byteOffset, a.length);
  let h = 0x811c9dc5;
  for (let i = 0; i < u.length; i++) {
    h = Math.imul(h ^ (u[i] & 0xffff), 0x01000193);
    h = Math.imul(h ^ (u[i] >>> 16), 0x01000193);
  }
  return (h >>> 0).toString(16) + ":" + a.length;
}

/** Exactly representable inputs: x_q[i] = i*stride + q (integers < 2^24). */
export function exactInput(n, q, stride) {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = i * stride + q;
  return x;
}

/** Non-exact inputs (sums round): rank q's i-th value, the same function on every rank. */
export function noisyInput(n, q, seed = 1) {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = Math.sin(i * 0.37 + q * 1.3 + seed) * (1 + (i % 7)) * 10.123 + q * 0.001;
  return x;
}

/** Σ_q x_q in rank order 0..p−1 with f32 rounding after every add (the one/two-shot order). */
export function rankOrderSum(inputs) {
  const n = inputs[0].length, out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let s = inputs[0][i];
    for (let q = 1; q < inputs.length; q++) s = Math.fround(s + inputs[q][i]);
    out[i] = s;
  }
  return out;
}

/** Chunk boundaries used by two-shot/ring (multiples of `align`), independent reimplementation. */
export function chunkStarts(n, p, align) {
  const size = Math.ceil(Math.ceil(n / align) / p) * align;
  const cs = [];
  for (let c = 0; c <= p; c++) cs.push(Math.min(n, c * size));
  return cs;
}

/**
 * The ring's order: chunk c is summed X_c + X_{c+1} + … + X_{c+p−1} (indices mod p), f32 after each add.
 * Segments of `capacity` elements are independent rings.
 */
export function ringOrderSum(inputs, capacity) {
  const p = inputs.length, n = inputs[0].length, out = new Float32Array(n);
  for (let off = 0; off < n || off === 0; off += capacity) {
    const len = Math.min(capacity, n - off);
    if (len <= 0) break;
    const cs = chunkStarts(len, p, 16);
    for (let c = 0; c < p; c++) {
      for (let i = cs[c]; i < cs[c + 1]; i++) {
        let s = inputs[c][off + i];
        for (let k = 1; k < p; k++) s = Math.fround(s + inputs[(c + k) % p][off + i]);
        out[off + i] = s;
      }
    }
  }
  return out;
}

export function countDiff(a, b) {
  let bad = 0, first = -1;
  for (let i = 0; i < a.length; i++) {
    if (!Object.is(a[i], b[i])) {
      if (first < 0) first = i;
      bad++;
    }
  }
  return { bad, first, got: first >= 0 ? a[first] : undefined, want: first >= 0 ? b[first] : undefined };
}
