// Minifloat block formats: mxfp8-e4m3/e5m2, mxfp6-e2m3/e3m2, mxfp4, mxint8 (E8M0 scale, B = 32) and
// fp5-e2m2/e3m1, fp4-e2m1 (E8M0 or FP16 scale, B = 8..128). FORMATS.md sections 2-5.
import {
  descFormat, descBlock, descScale, descRounding,
  FMT_MXFP8_E4M3, FMT_MXFP8_E5M2, FMT_MXFP6_E2M3, FMT_MXFP6_E3M2, FMT_MXFP4, FMT_MXINT8,
  FMT_FP5_E2M2, FMT_FP5_E3M1, FMT_FP4_E2M1, SCALE_FP16, ERR_FORMAT,
} from "./formats";
import {
  EK_E2M1, EK_E2M2, EK_E3M1, EK_E2M3, EK_E3M2, EK_E4M3, EK_E5M2, EK_INT8,
  ekBits, encodeBlockScalar, decodeBlockScalar, e8m0Value,
} from "./mf-scalar";
import { f16ToF32 } from "./half";
import { dE2M1, dE2M2, dE3M1, dE2M3, dE3M2, dE4M3, dE5M2, dINT8 } from "./mf-decode";
import { qE2M1, qE2M2, qE3M1, qE2M3, qE3M2, qE4M3, qE5M2, qINT8 } from "./mf-encode";

/** Element kind of a minifloat-family format id, or -1. */
function ekOfFormat(fmt: i32): i32 {
  switch (fmt) {
    case FMT_MXFP8_E4M3: return EK_E4M3;
    case FMT_MXFP8_E5M2: return EK_E5M2;
    case FMT_MXFP6_E2M3: return EK_E2M3;
    case FMT_MXFP6_E3M2: return EK_E3M2;
    case FMT_MXFP4: case FMT_FP4_E2M1: return EK_E2M1;
    case FMT_MXINT8: return EK_INT8;
    case FMT_FP5_E2M2: return EK_E2M2;
    case FMT_FP5_E3M1: return EK_E3M1;
    default: return -1;
  }
}

/** Scalar quantizer for blocks [k0, k1) (block k1-1 may be partial: n bounds it). */
function quantizeBlocksScalar(
  ek: i32, B: i32, sk: i32, stoch: bool, seed: u32, index0: u32,
  src: usize, n: u32, dst: usize, k0: u32, k1: u32,
): i32 {
  const blockBytes = <usize>((sk == SCALE_FP16 ? 2 : 1) + ((B * ekBits(ek)) >> 3));
  let clipped = 0;
  for (let k = k0; k < k1; k++) {
    const first = k * <u32>B;
    const count = <i32>min<u32>(<u32>B, n - first);
    clipped += encodeBlockScalar(
      ek, B, sk, stoch, seed, index0 + first,
      src + (<usize>first << 2), count, dst + <usize>k * blockBytes, 0, 0,
    );
  }
  return clipped;
}

export function mfQuantize(desc: u32, src: usize, n: u32, dst: usize, seed: u32, index0: u32): i32 {
  const ek = ekOfFormat(descFormat(desc));
  if (ek < 0) return ERR_FORMAT;
  const B = descBlock(desc);
  const sk = descScale(desc);
  const stoch = descRounding(desc) == 1;
  const nBlocks = (n + <u32>B - 1) / <u32>B;
  if (stoch) return quantizeBlocksScalar(ek, B, sk, stoch, seed, index0, src, n, dst, 0, nBlocks);
  // groups of 4 full blocks in SIMD, the rest (at most 3 full blocks and a partial one) scalar
  const ng = (n / <u32>B) >> 2;
  const fp16 = sk == SCALE_FP16;
  let clipped = 0;
  if (ng > 0) {
    switch (ek) {
      case EK_E2M1: clipped = qE2M1(src, ng, dst, B, fp16); break;
      case EK_E2M2: clipped = qE2M2(src, ng, dst, B, fp16); break;
      case EK_E3M1: clipped = qE3M1(src, ng, dst, B, fp16); break;
      case EK_E2M3: clipped = qE2M3(src, ng, dst); break;
      case EK_E3M2: clipped = qE3M2(src, ng, dst); break;
      case EK_E4M3: clipped = qE4M3(src, ng, dst); break;
      case EK_E5M2: clipped = qE5M2(src, ng, dst); break;
      default: clipped = qINT8(src, ng, dst); break;
    }
  }
  return clipped + quantizeBlocksScalar(ek, B, sk, false, 0, 0, src, n, dst, ng << 2, nBlocks);
}

export function mfDequantize(desc: u32, src: usize, n: u32, dst: usize, acc: bool): void {
  const ek = ekOfFormat(descFormat(desc));
  if (ek < 0) return;
  const B = descBlock(desc);
  const sk = descScale(desc);
  const S: usize = sk == SCALE_FP16 ? 2 : 1;
  const blockBytes = S + <usize>((B * ekBits(ek)) >> 3);
  const nBlocks = (n + <u32>B - 1) / <u32>B;
  const nFull = n / <u32>B;
  if (nFull > 0) {
    switch (ek) {
      case EK_E2M1: dE2M1(src, nFull, dst, B, sk, acc, 0); break;
      case EK_E2M2: dE2M2(src, nFull, dst, B, sk, acc); break;
      case EK_E3M1: dE3M1(src, nFull, dst, B, sk, acc); break;
      case EK_E2M3: dE2M3(src, nFull, dst, acc); break;
      case EK_E3M2: dE3M2(src, nFull, dst, acc); break;
      case EK_E4M3: dE4M3(src, nFull, dst, acc); break;
      case EK_E5M2: dE5M2(src, nFull, dst, acc); break;
      default: dINT8(src, nFull, dst, acc); break;
    }
  }
  for (let k: u32 = nFull; k < nBlocks; k++) {
    const p = src + <usize>k * blockBytes;
    const sv = sk == SCALE_FP16 ? f16ToF32(<u32>load<u16>(p)) : e8m0Value(<u32>load<u8>(p));
    const first = k * <u32>B;
    const count = <i32>min<u32>(<u32>B, n - first);
    decodeBlockScalar(ek, B, p + S, sv, count, dst + (<usize>first << 2), acc);
  }
}
