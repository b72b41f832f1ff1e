// `tensorwire bench`: the latency study. TTFT and decode tokens/s against emulated link bandwidth
// (shared memory down to 10 Mbit/s), uncompressed and with codecs (and `auto`), on a real model or a
// synthetic one, with warm-up, interleaved repetitions, the median and the spread; beside a simple
// model fitted from the same run. `--out DIR` writes the study (markdown + SVG chart).
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { LinkModel } from "@tensorwire/collectives";
import { writeSyntheticModelFile } from "@tensorwire/tp-model/node";
import { CliError, UsageError, defineCommand } from "../cli/command.js";
import { createProgress } from "../cli/progress.js";
import { formatBandwidth, formatBytes, parseLatency, parseLink } from "../cli/units.js";
import { MODEL_OPTIONS, chooseModel, codecSpecOf, fetchNote } from "../model-options.js";
import { modelsDir } from "../models.js";
import { type LatencyStudy, fitQuality, runLatencyStudy } from "../studies/latency.js";
import { PALETTE, lineChart } from "../svg.js";

const DEFAULT_LINKS = ["shm", "100Gbit/s", "25Gbit/s", "10Gbit/s", "1Gbit/s", "100Mbit/s", "10Mbit/s"];

/** `dim,layers,hidden,heads,kv_heads[,vocab]` → a synthetic model shape. */
export function parseSynthetic(s: string): { dim: number; nLayers: number; hiddenDim: number; nHeads: number; nKvHeads: number; vocabSize: number } {
  const v = s.split(",").map((x) => Number(x.trim()));
  if ((v.length !== 5 && v.length !== 6) || v.some((x) => !Number.isInteger(x) || x <= 0)) {
    throw new RangeError(`expected dim,layers,hidden,heads,kv_heads[,vocab] (positive integers), got "${s}"`);
  }
  const [dim, nLayers, hiddenDim, nHeads, nKvHeads, vocabSize = 32000] = v as [number, number, number, number, number, number?];
  if (dim % nHeads !== 0 || nHeads % nKvHeads !== 0 || (dim / nHeads) % 2 !== 0) {
    throw new RangeError(`heads ${nHeads} must divide dim ${dim} into even head sizes, and KV heads ${nKvHeads} must divide the heads`);
  }
  return { dim, nLayers, hiddenDim, nHeads, nKvHeads, vocabSize };
}

export const benchCommand = defineCommand(
  {
    name: "bench",
    summary: "latency study: TTFT and decode tokens/s against link bandwidth, uncompressed vs compressed",
    description:
      `For each --links entry the model is loaded over --tp ranks with that emulated interconnect, then a
--prompt-token prompt is prefilled as one batch with every variant: uncompressed, each --codec (both
row-parallel all-reduces of every layer compressed during prefill), and "auto" (the first codec, used
only where the collectives' link model says it pays). After --warmup runs, --reps interleaved
repetitions; reported: median TTFT with min–max, decode tokens/s, bytes sent per rank, and the fitted
model TTFT = T0 + bytes/bandwidth + calls·latency (one T0 per variant). Links given without a latency
get --latency.`,
    options: {
      ...MODEL_OPTIONS,
      tp: { type: "int", placeholder: "N", min: 1, max: 64, default: 2, description: "tensor-parallel degree" },
      synthetic: { type: "custom", placeholder: "SHAPE", parse: parseSynthetic, limits: "dim,layers,hidden,heads,kv_heads[,vocab]", description: "use a seeded synthetic GGUF of this shape (written once to the models directory's synthetic/)" },
      codec: { type: "list", placeholder: "LIST", default: ["mxfp4", "q8_0"], description: "codecs to compare with uncompressed" },
      links: { type: "list", placeholder: "LIST", default: DEFAULT_LINKS, description: "links to sweep (shm, presets, or <bandwidth>[,<latency>])" },
      latency: { type: "custom", placeholder: "TIME", parse: parseLatency, default: "20us", limits: "e.g. 20us, 1ms", description: "latency of links given without one" },
      prompt: { type: "int", placeholder: "N", min: 2, max: 1 << 16, default: 512, description: "prompt tokens (at most the model's context)" },
      decode: { type: "int", placeholder: "N", min: 0, max: 4096, default: 16, description: "tokens decoded after the prompt (last repetition) for tokens/s" },
      reps: { type: "int", placeholder: "N", min: 1, max: 1000, default: 5, description: "timed repetitions per link" },
      warmup: { type: "int", placeholder: "N", min: 0, max: 100, default: 1, description: "untimed runs first" },
      out: { type: "string", placeholder: "DIR", description: "write the study: DIR/latency-<model>.md and .svg" },
      svg: { type: "string", placeholder: "FILE", description: "write the TTFT chart" },
      json: { type: "boolean", description: "print JSON" },
    },
    examples: [
      "tensorwire bench --model stories260K --tp 2",
      "tensorwire bench --synthetic 2048,8,5632,32,8 --links shm,10Gbit/s,1Gbit/s --prompt 512 --reps 3",
      "tensorwire bench --out docs",
    ],
  },
  async ({ options: o }, { out, err, env }) => {
    const links: { label: string; link: LinkModel | null }[] = o.links.map((s) => {
      let l: LinkModel | null;
      try {
        l = parseLink(s.includes(",") || /^(none|shm)$/i.test(s) ? s : `${s},${o.latency}s`);
      } catch {
        try { l = parseLink(s); } catch (e) { throw new UsageError(`--links: ${(e as Error).message}`); }
      }
      return { label: l === null ? "shm" : s, link: l };
    });
    const codecs = o.codec.filter((c) => c !== "none").map((c) => codecSpecOf(c)) as Exclude<ReturnType<typeof codecSpecOf>, "none">[];
    let load: { model: string; bytes?: Uint8Array; tokenizer?: string };
    let label: string;
    if (o.synthetic) {
      if (o.model) throw new UsageError("give --model or --synthetic, not both");
      const s = o.synthetic;
      const dir = join(modelsDir({ env }), "synthetic");
      const path = join(dir, `synthetic-${s.dim}-${s.nLayers}-${s.hiddenDim}-${s.nHeads}-${s.nKvHeads}-${s.vocabSize}-f32-s1.gguf`);
      if (!existsSync(path)) {
        mkdirSync(dir, { recursive: true });
        const p = createProgress({ label: `writing ${path}`, unit: "bytes" });
        try {
          await writeSyntheticModelFile(path, { ...s, seqLen: Math.max(2048, o.prompt + o.decode + 1), seed: 1, type: "f32" }, (w, t) => { p.setTotal(t); p.update(w); });
        } finally {
          p.done();
        }
      }
      load = { model: path };
      label = `synthetic dim ${s.dim}, ${s.nLayers} layers, hidden ${s.hiddenDim}, ${s.nHeads}/${s.nKvHeads} heads, vocab ${s.vocabSize}`;
    } else {
      const c = await chooseModel(o, env);
      if (c.builtin) err(fetchNote + "\n");
      load = c.load;
      label = c.label;
    }
    const progress = createProgress({ label: "latency sweep" });
    let study: LatencyStudy;
    try {
      study = await runLatencyStudy({
        load, tp: o.tp, links, codecs, promptTokens: o.prompt, decodeTokens: o.decode, reps: o.reps, warmup: o.warmup,
        onProgress: (d, t, what) => { progress.setTotal(t); progress.update(d, what); },
      });
    } catch (e) {
      throw new CliError(`the latency study failed: ${(e as Error).message}`, { cause: e });
    } finally {
      progress.done();
    }
    const md = latencyMarkdown(study, label, o.tp);
    const svg = latencyChart(study, label, o.tp);
    if (o.svg) writeFileSync(o.svg, svg);
    if (o.out) {
      mkdirSync(o.out, { recursive: true });
      const slug = o.synthetic ? `synthetic-${o.synthetic.dim}` : (label.split(/\s/)[0]!.split("/").pop() ?? "").replace(/\.(bin|gguf)$/, "").replace(/[^A-Za-z0-9_-]/g, "") || "model";
      writeFileSync(join(o.out, `latency-${slug}.md`), md + `\n![TTFT against link bandwidth](latency-${slug}.svg)\n`);
      writeFileSync(join(o.out, `latency-${slug}.svg`), svg);
      writeFileSync(join(o.out, `latency-${slug}.json`), JSON.stringify({ model: label, tp: o.tp, ...study }, null, 2));
    }
    out(o.json ? JSON.stringify({ model: label, tp: o.tp, ...study }, null, 2) + "\n" : md + "\n");
  },
);

export function latencyMarkdown(s: LatencyStudy, label: string, tp: number): string {
  const lines = [
    `### ${label}, TP ${tp}, ${s.promptTokens}-token prompt`, "",
    "| link | variant | TTFT median (min–max) | model | model error | speed-up vs none | bytes/rank (prefill) | compression | decode tok/s |",
    "|---|---|---|---|---|---|---|---|---|",
  ];
  for (const p of s.points) {
    const none = s.points.find((q) => q.link === p.link && q.label === "none")!;
    lines.push(`| ${p.link} | ${p.label} | ${p.ttft.median.toFixed(1)} ms (${p.ttft.min.toFixed(1)}–${p.ttft.max.toFixed(1)}) | ${p.modelMs.toFixed(1)} ms | ${(100 * (p.modelMs / p.ttft.median - 1)).toFixed(1)}% | ${(none.ttft.median / p.ttft.median).toFixed(2)}× | ${formatBytes(p.prefillBytes)} | ${p.compressionRatio.toFixed(2)}× | ${Number.isFinite(p.decodeTokPerSec) ? p.decodeTokPerSec.toFixed(1) : "-"} |`);
  }
  lines.push("", "Per link, paired by repetition (every repetition runs every variant back to back; the ratios are medians over repetitions of the ratio within one, so drift of the machine cancels):", "",
    "| link | fastest (median) | its TTFT | uncompressed / fastest | auto chose | auto / better of (none, first codec) |", "|---|---|---|---|---|---|");
  for (const r of s.summary) lines.push(`| ${r.link} | ${r.best} | ${r.bestMs.toFixed(1)} ms | ${r.speedup.toFixed(2)}× | ${r.autoChoice ?? "-"} | ${r.autoVsBetter === null ? "-" : r.autoVsBetter.toFixed(3)} |`);
  lines.push("", `Fitted T0 (compute + codec + copies) per variant: ${Object.entries(s.t0).map(([k, v]) => `${k} ${v.toFixed(1)} ms`).join(", ")}; ${s.calls} all-reduce calls per prefill.`);
  const f = fitQuality(s.points);
  lines.push(`Fitted model against the measured medians: largest deviation ${(100 * f.worst).toFixed(1)}%; ${f.within15} of ${f.points} points within 15%; the model lies inside the measured min–max of ${f.inSpread} of ${f.points} points.`);
  return lines.join("\n");
}

export function latencyChart(s: LatencyStudy, label: string, tp: number): string {
  // one colour per variant: its measured curve solid, its fitted model dashed
  const series = s.variants.flatMap((v, i) => {
    const color = PALETTE[i % PALETTE.length]!;
    const ps = s.points.filter((p) => p.label === v && p.bandwidthBytesPerSec);
    const meas = { name: `${v} (measured)`, color, points: ps.map((p) => ({ x: 8 * p.bandwidthBytesPerSec!, y: p.ttft.median, low: p.ttft.min, high: p.ttft.max })) };
    const model = { name: `${v} (model)`, color, dashed: true, points: ps.map((p) => ({ x: 8 * p.bandwidthBytesPerSec!, y: p.modelMs })) };
    return v.startsWith("auto") ? [meas] : [meas, model];
  });
  const shm = s.points.filter((p) => p.link === "shm").map((p) => `${p.label} ${p.ttft.median.toFixed(1)} ms`).join(", ");
  return lineChart({
    title: `Time to first token vs link bandwidth — ${label}, TP ${tp}`,
    subtitle: `${s.promptTokens}-token prompt; median of repetitions (bars: min–max); dashed: fitted model. Shared memory: ${shm || "-"}`,
    better: "lower TTFT is better",
    x: { title: "emulated link bandwidth (bit/s)", log: true, format: (v) => formatBandwidth(v / 8) },
    y: { title: "TTFT (ms)", log: true },
    series,
  });
}

