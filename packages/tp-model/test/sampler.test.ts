// llama2.c's sampler: the xorshift64* stream (values computed independently with Python's big
// integers), greedy argmax, and multinomial / top-p sampling against a plain f64 re-statement of
// run.c's rules on distributions whose answer is away from float rounding boundaries.
import { describe, expect, it } from "vitest";
import { Sampler, XorShiftRng, argmax, sampleMult, softmaxF32 } from "../src/sampler.js";

describe("XorShiftRng (run.c random_u32)", () => {
  it.each([
    [42, [1456360119, 3359763283, 3393612768, 4054632243, 3283045847]],
    [1, [1206177355, 2882512552, 3117485455, 1303648416, 241277360]],
    [1234567890123, [4023144865, 3047608580, 1251579461, 1373490368, 441344729]],
  ])("seed %d", (seed, expected) => {
    const r = new XorShiftRng(seed);
    expect(expected.map(() => r.nextU32())).toEqual(expected);
  });
  it("random_f32 is (u32 >> 8) / 2^24", () => {
    const a = new XorShiftRng(42);
    expect(a.nextF32()).toBe((1456360119 >>> 8) / 16777216);
  });
});

describe("argmax / softmax", () => {
  it("argmax takes the first maximum", () => {
    expect(argmax([1, 3, 3, 2])).toBe(1);
    expect(argmax([-Infinity, -1])).toBe(1);
    expect(argmax([5])).toBe(0);
  });
  it("softmax sums to 1 and keeps order", () => {
    const x = Float32Array.from([1, 2, 3, -1000]);
    softmaxF32(x);
    expect(x.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    expect(x[3]).toBe(0);
    expect(x[2]! > x[1]! && x[1]! > x[0]!).toBe(true);
  });
});

/** run.c's rules in f64, for checking away from rounding boundaries. */
function naive(logits: number[], temperature: number, topp: number, coin: number): number {
  const z = logits.map((l) => l / temperature);
  const mx = Math.max(...z);
  const e = z.map((v) => Math.exp(v - mx));
  const s = e.reduce((a, b) => a + b, 0);
  const p = e.map((v) => v / s);
  if (topp <= 0 || topp >= 1) {
    let c = 0;
    for (let i = 0; i < p.length; i++) { c += p[i]!; if (coin < c) return i; }
    return p.length - 1;
  }
  const cutoff = (1 - topp) / (p.length - 1);
  const kept = p.map((v, i) => [v, i] as const).filter(([v]) => v >= cutoff).sort((a, b) => b[0] - a[0]);
  let cum = 0, last = kept.length - 1;
  for (let i = 0; i < kept.length; i++) { cum += kept[i]![0]; if (cum > topp) { last = i; break; } }
  const r = coin * cum;
  let c = 0;
  for (let i = 0; i <= last; i++) { c += kept[i]![0]; if (r < c) return kept[i]![1]; }
  return kept[last]![1];
}

describe("Sampler", () => {
  it("temperature 0 is greedy and consumes no randomness", () => {
    const s = new Sampler({ temperature: 0, seed: 7 });
    expect(s.sample(Float32Array.from([0.1, 0.9, 0.3]))).toBe(1);
  });
  it("multinomial and top-p agree with the f64 statement of run.c's rules on random distributions", () => {
    const rng = new XorShiftRng(99);
    let checked = 0;
    for (let trial = 0; trial < 300; trial++) {
      const n = 2 + (rng.nextU32() % 40);
      const logits = Array.from({ length: n }, () => (rng.nextF32() - 0.5) * 8);
      const temperature = [0.5, 1, 1.3][trial % 3]!;
      const topp = [0.9, 1, 0.5, 0][trial % 4]!;
      const seed = 1000 + trial;
      const s = new Sampler({ temperature, topp, seed });
      const coin = new XorShiftRng(seed).nextF32();
      const got = s.sample(Float32Array.from(logits));
      expect(got).toBeGreaterThanOrEqual(0);
      expect(got).toBeLessThan(n);
      expect(got).toBe(naive(logits.map(Math.fround), Math.fround(temperature), Math.fround(topp), coin));
      checked++;
    }
    expect(checked).toBe(300);
  });
  it("top-p never returns a token outside the nucleus", () => {
    const logits = Float32Array.from([5, 4, 0, -3, -3, -9]);
    for (let seed = 1; seed < 200; seed++) {
      expect([0, 1]).toContain(new Sampler({ temperature: 1, topp: 0.5, seed }).sample(logits));
    }
  });
  it("sampleMult falls back to the last index", () => {
    expect(sampleMult(Float32Array.from([0.2, 0.2]), 0.99)).toBe(1);
  });
  it("rejects bad options", () => {
    expect(() => new Sampler({ temperature: -1 })).toThrow(/temperature/);
    expect(() => new Sampler({ temperature: NaN })).toThrow(/temperature/);
    expect(() => new Sampler({ seed: -3 })).toThrow(/seed/);
    expect(() => new Sampler({ seed: 1.5 })).toThrow(/seed/);
    expect(() => new Sampler().sample(new Float32Array(0))).toThrow(/empty/);
  });
});
