// The latency study: time to first token against emulated link bandwidth, uncompressed and with
// codecs (always, and `auto`: the collectives' link model decides per call), at one TP degree, with a
// simple model fitted from the same run: TTFT(bw) = T0 + wire bytes / bw + all-reduce calls · latency,
// where T0 (compute + codec + local copies) is the one fitted parameter per variant (least squares in
// relative error) and the wire bytes
// are the bytes each rank actually sent.
import type { LinkModel } from "@tensorwire/collectives";
import type { CodecSpec } from "@tensorwire/quant-wasm";
import { type CompressionPolicy, UNCOMPRESSED, paperPolicy } from "@tensorwire/tp-model";
import { type LatencyRow, loadModel, measureLatency, syntheticPrompt } from "@tensorwire/tp-model/node";
import { quantile } from "../stats.js";

export interface LatencyStudyOptions {
  load: { model: string; bytes?: Uint8Array; tokenizer?: string };
  tp: number;
  /** links to sweep; null = shared memory */
  links: readonly { label: string; link: LinkModel | null }[];
  /** codecs compared with uncompressed (each "always"); the first also as "auto" */
  codecs: readonly (CodecSpec | string)[];
  promptTokens: number;
  decodeTokens: number;
  reps: number;
  warmup?: number;
  onProgress?: (done: number, total: number, what: string) => void;
}

export interface LatencyPoint extends LatencyRow {
  link: string;
  bandwidthBytesPerSec: number | null;
  latencySec: number;
  /** TTFT of the fitted model (ms) */
  modelMs: number;
}

export interface LatencyStudy {
  points: LatencyPoint[];
  variants: string[];
  /** fitted T0 (ms) per variant */
  t0: Record<string, number>;
  /**
   * Per link: the fastest fixed variant (lowest median) and, paired repetition by repetition (every
   * repetition runs every variant back to back, so drift on a shared machine cancels in the ratio), the
   * median over repetitions of none / fastest, and of auto / the better of uncompressed and the first
   * codec in that repetition; what auto chose (it compresses when its bytes are the codec's).
   */
  summary: { link: string; best: string; bestMs: number; speedup: number; autoVsBetter: number | null; autoChoice: "compressed" | "uncompressed" | null }[];
  calls: number;
  promptTokens: number;
}

function codecLabel(c: CodecSpec | string): string {
  return typeof c === "string" ? c : `${c.format}${c.block ? `/b${c.block}` : ""}`;
}

export async function runLatencyStudy(o: LatencyStudyOptions): Promise<LatencyStudy> {
  const variants: { label: string; policy: CompressionPolicy }[] = [{ label: "none", policy: UNCOMPRESSED }];
  for (const c of o.codecs) variants.push({ label: codecLabel(c), policy: paperPolicy(c as never) });
  if (o.codecs.length) variants.push({ label: `auto (${codecLabel(o.codecs[0]!)})`, policy: paperPolicy(o.codecs[0] as never, { compress: "auto" }) });
  const points: LatencyPoint[] = [];
  let calls = 0;
  const total = o.links.length * ((o.warmup ?? 1) + o.reps) * variants.length;
  let done = 0;
  for (const { label, link } of o.links) {
    const model = await loadModel({ ...o.load, tp: o.tp, link, maxBatch: o.promptTokens });
    try {
      calls = 2 * model.config.nLayers;
      const rows = await measureLatency(model, {
        prompt: syntheticPrompt(o.promptTokens, model.config.vocabSize), decodeTokens: o.decodeTokens,
        reps: o.reps, warmup: o.warmup ?? 1, variants,
        onProgress: () => o.onProgress?.(++done, total, label),
      });
      for (const r of rows) points.push({ ...r, link: label, bandwidthBytesPerSec: link?.bandwidthBytesPerSec ?? null, latencySec: link?.latencySec ?? 0, modelMs: NaN });
    } finally {
      await model.close();
    }
  }
  const t0 = fitLatencyModel(points, variants.map((v) => v.label), calls);
  const summary = o.links.map(({ label }) => {
    const ps = points.filter((p) => p.link === label);
    const none = ps.find((p) => p.label === "none")!;
    const fixed = ps.filter((p) => !p.label.startsWith("auto"));
    const best = fixed.reduce((a, b) => (b.ttft.median < a.ttft.median ? b : a));
    const first = ps.find((p) => p.label === variants[1]?.label);
    const auto = ps.find((p) => p.label.startsWith("auto"));
    const better = first ? pairedMin(none.ttft.samples, first.ttft.samples) : none.ttft.samples;
    return {
      link: label, best: best.label, bestMs: best.ttft.median, speedup: pairedRatio(none.ttft.samples, best.ttft.samples),
      autoVsBetter: auto ? pairedRatio(auto.ttft.samples, better) : null,
      autoChoice: auto ? (auto.compressionRatio > 1 ? "compressed" as const : "uncompressed" as const) : null,
    };
  });
  return { points, variants: variants.map((v) => v.label), t0, summary, calls, promptTokens: o.promptTokens };
}

/** Median over repetitions of a[r] / b[r] (samples in repetition order); NaN without a pair. */
export function pairedRatio(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  return n === 0 ? NaN : quantile(Array.from({ length: n }, (_, i) => a[i]! / b[i]!), 0.5);
}

/** How well the fitted model matches the measured points (after fitLatencyModel). */
export interface FitQuality {
  points: number;
  /** largest |model / measured median − 1| */
  worst: number;
  /** points whose median the model is within 15% of */
  within15: number;
  /** points whose measured min–max holds the model */
  inSpread: number;
}

export function fitQuality(points: readonly LatencyPoint[]): FitQuality {
  const err = (p: LatencyPoint) => Math.abs(p.modelMs / p.ttft.median - 1);
  return {
    points: points.length,
    worst: Math.max(...points.map(err)),
    within15: points.filter((p) => err(p) <= 0.15).length,
    inSpread: points.filter((p) => p.modelMs >= p.ttft.min && p.modelMs <= p.ttft.max).length,
  };
}

/** Repetition by repetition, the faster of two variants. */
function pairedMin(a: readonly number[], b: readonly number[]): number[] {
  return Array.from({ length: Math.min(a.length, b.length) }, (_, i) => Math.min(a[i]!, b[i]!));
}

/**
 * Fit T0 per variant (the only free parameter) by least squares of the relative error over every link:
 * minimise Σ ((T0 + wire_i − m_i) / m_i)², so T0 = Σ (m_i − wire_i)/m_i² / Σ 1/m_i², where wire_i =
 * bytes sent per rank / bandwidth + calls × latency and m_i the measured median. A fit in absolute terms
 * would let the slow links' long TTFTs decide it and leave the fast links' short ones far off in
 * relative terms. Sets every point's modelMs; returns T0 (ms) per variant.
 */
export function fitLatencyModel(points: LatencyPoint[], variants: readonly string[], calls: number): Record<string, number> {
  const wire = (p: LatencyPoint) => (p.bandwidthBytesPerSec ? (1000 * p.prefillBytes) / p.bandwidthBytesPerSec + 1000 * calls * p.latencySec : 0);
  const t0: Record<string, number> = {};
  for (const v of variants) {
    const ps = points.filter((p) => p.label === v);
    const w = ps.map((p) => 1 / (p.ttft.median * p.ttft.median));
    t0[v] = ps.reduce((a, p, i) => a + (p.ttft.median - wire(p)) * w[i]!, 0) / Math.max(1e-300, w.reduce((a, b) => a + b, 0));
    for (const p of ps) p.modelMs = t0[v]! + wire(p);
  }
  return t0;
}
