// @tensorwire/quant-wasm/testing: the seeded PRNG and test-data generators shared by the tests and
// benchmarks of quant-wasm and @tensorwire/collectives (one copy; deterministic for a given seed, the
// same sequence in every runtime and on every thread). Not used by the codecs themselves.

/** A seeded PRNG (mulberry32): returns uniforms in [0, 1). Every call of the result advances it. */
export function makeRng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random integer in [lo, hi] (both inclusive). */
export function randInt(rng: () => number, lo: number, hi: number): number {
  return lo + Math.floor(rng() * (hi - lo + 1));
}

/** n samples of N(0, sigma²) as f32 (Box-Muller over makeRng(seed)). */
export function normals(n: number, seed: number, sigma = 1): Float32Array {
  const rng = makeRng(seed);
  const x = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const u1 = 1 - rng(); // (0, 1]
    const u2 = rng();
    const r = Math.sqrt(-2 * Math.log(u1)) * sigma;
    x[i] = r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < n) x[i + 1] = r * Math.sin(2 * Math.PI * u2);
  }
  return x;
}

/** Normal data with activation-like outliers: ~1% of entries ×(20..2000), a few ×1e4 and channel spikes. */
export function withOutliers(n: number, seed: number): Float32Array {
  const x = normals(n, seed);
  const rng = makeRng(seed ^ 0x5eed);
  for (let i = 0; i < n; i++) {
    const r = rng();
    if (r < 0.01) x[i] = x[i]! * (20 + rng() * 1980);
    else if (r < 0.0112) x[i] = x[i]! * 1e4;
  }
  for (let i = 7; i < n; i += 97) x[i] = x[i]! * 300; // a fixed "outlier channel"
  return x;
}
