// Worst-case |error| / block amax of one quantization, per format at its default codec, derived from
// the format definitions in quant-wasm's FORMATS.md (independent of the kernels):
// - MX (E8M0 floor scale, X = floor(log2 amax) − emax): the block max lands in [2^emax, 2^(emax+1));
//   error ≤ max(half the spacing of the top binade, clipping 2^(emax+1) − maxfinite) relative to the
//   smallest such amax, i.e. max(2^(emax−m−1), 2^(emax+1) − M)/2^emax with the clip term over 2^(emax+1).
// - amax/qmax integer scales: half a step (1/(2·qmax)) plus the FP16 rounding of the scale (2^-11, ×2).
// - nvfp4: E2M1 with an exact-ish scale d ≈ amax/6 rounded to UE4M3 (3 mantissa bits): (1/6)(1 + 2^-4)
//   rounded up to 0.2, plus a per-tensor slack for blocks far below the tensor max (UE4M3 subnormals).
// - casts: relative rounding of each element (fp16 2^-11, bf16 2^-8; block 1); fp16 adds an
//   absolute 2^-25 for its subnormals (folded into tensorSlack with the tensor max ≥ 1).
import type { FormatName } from "@tensorwire/quant-wasm";

function mx(emax: number, mbits: number, maxFinite: number): number {
  return Math.max(2 ** (emax - mbits - 1) / 2 ** emax, (2 ** (emax + 1) - maxFinite) / 2 ** (emax + 1));
}

export interface Bound { E: number; block: number; tensorSlack: number }

export const BOUNDS: Record<FormatName, Bound> = {
  "f32": { E: 0, block: 1, tensorSlack: 0 },
  "fp16": { E: 2 ** -11, block: 1, tensorSlack: 2 ** -25 },
  "bf16": { E: 2 ** -8, block: 1, tensorSlack: 0 },
  "q8_0": { E: 1 / 254 + 2 ** -10, block: 32, tensorSlack: 0 },
  "q4_0": { E: 1 / 8 + 2 ** -10, block: 32, tensorSlack: 0 },
  "int8": { E: 1 / 254 + 2 ** -10, block: 32, tensorSlack: 0 },
  "int4": { E: 1 / 14 + 2 ** -10, block: 32, tensorSlack: 0 },
  "mxfp8-e4m3": { E: mx(8, 3, 448), block: 32, tensorSlack: 0 },
  "mxfp8-e5m2": { E: mx(15, 2, 57344), block: 32, tensorSlack: 0 },
  "mxfp6-e2m3": { E: mx(2, 3, 7.5), block: 32, tensorSlack: 0 },
  "mxfp6-e3m2": { E: mx(4, 2, 28), block: 32, tensorSlack: 0 },
  "mxfp4": { E: mx(2, 1, 6), block: 32, tensorSlack: 0 },
  "mxint8": { E: 1 / 128, block: 32, tensorSlack: 0 },
  "fp5-e2m2": { E: mx(2, 2, 7), block: 32, tensorSlack: 0 },
  "fp5-e3m1": { E: mx(4, 1, 24), block: 32, tensorSlack: 0 },
  "fp4-e2m1": { E: mx(2, 1, 6), block: 32, tensorSlack: 0 },
  "nvfp4": { E: 0.2, block: 16, tensorSlack: 2 ** -12 },
};
