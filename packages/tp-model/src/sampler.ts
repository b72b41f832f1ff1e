// llama2.c's sampler (run.c), exactly: xorshift64* RNG, temperature, softmax, multinomial and top-p
// (nucleus) sampling, greedy argmax at temperature 0. Same seed and logits → same tokens as run.c.
// Arithmetic is f32 as in C (Math.fround after every operation run.c does in float).

const f = Math.fround;
const MASK64 = (1n << 64n) - 1n;

/** run.c's random_u32 / random_f32 on a 64-bit state (BigInt). */
export class XorShiftRng {
  private state: bigint;
  constructor(seed: number | bigint) {
    this.state = BigInt.asUintN(64, BigInt(seed));
  }
  /** `*state ^= *state >> 12; ^= << 25; ^= >> 27; return (*state * 0x2545F4914F6CDD1D) >> 32` */
  nextU32(): number {
    let s = this.state;
    s ^= s >> 12n;
    s = (s ^ (s << 25n)) & MASK64;
    s ^= s >> 27n;
    this.state = s;
    return Number(((s * 0x2545f4914f6cdd1dn) & MASK64) >> 32n);
  }
  /** `(random_u32 >> 8) / 16777216.0f`, in [0, 1) */
  nextF32(): number {
    return f((this.nextU32() >>> 8) / 16777216);
  }
}

/** Index of the first maximum (run.c sample_argmax). */
export function argmax(x: ArrayLike<number>): number {
  let best = 0;
  let v = x[0]!;
  for (let i = 1; i < x.length; i++) if (x[i]! > v) { v = x[i]!; best = i; }
  return best;
}

/** In-place f32 softmax as run.c computes it. */
export function softmaxF32(x: Float32Array): void {
  let max = x[0]!;
  for (let i = 1; i < x.length; i++) if (x[i]! > max) max = x[i]!;
  let sum = 0;
  for (let i = 0; i < x.length; i++) {
    const e = f(Math.exp(f(x[i]! - max)));
    x[i] = e;
    sum = f(sum + e);
  }
  for (let i = 0; i < x.length; i++) x[i] = f(x[i]! / sum);
}

export interface SamplerOptions {
  /** 0 = greedy (argmax); default 1 */
  temperature?: number;
  /** nucleus mass in (0, 1); ≤ 0 or ≥ 1 samples from the whole distribution; default 0.9 */
  topp?: number;
  /** RNG seed (run.c's -s); default 42. run.c uses time(NULL) for 0: pass the seed you want explicitly */
  seed?: number | bigint;
}

export class Sampler {
  readonly temperature: number;
  readonly topp: number;
  private readonly rng: XorShiftRng;
  private probs: Float32Array = new Float32Array(0);
  private index: Int32Array = new Int32Array(0);

  constructor(options: SamplerOptions = {}) {
    const t = options.temperature ?? 1;
    const p = options.topp ?? 0.9;
    if (!(Number.isFinite(t) && t >= 0)) throw new RangeError(`temperature must be a finite number ≥ 0, got ${t}`);
    if (!Number.isFinite(p)) throw new RangeError(`topp must be a finite number, got ${p}`);
    const seed = options.seed ?? 42;
    if (typeof seed === "number" && !(Number.isInteger(seed) && seed >= 0)) throw new RangeError(`seed must be a non-negative integer, got ${seed}`);
    this.temperature = f(t);
    this.topp = f(p);
    this.rng = new XorShiftRng(seed);
  }

  /** The next token from a row of logits (not modified). */
  sample(logits: Float32Array): number {
    if (logits.length === 0) throw new RangeError("cannot sample from an empty vocabulary");
    if (this.temperature === 0) return argmax(logits);
    const n = logits.length;
    if (this.probs.length !== n) {
      this.probs = new Float32Array(n);
      this.index = new Int32Array(n);
    }
    const probs = this.probs;
    for (let i = 0; i < n; i++) probs[i] = f(logits[i]! / this.temperature);
    softmaxF32(probs);
    const coin = this.rng.nextF32();
    if (this.topp <= 0 || this.topp >= 1) return sampleMult(probs, coin);
    return this.sampleTopp(probs, coin);
  }

  /** run.c sample_topp: keep p ≥ (1 − topp)/(n − 1), sort descending, cut where the mass exceeds topp. */
  private sampleTopp(probs: Float32Array, coin: number): number {
    const n = probs.length;
    const cutoff = f(f(1 - this.topp) / (n - 1));
    let n0 = 0;
    const idx = this.index;
    for (let i = 0; i < n; i++) if (probs[i]! >= cutoff) idx[n0++] = i;
    const kept = Array.from(idx.subarray(0, n0));
    kept.sort((a, b) => probs[b]! - probs[a]!); // stable: ties keep index order
    let cum = 0;
    let last = n0 - 1;
    for (let i = 0; i < n0; i++) {
      cum = f(cum + probs[kept[i]!]!);
      if (cum > this.topp) { last = i; break; }
    }
    const r = f(coin * cum);
    let cdf = 0;
    for (let i = 0; i <= last; i++) {
      cdf = f(cdf + probs[kept[i]!]!);
      if (r < cdf) return kept[i]!;
    }
    return kept[last]!;
  }
}

/** run.c sample_mult: first index whose cumulative probability exceeds coin. */
export function sampleMult(probs: Float32Array, coin: number): number {
  let cdf = 0;
  for (let i = 0; i < probs.length; i++) {
    cdf = f(cdf + probs[i]!);
    if (coin < cdf) return i;
  }
  return probs.length - 1;
}
