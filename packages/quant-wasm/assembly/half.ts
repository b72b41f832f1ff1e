// Scalar IEEE binary16 / bfloat16 conversions (RNE), exact bit manipulation on i32.
// Used for per-block scales. SIMD variants live beside the kernels that need them.

/** f32 -> binary16 bits, round to nearest even; overflow -> +-Inf; NaN -> 0x7E00 | sign. */
export function f32ToF16(x: f32): u32 {
  const b = reinterpret<u32>(x);
  const sign = (b >>> 16) & 0x8000;
  const a = b & 0x7fffffff;
  if (a > 0x7f800000) return sign | 0x7e00; // NaN
  if (a >= 0x477ff000) return sign | 0x7c00; // >= 65520 rounds to Inf (and Inf)
  if (a < 0x38800000) {
    // result is subnormal (or zero): value = a * 2^24 rounded to integer, ties even
    // reinterpret |x| and add 0.5f (2^-1) scaled: use the FPU, exact for this range
    const r = reinterpret<f32>(a) + reinterpret<f32>(0x3f000000); // |x| + 0.5
    return sign | (reinterpret<u32>(r) - 0x3f000000);
  }
  // normal: rebias exponent (127 -> 15) and round the 13 dropped mantissa bits to nearest even
  const odd = (a >>> 13) & 1;
  const r = a + 0xc8000fff + odd; // -(112 << 23) + 0xfff + odd, wrapping
  return sign | (r >>> 13);
}

/** binary16 bits -> f32 (exact). */
export function f16ToF32(h: u32): f32 {
  const sign = (h & 0x8000) << 16;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e == 0) {
    // subnormal or zero: m * 2^-24, exact in f32
    return reinterpret<f32>(sign | reinterpret<u32>(<f32>m * reinterpret<f32>(0x33800000)));
  }
  if (e == 31) return reinterpret<f32>(sign | 0x7f800000 | (m << 13));
  return reinterpret<f32>(sign | ((e + 112) << 23) | (m << 13));
}

/** f32 -> bfloat16 bits, round to nearest even; NaN -> 0x7FC0 | sign. */
export function f32ToBF16(x: f32): u32 {
  const b = reinterpret<u32>(x);
  if ((b & 0x7fffffff) > 0x7f800000) return ((b >>> 16) & 0x8000) | 0x7fc0;
  return (b + 0x7fff + ((b >>> 16) & 1)) >>> 16;
}

/** bfloat16 bits -> f32 (exact). */
// @ts-ignore: decorator
@inline export function bf16ToF32(h: u32): f32 {
  return reinterpret<f32>(h << 16);
}
