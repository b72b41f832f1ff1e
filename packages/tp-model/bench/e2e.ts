// End-to-end latency cases of the package benchmark: one model load per (TP, link), the codecs
// measured on it with measureLatency (interleaved repetitions).
import { LINK_PRESETS, type LinkModel } from "@tensorwire/collectives";
import type { FormatName } from "@tensorwire/quant-wasm";
import { type LoadModelOptions, loadModel } from "@tensorwire/tp-model/node";
import { measureLatency, syntheticPrompt } from "@tensorwire/tp-model/node";
import { UNCOMPRESSED, paperPolicy } from "@tensorwire/tp-model";

export interface E2eCase {
  tp: number;
  codec: string; // "none" or a codec name
  link: string; // "shm" or a LINK_PRESETS name
}

export interface E2eRow extends E2eCase {
  ttftMs: number;
  ttftMinMs: number;
  ttftMaxMs: number;
  decodeTokPerSec: number;
  bytesPerToken: number;
  compressionRatio: number;
  commShare: number;
}

export function linkOf(name: string): LinkModel | null {
  if (name === "shm") return null;
  const l = (LINK_PRESETS as Record<string, LinkModel>)[name];
  if (!l) throw new Error(`unknown link ${name}`);
  return l;
}

export async function runE2e(o: {
  load: Omit<LoadModelOptions, "tp" | "policy" | "link">; promptTokens: number; decodeTokens: number; reps: number;
  cases: E2eCase[]; onRow?: (row: E2eRow) => void;
}): Promise<E2eRow[]> {
  const rows: E2eRow[] = [];
  const groups = new Map<string, E2eCase[]>();
  for (const c of o.cases) groups.set(`${c.tp}|${c.link}`, [...(groups.get(`${c.tp}|${c.link}`) ?? []), c]);
  for (const cases of groups.values()) {
    const { tp, link } = cases[0]!;
    const model = await loadModel({ ...o.load, tp, link: linkOf(link), maxBatch: o.promptTokens });
    try {
      const res = await measureLatency(model, {
        prompt: syntheticPrompt(o.promptTokens, model.config.vocabSize), decodeTokens: o.decodeTokens, reps: o.reps,
        variants: cases.map((c) => ({ label: c.codec, policy: c.codec === "none" ? UNCOMPRESSED : paperPolicy(c.codec as FormatName) })),
      });
      res.forEach((r, i) => {
        const row: E2eRow = {
          ...cases[i]!, ttftMs: r.ttft.median, ttftMinMs: r.ttft.min, ttftMaxMs: r.ttft.max, decodeTokPerSec: r.decodeTokPerSec,
          bytesPerToken: r.prefillBytes / o.promptTokens, compressionRatio: r.compressionRatio,
          commShare: r.commMs / Math.max(1e-9, r.commMs + r.computeMs),
        };
        rows.push(row);
        o.onRow?.(row);
      });
    } finally {
      await model.close();
    }
  }
  return rows;
}
