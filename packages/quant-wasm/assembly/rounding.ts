// Stochastic rounding's counter-based uniform source (FORMATS.md section 4), shared by every family.
// MUST MATCH src/reference (the TS oracle computes the same hash).

/** Uniform u in [0, 1) for global element index i and the caller's seed. */
// @ts-ignore: decorator
@inline export function srUniform(i: u32, seed: u32): f32 {
  let h = i * 0x9e3779b9 + seed;
  h ^= h >>> 16;
  h *= 0x7feb352d;
  h ^= h >>> 15;
  h *= 0x846ca68b;
  h ^= h >>> 16;
  return <f32>(h >>> 8) * <f32>5.9604644775390625e-8;
}
