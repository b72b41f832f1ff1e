// @tensorwire/tp-model/reference: the scalar oracles (KERNELS.md for the kernels).
export {
  refPanelFloats, refPack, refMatmul, refRmsnorm, refRope, refAttention, refSwiglu, refAdd, fmaPeakFlops,
} from "./kernels.js";
