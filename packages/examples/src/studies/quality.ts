// The quality study's engine: teacher-forced evaluation of a tensor-parallel model under lossy
// communication against the uncompressed run of the same TP degree, one story per window starting
// at BOS, every next token predicted (statistics in quality-stats.ts).
import type { CodecArg, CompressionScheme } from "@tensorwire/collectives";
import type { TensorParallelModel } from "@tensorwire/tp-model/node";
import { UNCOMPRESSED, type CompressionPolicy } from "@tensorwire/tp-model";
import { QualityAccumulator, type QualityStats } from "./quality-stats.js";

export interface QualityVariant {
  /** label in tables (e.g. "mxfp4/b32/e8m0 allgather") */
  label: string;
  policy: CompressionPolicy;
  /** bits per value on the wire (32 = f32) */
  bitsPerValue: number;
}

export interface QualityOptions {
  stories: readonly string[];
  /** at most this many tokens per window (BOS included); default the model's context */
  maxTokens?: number;
  variants: readonly QualityVariant[];
  /** also measure the residual stream's relative error after each layer (default true) */
  hidden?: boolean;
  onProgress?: (done: number, total: number) => void;
}

export interface QualityRow extends QualityStats {
  label: string;
  bitsPerValue: number;
}

/** Policy that compresses every row-parallel all-reduce of a teacher-forced forward with `codec`. */
export function everywhere(codec: CodecArg, scheme: CompressionScheme | "auto" = "auto"): CompressionPolicy {
  return codec === "none" ? UNCOMPRESSED : { rules: [{ codec, scheme, compress: true }] };
}

/** Evaluate every variant on the same windows; the reference is the model with no compression. */
export async function evaluateQuality(model: TensorParallelModel, o: QualityOptions): Promise<{ rows: QualityRow[]; tokens: number; windows: number }> {
  const c = model.config;
  const maxTokens = Math.min(o.maxTokens ?? model.maxSeqLen, model.maxSeqLen);
  if (maxTokens < 2) throw new RangeError("windows need at least 2 tokens (BOS and one to predict)");
  const hidden = o.hidden ?? true;
  const acc = o.variants.map(() => new QualityAccumulator(c.vocabSize, hidden ? c.nLayers : 0));
  let windows = 0;
  const total = o.stories.length * (o.variants.length + 1);
  let done = 0;
  for (const story of o.stories) {
    const tokens = model.tokenizer.encode(story, true, false).slice(0, maxTokens);
    if (tokens.length < 2) continue;
    const targets = tokens.slice(1);
    await model.setPolicy(UNCOMPRESSED);
    const ref = await model.score(tokens, { hidden });
    o.onProgress?.(++done, total);
    for (let v = 0; v < o.variants.length; v++) {
      await model.setPolicy(o.variants[v]!.policy);
      const test = await model.score(tokens, { hidden });
      acc[v]!.addWindow(ref.logits, test.logits, targets);
      if (hidden && ref.hidden && test.hidden) acc[v]!.addHidden(ref.hidden, test.hidden);
      o.onProgress?.(++done, total);
    }
    windows++;
  }
  await model.setPolicy(UNCOMPRESSED);
  return {
    rows: o.variants.map((v, i) => ({ label: v.label, bitsPerValue: v.bitsPerValue, ...acc[i]!.result() })),
    tokens: acc[0]?.tokens ?? 0,
    windows,
  };
}
