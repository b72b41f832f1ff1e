// Calibration of outlier channels (Dong et al., arXiv 2411.07942): which channels of the all-reduced
// activations carry the largest magnitudes, measured on calibration text that must be disjoint from the
// evaluation text. The model exposes the residual stream after each layer (uncompressed run); the sum
// of a layer's two all-reduced outputs (attention + MLP) is the residual stream's update
// Δh_l = h_l − h_{l−1} (h_{−1} = the token embedding), so a channel's mean |Δh_l| over every
// calibration position is the layer's measure for both of its call sites.
import { readFileSync } from "node:fs";
import { UNCOMPRESSED, bytesSource, openCheckpoint, readTensor } from "@tensorwire/tp-model";
import type { TensorParallelModel } from "@tensorwire/tp-model/node";

/** The token embedding ([vocab × dim] row-major) of a checkpoint file (or its bytes). */
export async function readTokenEmbedding(model: string, bytes?: Uint8Array): Promise<Float32Array> {
  const src = bytesSource(bytes ?? readFileSync(model), model);
  const ckpt = await openCheckpoint(src);
  const t = ckpt.tensors.get("token_embd");
  if (!t) throw new Error(`${model}: tensor token_embd is missing`);
  return readTensor(src, t);
}

export interface ChannelCalibration {
  /** mean |Δh_l[c]| over the calibration positions: nLayers rows of dim values */
  meanAbs: Float64Array[];
  positions: number;
  windows: number;
}

/** Mean |Δh| per (layer, channel) of the uncompressed model over `stories` (one window each, BOS first). */
export async function calibrateChannels(
  model: TensorParallelModel,
  embedding: Float32Array,
  stories: readonly string[],
  o: { maxTokens?: number; onProgress?: (done: number, total: number) => void } = {},
): Promise<ChannelCalibration> {
  const { dim, nLayers } = model.config;
  const maxTokens = Math.min(o.maxTokens ?? model.maxSeqLen, model.maxSeqLen);
  const meanAbs = Array.from({ length: nLayers }, () => new Float64Array(dim));
  let positions = 0, windows = 0;
  await model.setPolicy(UNCOMPRESSED);
  for (const [i, story] of stories.entries()) {
    const tokens = model.tokenizer.encode(story, true, false).slice(0, maxTokens);
    const r = await model.score(tokens, { hidden: true });
    const h = r.hidden!;
    const n = tokens.length;
    for (let l = 0; l < nLayers; l++) {
      const acc = meanAbs[l]!;
      for (let p = 0; p < n; p++) {
        const cur = (l * n + p) * dim;
        const prev = l === 0 ? -1 : ((l - 1) * n + p) * dim;
        const e = tokens[p]! * dim;
        for (let c = 0; c < dim; c++) acc[c]! += Math.abs(h[cur + c]! - (prev < 0 ? embedding[e + c]! : h[prev + c]!));
      }
    }
    positions += n;
    windows++;
    o.onProgress?.(i + 1, stories.length);
  }
  for (const acc of meanAbs) for (let c = 0; c < dim; c++) acc[c]! /= Math.max(1, positions);
  return { meanAbs, positions, windows };
}

/** The k channels of each layer with the largest mean |Δh| (ascending channel order). */
export function topChannels(cal: ChannelCalibration, k: number): number[][] {
  return cal.meanAbs.map((m) =>
    [...m.keys()].sort((a, b) => m[b]! - m[a]! || a - b).slice(0, k).sort((a, b) => a - b));
}
