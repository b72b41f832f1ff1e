// Quality statistics of a lossy run against its reference, as llama.cpp's `llama-perplexity
// --kl-divergence` reports them: perplexity of both, ln-PPL ratio, KL divergence of the next-token
// distributions (mean ± standard error, percentiles, max), top-1 agreement ("same top" ± standard
// error), RMS Δp of the correct token, and the hidden state's relative error after each layer.
// All in f64; log-softmax is computed max-subtracted.

/** Per-position log-probabilities of a row of logits (f64, max-subtracted log-sum-exp). */
export function logSoftmax(row: ArrayLike<number>, out: Float64Array): void {
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) if (row[i]! > max) max = row[i]!;
  let s = 0;
  for (let i = 0; i < row.length; i++) s += Math.exp(row[i]! - max);
  const lse = max + Math.log(s);
  for (let i = 0; i < row.length; i++) out[i] = row[i]! - lse;
}

/** Accumulates positions of one or many windows. */
export class QualityAccumulator {
  private readonly lpRef: Float64Array;
  private readonly lpTest: Float64Array;
  private nllRef: number[] = [];
  private nllTest: number[] = [];
  private kl: number[] = [];
  private dp: number[] = [];
  private same = 0;
  private layerErr2: Float64Array;
  private layerRef2: Float64Array;

  constructor(readonly vocab: number, readonly nLayers = 0) {
    this.lpRef = new Float64Array(vocab);
    this.lpTest = new Float64Array(vocab);
    this.layerErr2 = new Float64Array(nLayers);
    this.layerRef2 = new Float64Array(nLayers);
  }

  /**
   * Add a window: `ref` and `test` are positions × vocab logits, row i predicting `targets[i]`
   * (for a window of tokens t0..tn, targets are t1..tn and rows 0..n−1).
   */
  addWindow(ref: Float32Array, test: Float32Array, targets: ArrayLike<number>): void {
    const V = this.vocab;
    const n = targets.length;
    if (ref.length < n * V || test.length < n * V) throw new RangeError("logits shorter than the targets");
    for (let i = 0; i < n; i++) {
      const t = targets[i]!;
      logSoftmax(ref.subarray(i * V, (i + 1) * V), this.lpRef);
      logSoftmax(test.subarray(i * V, (i + 1) * V), this.lpTest);
      this.nllRef.push(-this.lpRef[t]!);
      this.nllTest.push(-this.lpTest[t]!);
      let kl = 0;
      let aRef = 0, aTest = 0;
      for (let j = 0; j < V; j++) {
        const lp = this.lpRef[j]!;
        const p = Math.exp(lp);
        if (p > 0) kl += p * (lp - this.lpTest[j]!);
        if (this.lpRef[j]! > this.lpRef[aRef]!) aRef = j;
        if (this.lpTest[j]! > this.lpTest[aTest]!) aTest = j;
      }
      this.kl.push(Math.max(0, kl));
      if (aRef === aTest) this.same++;
      this.dp.push(Math.exp(this.lpTest[t]!) - Math.exp(this.lpRef[t]!));
    }
  }

  /** Add the residual streams (nLayers × positions × dim) of the same window. */
  addHidden(ref: Float32Array, test: Float32Array): void {
    if (ref.length !== test.length || ref.length % Math.max(this.nLayers, 1) !== 0) throw new RangeError("hidden states of different shapes");
    const per = ref.length / this.nLayers;
    for (let l = 0; l < this.nLayers; l++) {
      let e = 0, r = 0;
      for (let i = l * per; i < (l + 1) * per; i++) {
        const d = test[i]! - ref[i]!;
        e += d * d;
        r += ref[i]! * ref[i]!;
      }
      this.layerErr2[l]! += e;
      this.layerRef2[l]! += r;
    }
  }

  get tokens(): number { return this.kl.length; }

  result(): QualityStats {
    const n = this.kl.length;
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(xs.length, 1);
    const nllRef = mean(this.nllRef), nllTest = mean(this.nllTest);
    const lnRatio = this.nllTest.map((v, i) => v - this.nllRef[i]!);
    const sorted = [...this.kl].sort((a, b) => a - b);
    const pct = (q: number) => (n === 0 ? NaN : sorted[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))]!);
    const klMean = mean(this.kl);
    const klVar = n > 1 ? this.kl.reduce((a, b) => a + (b - klMean) ** 2, 0) / (n - 1) : 0;
    const p = n > 0 ? this.same / n : NaN;
    const lnMean = mean(lnRatio);
    const lnVar = n > 1 ? lnRatio.reduce((a, b) => a + (b - lnMean) ** 2, 0) / (n - 1) : 0;
    return {
      tokens: n,
      ppl: Math.exp(nllTest),
      pplRef: Math.exp(nllRef),
      nll: nllTest,
      nllRef,
      deltaPplPct: (Math.exp(nllTest) / Math.exp(nllRef) - 1) * 100,
      lnPplRatio: lnMean,
      lnPplRatioErr: Math.sqrt(lnVar / Math.max(n, 1)),
      klMean,
      klMeanErr: Math.sqrt(klVar / Math.max(n, 1)),
      klMedian: pct(0.5),
      klP99: pct(0.99),
      klMax: n ? sorted[n - 1]! : NaN,
      top1Agree: p,
      top1AgreeErr: n > 0 ? Math.sqrt((p * (1 - p)) / n) : NaN,
      rmsDp: Math.sqrt(mean(this.dp.map((d) => d * d))),
      layerRelError: Array.from(this.layerErr2, (e, l) => (this.layerRef2[l]! > 0 ? Math.sqrt(e / this.layerRef2[l]!) : 0)),
    };
  }
}

export interface QualityStats {
  tokens: number;
  /** perplexity of the lossy run and of the reference */
  ppl: number;
  pplRef: number;
  /** mean negative log-likelihood, nats/token */
  nll: number;
  nllRef: number;
  /** (PPL / PPL_ref − 1) · 100 */
  deltaPplPct: number;
  /** mean ln(PPL/PPL_ref) per token and its standard error */
  lnPplRatio: number;
  lnPplRatioErr: number;
  /** KL(P_ref ‖ P_test) of the next-token distributions, nats */
  klMean: number;
  klMeanErr: number;
  klMedian: number;
  klP99: number;
  klMax: number;
  /** share of positions with the same argmax, and its standard error √(p(1−p)/n) */
  top1Agree: number;
  top1AgreeErr: number;
  /** RMS of p_test(correct) − p_ref(correct) */
  rmsDp: number;
  /** ‖h_test − h_ref‖ / ‖h_ref‖ of the residual stream after each layer */
  layerRelError: number[];
}
