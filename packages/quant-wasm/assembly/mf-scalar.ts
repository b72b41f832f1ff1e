// Scalar minifloat element codecs and whole-block encoders/decoders (FORMATS.md sections 2-5).
// Used for partial last blocks, blocks with non-finite values, stochastic rounding and nvfp4's rare
// paths; the SIMD kernels in minifloat.ts / nvfp4.ts use the same arithmetic four lanes at a time.
import { f32ToF16, f16ToF32 } from "./half";
import { srUniform } from "./rounding";
export { srUniform };

// Element kinds (internal to the minifloat family; not part of the ABI).
export const EK_E2M1: i32 = 0;
export const EK_E2M2: i32 = 1;
export const EK_E3M1: i32 = 2;
export const EK_E2M3: i32 = 3;
export const EK_E3M2: i32 = 4;
export const EK_E4M3: i32 = 5;
export const EK_E5M2: i32 = 6;
export const EK_INT8: i32 = 7; // mxint8: int8 x 2^-6

/** Element width in bits. */
export function ekBits(ek: i32): i32 {
  switch (ek) {
    case EK_E2M1: return 4;
    case EK_E2M2: case EK_E3M1: return 5;
    case EK_E2M3: case EK_E3M2: return 6;
    default: return 8;
  }
}
/** Mantissa bits. */
export function ekMant(ek: i32): i32 {
  switch (ek) {
    case EK_E2M1: case EK_E3M1: return 1;
    case EK_E2M2: case EK_E3M2: case EK_E5M2: return 2;
    default: return 3;
  }
}
/** Exponent bias. */
export function ekBias(ek: i32): i32 {
  switch (ek) {
    case EK_E2M1: case EK_E2M2: case EK_E2M3: return 1;
    case EK_E3M1: case EK_E3M2: return 3;
    case EK_E4M3: return 7;
    default: return 15;
  }
}
/** Largest finite magnitude as f32 bits. */
export function ekMaxBits(ek: i32): u32 {
  switch (ek) {
    case EK_E2M1: return 0x40c00000; // 6
    case EK_E2M2: return 0x40e00000; // 7
    case EK_E3M1: return 0x41c00000; // 24
    case EK_E2M3: return 0x40f00000; // 7.5
    case EK_E3M2: return 0x41e00000; // 28
    case EK_E4M3: return 0x43e00000; // 448
    case EK_E5M2: return 0x47600000; // 57344
    default: return 0x42fe0000; // 127 (mxint8 code range)
  }
}
/** emax of the E8M0 rule (floor(log2(max finite)); 0 for mxint8). */
export function ekEmax(ek: i32): i32 {
  switch (ek) {
    case EK_E2M1: case EK_E2M2: case EK_E2M3: return 2;
    case EK_E3M1: case EK_E3M2: return 4;
    case EK_E4M3: return 8;
    case EK_E5M2: return 15;
    default: return 0;
  }
}

/**
 * Saturating round-to-nearest-even magnitude code of a >= 0 (a may be +Inf; not NaN) for a
 * minifloat with M mantissa bits, bias b and max finite maxv. The FPU addition does the rounding:
 * C = 2^(e' + 23 - M), e' = max(exponent(a), 1 - b), has an ulp equal to the element's spacing at a,
 * so bits(a + C) - bits(C) counts element ulps; adding (e' - emin) << M gives the code.
 */
// @ts-ignore: decorator
@inline export function encMag(a: f32, M: i32, b: i32, maxv: f32): u32 {
  const c = a > maxv ? maxv : a;
  const ab = reinterpret<i32>(c);
  const emin = (128 - b) << 23;
  let e = ab & 0x7f800000;
  if (e < emin) e = emin;
  const C = e + ((23 - M) << 23);
  const s = reinterpret<i32>(c + reinterpret<f32>(C));
  return <u32>((s - C) + ((e - emin) >>> (23 - M)));
}

/** RNE code with the element parameters given (nb bits, M mantissa bits, bias b, max finite). */
// @ts-ignore: decorator
@inline function encP(v: f32, nb: i32, M: i32, b: i32, maxv: f32): u32 {
  if (v != v) return 0;
  const sign = (reinterpret<u32>(v) >>> 31) << (nb - 1);
  return sign | encMag(abs<f32>(v), M, b, maxv);
}

/** Stochastic code with the element parameters given. */
// @ts-ignore: decorator
@inline function encStochP(v: f32, nb: i32, M: i32, b: i32, maxv: f32, u: f32): u32 {
  if (v != v) return 0;
  const sign = (reinterpret<u32>(v) >>> 31) << (nb - 1);
  const a = abs<f32>(v);
  let mag: f32;
  if (a >= maxv) {
    mag = maxv;
  } else {
    let e = <i32>((reinterpret<u32>(a) >>> 23) & 0xff);
    if (e < 128 - b) e = 128 - b; // biased exponent of the spacing's binade
    const ulp = reinterpret<f32>((e - M) << 23);
    const inv = reinterpret<f32>((254 - e + M) << 23);
    const lo = Mathf.floor(a * inv) * ulp;
    const hi = lo + ulp;
    const p = (a - lo) / (hi - lo);
    mag = u < p ? hi : lo;
  }
  return sign | encMag(mag, M, b, maxv);
}

/** RNE_int then clamp to +-127 (mxint8 code, two's complement in the low byte). */
// @ts-ignore: decorator
@inline export function encInt8(t: f32): u32 {
  let r = <i32>((t + <f32>12582912.0) - <f32>12582912.0);
  if (r > 127) r = 127;
  if (r < -127) r = -127;
  return <u32>r & 0xff;
}
export function encInt8Stoch(t: f32, u: f32): u32 {
  let r = <i32>Mathf.floor(t + u);
  if (r > 127) r = 127;
  if (r < -127) r = -127;
  return <u32>r & 0xff;
}

/** Element value of code c (exact). */
export function decElem(c: u32, ek: i32): f32 {
  if (ek == EK_INT8) return <f32>(<i8>c) * <f32>0.015625;
  const nb = ekBits(ek), M = ekMant(ek), b = ekBias(ek);
  const mag = c & ((1 << (nb - 1)) - 1);
  const sign = (c >>> (nb - 1)) << 31;
  let v = reinterpret<f32>(mag << (23 - M)) * reinterpret<f32>((254 - b) << 23);
  if (ek == EK_E4M3 && mag == 0x7f) v = NaN;
  if (ek == EK_E5M2 && mag >= 0x7c) v = mag == 0x7c ? Infinity : NaN;
  return reinterpret<f32>(reinterpret<u32>(v) | sign);
}


/** E8M0 scale byte -> scale value 2^(X-127) (X = 0xFF: NaN). */
// @ts-ignore: decorator
@inline export function e8m0Value(x: u32): f32 {
  return reinterpret<f32>(x == 0 ? 0x00400000 : x == 0xff ? 0x7fc00000 : x << 23);
}

/** 2^(127 - X) for an E8M0 byte X in 0..254 (X = 254: the subnormal 2^-127). */
// @ts-ignore: decorator
@inline export function e8m0Mul(x: u32): f32 {
  return reinterpret<f32>(x >= 254 ? 0x00400000 : (254 - x) << 23);
}

/** Write code c of element i into an element field of a B-element block (field pre-zeroed for nb < 8). */
// @ts-ignore: decorator
@inline export function putCode(el: usize, i: i32, c: u32, nb: i32, B: i32): void {
  if (nb == 8) {
    store<u8>(el + <usize>i, <u8>c);
    return;
  }
  const half = B >> 1;
  const j = i < half ? i : i - half;
  const p = el + <usize>j;
  store<u8>(p, load<u8>(p) | <u8>((c & 0xf) << (i < half ? 0 : 4)));
  if (nb == 5) {
    const q = el + <usize>(half + (i >> 3));
    store<u8>(q, load<u8>(q) | <u8>(((c >> 4) & 1) << (i & 7)));
  } else if (nb == 6) {
    const qb = B >> 2;
    const q = el + <usize>(half + i % qb);
    store<u8>(q, load<u8>(q) | <u8>(((c >> 4) & 3) << ((i / qb) << 1)));
  }
}

/** Read code of element i from an element field of a B-element block. */
// @ts-ignore: decorator
@inline export function getCode(el: usize, i: i32, nb: i32, B: i32): u32 {
  if (nb == 8) return <u32>load<u8>(el + <usize>i);
  const half = B >> 1;
  const j = i < half ? i : i - half;
  let c = (<u32>load<u8>(el + <usize>j) >> (i < half ? 0 : 4)) & 0xf;
  if (nb == 5) {
    c |= ((<u32>load<u8>(el + <usize>(half + (i >> 3))) >> (i & 7)) & 1) << 4;
  } else if (nb == 6) {
    const qb = B >> 2;
    c |= ((<u32>load<u8>(el + <usize>(half + i % qb)) >> ((i / qb) << 1)) & 3) << 4;
  }
  return c;
}

/**
 * Scalar encode of one block of element kind ek from `count` (1..B) f32 values at src (the rest is
 * +0.0 padding) into dst (scale field then element field). scaleKind: 4 e8m0, 1 fp16, 5 ue4m3
 * (nvfp4: `inv` is the block's element multiplier and `code` its scale byte, computed by the caller).
 * Returns 1 when the block is an FP16-overflow ("clipped") block, else 0.
 */
export function encodeBlockScalar(
  ek: i32, B: i32, scaleKind: i32, stoch: bool, seed: u32, gidx: u32,
  src: usize, count: i32, dst: usize, nvInv: f32, nvCode: u32,
): i32 {
  const nb = ekBits(ek);
  const S = scaleKind == 1 ? 2 : 1;
  const el = dst + <usize>S;
  const fieldBytes = (B * nb) >> 3;
  // amax (as bits of |x|: non-finite values compare above every finite one)
  let amaxBits: u32 = 0;
  for (let i = 0; i < count; i++) {
    const a = load<u32>(src + (<usize>i << 2)) & 0x7fffffff;
    if (a > amaxBits) amaxBits = a;
  }
  if (nb != 8) memory.fill(el, 0, <usize>fieldBytes);
  if (amaxBits >= 0x7f800000) {
    if (scaleKind == 1) store<u16>(dst, 0x7e00);
    else if (scaleKind == 5) store<u8>(dst, 0x7f);
    else store<u8>(dst, 0xff);
    if (nb == 8) memory.fill(el, 0, <usize>fieldBytes);
    return 0;
  }
  let mul: f32;
  let clipped = 0;
  if (scaleKind == 4) {
    let x = <i32>(amaxBits >>> 23) - ekEmax(ek);
    if (x < 0) x = 0;
    store<u8>(dst, <u8>x);
    mul = e8m0Mul(<u32>x);
  } else if (scaleKind == 1) {
    const d = reinterpret<f32>(amaxBits) / reinterpret<f32>(ekMaxBits(ek));
    let h = f32ToF16(d);
    if (h == 0x7c00) {
      h = 0x7bff;
      clipped = 1;
    }
    store<u16>(dst, <u16>h);
    const s = f16ToF32(h);
    mul = s != 0 ? <f32>1.0 / s : <f32>0.0;
  } else {
    store<u8>(dst, <u8>nvCode);
    mul = nvInv;
  }
  const M = ekMant(ek), b = ekBias(ek), maxv = reinterpret<f32>(ekMaxBits(ek));
  for (let i = 0; i < B; i++) {
    const x: f32 = i < count ? load<f32>(src + (<usize>i << 2)) : <f32>0.0;
    const v = x * mul;
    let c: u32;
    if (ek == EK_INT8) {
      const t = v * <f32>64.0;
      c = stoch ? encInt8Stoch(t, srUniform(gidx + <u32>i, seed)) : encInt8(t);
    } else {
      c = stoch ? encStochP(v, nb, M, b, maxv, srUniform(gidx + <u32>i, seed)) : encP(v, nb, M, b, maxv);
    }
    putCode(el, i, c, nb, B);
  }
  return clipped;
}

/** Scalar decode of the first `count` elements of one block with scale value sv (acc: dst +=). */
export function decodeBlockScalar(ek: i32, B: i32, el: usize, sv: f32, count: i32, dst: usize, acc: bool): void {
  const nb = ekBits(ek);
  for (let i = 0; i < count; i++) {
    const v = decElem(getCode(el, i, nb, B), ek) * sv;
    const p = dst + (<usize>i << 2);
    if (acc) store<f32>(p, load<f32>(p) + v);
    else store<f32>(p, v);
  }
}
