// `tensorwire study <name>`: regenerate one of the paper's studies into --out (default docs/).
// `quality`: the codec frontier on stories260K with the TinyStories validation text (src/studies/quality-study.ts).
import { join } from "node:path";
import { UsageError, CliError, defineCommand } from "../cli/command.js";
import { createProgress } from "../cli/progress.js";
import { chooseModel } from "../model-options.js";
import { runQualityStudy, writeQualityStudy } from "../studies/quality-study.js";
import { readStories } from "../studies/text.js";
import { runLatencyStudyPlan, writeLatencyStudy } from "../studies/latency-study.js";
import { findDefaultModel, modelsDir } from "../models.js";

const STUDIES = ["quality", "latency"] as const;

export const studyCommand = defineCommand(
  {
    name: "study",
    summary: "regenerate a study (quality: the codec frontier; latency: TTFT vs bandwidth) into docs/",
    description:
      `quality: every format × block size × scale kind × scheme (allgather, two-shot) at each --tp, on the
first --stories stories of --text (the sweep), the related work's ideas (outlier channels in bf16,
per-site bit allocation, finer blocks) on the same stories, then the finalists on the first
--final-stories stories. The text is used raw (as is). Writes quality.md, quality.json and
quality-frontier.svg into --out. --quick: a few stories, one configuration per format family, TP 2.\nlatency: TTFT against emulated link bandwidth at TP 2 on stories260K (GGUF) and a synthetic dim-2048\nmodel (written once to the models directory), uncompressed, fp5-e2m2/b128, mxfp4, bf16 and auto. Writes\nlatency.md, latency.json and one SVG per model. Run it on a quiet machine.`,
    positionals: [{ name: "name", description: `study to run (${STUDIES.join(", ")})`, required: true }],
    options: {
      model: { type: "string", placeholder: "NAME|FILE", description: "model name in the models directory or a .bin/.gguf path; default stories260K" },
      tokenizer: { type: "string", placeholder: "FILE", description: "llama2.c tokenizer.bin (for .bin checkpoints)" },
      text: { type: "string", placeholder: "FILE", description: "evaluation text; default $TENSORWIRE_DATA/tinystories/valid_first1000.txt" },
      stories: { type: "int", placeholder: "N", min: 1, max: 1_000_000, description: "stories in the sweep (default 100; --quick 3)" },
      "final-stories": { type: "int", placeholder: "N", min: 1, max: 1_000_000, description: "stories for the finalists (default 1000; --quick 4)" },
      tp: { type: "list", placeholder: "LIST", description: "TP degrees (default 2,4; --quick 2)" },
      "calibration-stories": { type: "int", placeholder: "N", min: 1, max: 10_000, description: "model-generated stories calibrating the outlier channels (default 32; --quick 2)" },
      quick: { type: "boolean", description: "a fast look: few stories, few configurations" },
      out: { type: "string", placeholder: "DIR", default: "docs", description: "where to write the study's files" },
    },
    examples: [
      "tensorwire study quality --stories 100 --final-stories 1000",
      "tensorwire study quality --quick --out /tmp/q",
      "tensorwire study latency",
    ],
  },
  async ({ options: o, positionals }, { out, err, env }) => {
    const name = positionals[0]!;
    if (!(STUDIES as readonly string[]).includes(name)) throw new UsageError(`unknown study "${name}" (studies: ${STUDIES.join(", ")})`);
    if (name === "latency") return runLatency(o.quick, o.out, env, out, err);
    const { path: textPath, stories } = readStories(o.text, env, "raw");
    const choice = await chooseModel({ model: o.model ?? (o.quick ? undefined : "stories260K"), tokenizer: o.tokenizer }, env);
    if (choice.builtin) throw new UsageError("the quality study needs a real model: run \"tensorwire fetch stories260K\" or set TENSORWIRE_MODELS");
    const tps = (o.tp.length ? o.tp : o.quick ? ["2"] : ["2", "4"]).map((t) => {
      const n = Number(t);
      if (!Number.isInteger(n) || n < 2 || n > 64) throw new UsageError(`--tp: "${t}" is not an integer 2–64`);
      return n;
    });
    const sweepStories = Math.min(o.stories ?? (o.quick ? 3 : 100), stories.length);
    const finalStories = Math.min(o["final-stories"] ?? (o.quick ? 4 : 1000), stories.length);
    const calibrationStories = o["calibration-stories"] ?? (o.quick ? 2 : 32);
    const command = ["npx tensorwire study quality", ...(o.quick ? ["--quick"] : []), `--stories ${sweepStories}`, `--final-stories ${finalStories}`,
      `--tp ${tps.join(",")}`, `--calibration-stories ${calibrationStories}`, ...(o.out !== "docs" ? [`--out ${o.out}`] : [])].join(" ");
    let bar: ReturnType<typeof createProgress> | null = null;
    let phase = "";
    const t0 = Date.now();
    let res;
    try {
      res = await runQualityStudy({
        model: choice.load.model, tokenizer: choice.load.tokenizer, bytes: choice.load.bytes, modelLabel: choice.label.split(" (")[0]!,
        stories, textLabel: "TinyStories validation (valid_first1000.txt)", sweepStories, finalStories, tps, quick: o.quick, calibrationStories, command,
        onProgress: (p, d, t) => {
          if (p !== phase) { bar?.done(); bar = createProgress({ label: p, total: t }); phase = p; }
          bar!.update(d);
        },
        log: (line) => { bar?.done(); phase = ""; err(`${line}\n`); },
        onPartial: (partial) => { for (const f of writeQualityStudy(partial, o.out)) err(`wrote ${f} (TP ${partial.rows[partial.rows.length - 1]!.tp} done)\n`); },
      });
    } catch (e) {
      throw new CliError(`study quality failed: ${(e as Error).message}`, { cause: e });
    } finally {
      (bar as ReturnType<typeof createProgress> | null)?.done();
    }
    const files = writeQualityStudy(res, o.out);
    const h = res.headline;
    const s = h.smallestWithin1pct;
    out(`quality study: ${res.rows.length} rows in ${((Date.now() - t0) / 1000).toFixed(0)} s (text raw)\n`);
    out(s ? `smallest bits/value within 1% ΔPPL at TP ${s.tp}: ${s.bits_per_value.toFixed(3)} (${s.label}, ΔPPL ${s.delta_ppl_pct.toFixed(3)}%, KL ${s.kl_mean.toExponential(2)})\n`
      : `no configuration below 16 bits/value within 1% ΔPPL at TP ${tps[0]}\n`);
    out(`goal ≤4.5 bits/value, ΔPPL ≤ 1%, KL ≤ 0.01: ${h.goalMet ? "met" : "not met"}\n`);
    for (const f of files) out(`wrote ${f}\n`);
  },
);

async function runLatency(quick: boolean, outDir: string, env: NodeJS.ProcessEnv, out: (s: string) => void, err: (s: string) => void): Promise<void> {
  const m = findDefaultModel({ env, prefer: "gguf" });
  if (!m || m.format !== "gguf") throw new UsageError("the latency study needs stories260K.gguf: run \"tensorwire fetch stories260K\" or set TENSORWIRE_MODELS");
  const progress = createProgress({ label: "latency study" });
  let res;
  try {
    res = await runLatencyStudyPlan({
      stories: m.path, syntheticDir: join(modelsDir({ env }), "synthetic"), quick,
      onProgress: (what, d, t) => { progress.setTotal(t); progress.update(d, what); },
    });
  } catch (e) {
    throw new CliError(`study latency failed: ${(e as Error).message}`, { cause: e });
  } finally {
    progress.done();
  }
  const files = writeLatencyStudy(res, outDir, `npx tensorwire study latency${quick ? " --quick" : ""}`);
  err(`wrote ${files.join(", ")}\n`);
  out(files.map((f) => f + "\n").join(""));
}
