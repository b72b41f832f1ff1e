// Deterministic synthetic activations for the demo: N(0,1) values with a few outlier channels
// (×20), the shape that makes fine-grained block scales necessary (activation outliers are why the blocks must be small).

/** xorshift32 PRNG → uniform (0, 1). */
function uniform(state: { s: number }): number {
  let s = state.s;
  s ^= s << 13; s ^= s >>> 17; s ^= s << 5;
  state.s = s >>> 0;
  return ((state.s >>> 8) + 0.5) / 16777216;
}

/** Partial activations of one rank: length n, seeded by (seed, rank). */
export function activations(n: number, rank: number, seed: number): Float32Array {
  const st = { s: (seed * 0x9e3779b1 + rank * 0x85ebca6b + 1) >>> 0 || 1 };
  const x = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const u1 = uniform(st), u2 = uniform(st);
    const r = Math.sqrt(-2 * Math.log(u1));
    x[i] = r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < n) x[i + 1] = r * Math.sin(2 * Math.PI * u2);
  }
  // outlier channels: every 97th element (a "hidden dimension" channel) is 20x larger
  for (let i = 13; i < n; i += 97) x[i] = x[i]! * 20;
  return x;
}

/** FNV-1a over the f32 bit patterns, as hex: equal hashes ⇔ (almost surely) bit-identical arrays. */
export function hashF32(a: Float32Array): string {
  const u = new Uint32Array(a.buffer, a.byteOffset, a.length);
  let h = 0x811c9dc5;
  for (let i = 0; i < u.length; i++) {
    h ^= u[i]!;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, "0");
}
