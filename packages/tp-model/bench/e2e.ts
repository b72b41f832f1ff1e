// End-to-end latency of the tensor-parallel model: prefill time-to-first-token (a 512-token prompt as one
// batch) and decode tokens/s at TP = 1 and 2, uncompressed and with codecs, on shared memory and under
// emulated links. Used by bench.ts (BENCHMARKS.md) and by the examples' `tensorwire bench`.
import { LINK_PRESETS, type LinkModel } from "@tensorwire/collectives";
import { type LoadModelOptions, loadModel } from "../src/node/engine.js";
import { UNCOMPRESSED, paperPolicy } from "../src/policy.js";
import { XorShiftRng } from "../src/sampler.js";

export interface E2eCase {
  tp: number;
  codec: string; // "none" or a codec name
  link: string; // "shm" or a LINK_PRESETS name
}

export interface E2eRow extends E2eCase {
  /** median of the prefill repetitions (ms) */
  ttftMs: number;
  ttftMinMs: number;
  ttftMaxMs: number;
  decodeTokPerSec: number;
  bytesPerToken: number;
  compressionRatio: number;
  commShare: number;
}

export interface E2eOptions {
  /** how to load the model (path or bytes, tokenizer); tp, policy and link are set per case */
  load: Omit<LoadModelOptions, "tp" | "policy" | "link">;
  promptTokens: number;
  decodeTokens: number;
  reps: number;
  cases: E2eCase[];
  onRow?: (row: E2eRow) => void;
}

export function linkOf(name: string): LinkModel | null {
  if (name === "shm") return null;
  const l = (LINK_PRESETS as Record<string, LinkModel>)[name];
  if (!l) throw new Error(`unknown link ${name}`);
  return l;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** A deterministic prompt of n tokens: BOS then seeded ids from the vocabulary (never BOS). */
export function syntheticPrompt(n: number, vocab: number, seed = 1): number[] {
  const r = new XorShiftRng(seed);
  return [1, ...Array.from({ length: n - 1 }, () => 3 + (r.nextU32() % (vocab - 3)))];
}

/** Run every case; one model load per (tp, link) — the policy is switched between codecs. */
export async function runE2e(o: E2eOptions): Promise<E2eRow[]> {
  const rows: E2eRow[] = [];
  const groups = new Map<string, E2eCase[]>();
  for (const c of o.cases) {
    const k = `${c.tp}|${c.link}`;
    groups.set(k, [...(groups.get(k) ?? []), c]);
  }
  for (const cases of groups.values()) {
    const { tp, link } = cases[0]!;
    const model = await loadModel({ ...o.load, tp, link: linkOf(link), maxBatch: Math.max(o.promptTokens, 1) });
    try {
      const prompt = syntheticPrompt(o.promptTokens, model.config.vocabSize);
      // warm-up: compiles every kernel tier and touches every page
      await model.setPolicy(UNCOMPRESSED);
      await model.generate({ promptTokens: prompt, steps: prompt.length + 2, temperature: 0 });
      const ttft = new Map<string, number[]>();
      const last = new Map<string, { dec: number; bpt: number; ratio: number; share: number }>();
      // interleave the codecs within each repetition so drift hits all of them alike
      for (let rep = 0; rep < o.reps; rep++) {
        for (const c of cases) {
          await model.setPolicy(c.codec === "none" ? UNCOMPRESSED : paperPolicy(c.codec));
          const r = await model.generate({
            promptTokens: prompt, steps: prompt.length + (rep === o.reps - 1 ? o.decodeTokens : 0), temperature: 0,
          });
          ttft.set(c.codec, [...(ttft.get(c.codec) ?? []), r.ttftMs]);
          if (rep === o.reps - 1) {
            last.set(c.codec, { dec: r.tokensPerSec, bpt: r.prefill.bytesSent / r.prefill.positions, ratio: r.prefill.compressionRatio, share: r.prefill.commShare });
          }
        }
      }
      for (const c of cases) {
        const t = ttft.get(c.codec)!;
        const l = last.get(c.codec)!;
        const row: E2eRow = {
          ...c, ttftMs: median(t), ttftMinMs: Math.min(...t), ttftMaxMs: Math.max(...t),
          decodeTokPerSec: l.dec, bytesPerToken: l.bpt, compressionRatio: l.ratio, commShare: l.share,
        };
        rows.push(row);
        o.onRow?.(row);
      }
    } finally {
      await model.close();
    }
  }
  return rows;
}
