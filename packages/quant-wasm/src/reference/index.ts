// @tensorwire/quant-wasm/reference: the scalar TypeScript implementation of FORMATS.md.
// Readable and independent of the AssemblyScript kernels; used as their test oracle and as the
// benchmark's scalar-JS baseline.
export {
  referenceQuantize, referenceDequantize, referenceDequantizeAccumulate, referenceReduceQuantize,
} from "./codecs.js";
export type { QuantizeResult } from "./codecs.js";
export {
  MINIFLOAT_KINDS, minifloatInfo, encodeMinifloat, encodeMinifloatStochastic, decodeMinifloat,
  e8m0ScaleOf, decodeE8m0, stochasticUniform,
} from "./minifloat.js";
export type { MinifloatKind, MinifloatInfo } from "./minifloat.js";
export { encodeFp16, decodeFp16, encodeBf16, decodeBf16, roundHalfEven } from "./half.js";
