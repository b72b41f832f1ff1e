// Scalar IEEE-754 binary16 (fp16) and bfloat16 (bf16) conversions, computed arithmetically
// (floor(log2), power-of-two scaling, explicit round-half-to-even) rather than with bit tricks,
// so that they are an independent oracle for the kernels (FORMATS.md sections 4 and 5).
// Every value handled here is an f32 value held exactly in a JS double.

/** Shape of a binary interchange format with an IEEE all-ones exponent (Inf/NaN). */
interface BinaryFormat {
  /** Explicit mantissa bits. */
  readonly mant: number;
  /** Exponent bias. */
  readonly bias: number;
  /** The all-ones exponent field (Inf/NaN). */
  readonly expOnes: number;
  /** The quiet NaN code (positive). */
  readonly qnan: number;
}

const FP16: BinaryFormat = { mant: 10, bias: 15, expOnes: 31, qnan: 0x7e00 };
const BF16: BinaryFormat = { mant: 7, bias: 127, expOnes: 255, qnan: 0x7fc0 };

const POW2_OFFSET = 400;
const POW2 = new Float64Array(2 * POW2_OFFSET + 1);
for (let k = 0; k < POW2.length; k++) POW2[k] = Math.pow(2, k - POW2_OFFSET);

/** 2^e for an integer e in [-400, 400], exact. */
export function pow2(e: number): number {
  return POW2[e + POW2_OFFSET]!;
}

/** floor(log2(a)) for a finite a > 0, exact (Math.log2 corrected against exact powers of two). */
export function floorLog2(a: number): number {
  let e = Math.floor(Math.log2(a));
  if (pow2(e) > a) e--;
  else if (pow2(e + 1) <= a) e++;
  return e;
}

/** Round a double to an integer, ties to even (the argument must be exact, which all callers ensure). */
export function roundHalfEven(y: number): number {
  const f = Math.floor(y);
  const r = y - f;
  if (r > 0.5) return f + 1;
  if (r < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** True for −0.0 and negative numbers (NaN: false). */
export function signBitOf(v: number): boolean {
  return v < 0 || (v === 0 && 1 / v < 0);
}

function encodeBinary(v: number, f: BinaryFormat): number {
  if (v !== v) return f.qnan;
  const sign = signBitOf(v) ? 0x8000 : 0;
  const a = Math.abs(v);
  if (a === 0) return sign;
  if (a === Infinity) return sign | (f.expOnes << f.mant);
  // exponent of the binade holding a; below the normal range the spacing stays at 2^(1-bias-mant)
  let e = floorLog2(a);
  if (e < 1 - f.bias) e = 1 - f.bias;
  // integer significand q in units of 2^(e-mant): exact division by a power of two, then RNE
  let q = roundHalfEven(a / pow2(e - f.mant));
  const implicit = 1 << f.mant;
  if (q < implicit) return sign | q; // subnormal (e is the minimum exponent here)
  if (q === 2 * implicit) { // rounded up into the next binade
    q = implicit;
    e++;
  }
  const field = e + f.bias;
  if (field >= f.expOnes) return sign | (f.expOnes << f.mant); // IEEE overflow to Inf
  return sign | (field << f.mant) | (q - implicit);
}

function decodeBinary(code: number, f: BinaryFormat): number {
  const neg = (code & 0x8000) !== 0;
  const field = (code >>> f.mant) & f.expOnes;
  const m = code & ((1 << f.mant) - 1);
  let a: number;
  if (field === f.expOnes) a = m === 0 ? Infinity : NaN;
  else if (field === 0) a = m * pow2(1 - f.bias - f.mant);
  else a = ((1 << f.mant) + m) * pow2(field - f.bias - f.mant);
  return neg ? -a : a;
}

/**
 * IEEE binary16 code (u16) of an f32 value: round to nearest, ties to even; overflow gives ±Inf;
 * NaN gives the positive quiet NaN 0x7E00 (callers that know the NaN's sign OR in 0x8000).
 */
export function encodeFp16(v: number): number {
  return encodeBinary(v, FP16);
}

/** The exact value of an IEEE binary16 code (Inf and NaN codes decode to Inf and NaN). */
export function decodeFp16(code: number): number {
  return decodeBinary(code & 0xffff, FP16);
}

/**
 * bfloat16 code (u16) of an f32 value: round to nearest, ties to even; overflow gives ±Inf;
 * NaN gives the positive quiet NaN 0x7FC0 (callers that know the NaN's sign OR in 0x8000).
 */
export function encodeBf16(v: number): number {
  return encodeBinary(v, BF16);
}

/** The exact value of a bfloat16 code. */
export function decodeBf16(code: number): number {
  return decodeBinary(code & 0xffff, BF16);
}
