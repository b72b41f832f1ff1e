// Format ids, scale kinds and descriptor fields of the codec ABI.
// MUST MATCH src/formats.ts and FORMATS.md section 1 (the three are one contract).

export const FMT_F32: i32 = 0;
export const FMT_FP16: i32 = 1;
export const FMT_BF16: i32 = 2;
export const FMT_Q8_0: i32 = 8;
export const FMT_Q4_0: i32 = 9;
export const FMT_INT8: i32 = 10;
export const FMT_INT4: i32 = 11;
export const FMT_MXFP8_E4M3: i32 = 16;
export const FMT_MXFP8_E5M2: i32 = 17;
export const FMT_MXFP6_E2M3: i32 = 18;
export const FMT_MXFP6_E3M2: i32 = 19;
export const FMT_MXFP4: i32 = 20;
export const FMT_MXINT8: i32 = 21;
export const FMT_FP5_E2M2: i32 = 24;
export const FMT_FP5_E3M1: i32 = 25;
export const FMT_FP4_E2M1: i32 = 26;
export const FMT_NVFP4: i32 = 32;

export const SCALE_NONE: i32 = 0;
export const SCALE_FP16: i32 = 1;
export const SCALE_BF16: i32 = 2;
export const SCALE_F32: i32 = 3;
export const SCALE_E8M0: i32 = 4;
export const SCALE_UE4M3: i32 = 5;

export const ROUND_RNE: i32 = 0;
export const ROUND_STOCHASTIC: i32 = 1;

export const ERR_FORMAT: i32 = -1;
export const ERR_BLOCK: i32 = -2;
export const ERR_SCALE: i32 = -3;
export const ERR_ROUNDING: i32 = -4;
export const ERR_ARGUMENT: i32 = -5;

// @ts-ignore: decorator
@inline export function descFormat(desc: u32): i32 { return <i32>(desc & 0xff); }
// @ts-ignore: decorator
@inline export function descBlock(desc: u32): i32 { return <i32>((desc >>> 8) & 0xff); }
// @ts-ignore: decorator
@inline export function descScale(desc: u32): i32 { return <i32>((desc >>> 16) & 0xf); }
// @ts-ignore: decorator
@inline export function descRounding(desc: u32): i32 { return <i32>((desc >>> 20) & 1); }

/** Bytes of the scale field for a scale kind. */
export function scaleBytes(scale: i32): i32 {
  if (scale == SCALE_FP16 || scale == SCALE_BF16) return 2;
  if (scale == SCALE_F32) return 4;
  if (scale == SCALE_E8M0 || scale == SCALE_UE4M3) return 1;
  return 0;
}

/** Element width in bits (casts: 32/16/16). 0 for an unknown format. */
export function elementBits(fmt: i32): i32 {
  switch (fmt) {
    case FMT_F32: return 32;
    case FMT_FP16: case FMT_BF16: return 16;
    case FMT_Q8_0: case FMT_INT8: case FMT_MXFP8_E4M3: case FMT_MXFP8_E5M2: case FMT_MXINT8: return 8;
    case FMT_MXFP6_E2M3: case FMT_MXFP6_E3M2: return 6;
    case FMT_FP5_E2M2: case FMT_FP5_E3M1: return 5;
    case FMT_Q4_0: case FMT_INT4: case FMT_MXFP4: case FMT_FP4_E2M1: case FMT_NVFP4: return 4;
    default: return 0;
  }
}

function isVariableBlock(b: i32): bool {
  return b == 8 || b == 16 || b == 32 || b == 64 || b == 128;
}

/** 0 when the descriptor is valid, else a negative error code (FORMATS.md section 6). */
export function validate(desc: u32): i32 {
  if ((desc >>> 21) != 0) return ERR_ROUNDING;
  const fmt = descFormat(desc), b = descBlock(desc), s = descScale(desc), r = descRounding(desc);
  switch (fmt) {
    case FMT_F32: case FMT_FP16: case FMT_BF16:
      if (b != 0) return ERR_BLOCK;
      if (s != SCALE_NONE) return ERR_SCALE;
      if (r != ROUND_RNE) return ERR_ROUNDING;
      return 0;
    case FMT_Q8_0: case FMT_Q4_0:
      if (b != 32) return ERR_BLOCK;
      if (s != SCALE_FP16) return ERR_SCALE;
      if (r != ROUND_RNE) return ERR_ROUNDING;
      return 0;
    case FMT_INT8: case FMT_INT4:
      if (!isVariableBlock(b)) return ERR_BLOCK;
      if (s != SCALE_FP16 && s != SCALE_BF16 && s != SCALE_F32) return ERR_SCALE;
      return 0;
    case FMT_MXFP8_E4M3: case FMT_MXFP8_E5M2: case FMT_MXFP6_E2M3: case FMT_MXFP6_E3M2:
    case FMT_MXFP4: case FMT_MXINT8:
      if (b != 32) return ERR_BLOCK;
      if (s != SCALE_E8M0) return ERR_SCALE;
      return 0;
    case FMT_FP5_E2M2: case FMT_FP5_E3M1: case FMT_FP4_E2M1:
      if (!isVariableBlock(b)) return ERR_BLOCK;
      if (s != SCALE_E8M0 && s != SCALE_FP16) return ERR_SCALE;
      return 0;
    case FMT_NVFP4:
      if (b != 16) return ERR_BLOCK;
      if (s != SCALE_UE4M3) return ERR_SCALE;
      return 0;
    default:
      return ERR_FORMAT;
  }
}

/** Packed bytes for n elements of a valid descriptor. */
export function bytesFor(desc: u32, n: u32): u64 {
  const fmt = descFormat(desc);
  const bits = elementBits(fmt);
  if (fmt == FMT_F32 || fmt == FMT_FP16 || fmt == FMT_BF16) return <u64>n * <u64>(bits >> 3);
  const b = <u64>descBlock(desc);
  const blocks = (<u64>n + b - 1) / b;
  const blockBytes = <u64>scaleBytes(descScale(desc)) + (b * <u64>bits) / 8;
  return (fmt == FMT_NVFP4 ? 4 : 0) + blocks * blockBytes;
}
