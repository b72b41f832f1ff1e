// `tensorwire eval`: what lossy communication costs in quality. Teacher-forced over a text file (one
// story per window, starting at BOS, every next token predicted), each codec against the uncompressed
// run at the same TP degree: perplexity of both, ΔPPL, KL divergence of the next-token distributions,
// top-1 agreement, RMS Δp and the hidden state's relative error after each layer (the statistics of
// llama.cpp's `llama-perplexity --kl-divergence`).
import { bitsPerValue } from "@tensorwire/quant-wasm";
import { loadModel } from "@tensorwire/tp-model/node";
import { CliError, UsageError, defineCommand } from "../cli/command.js";
import { createProgress } from "../cli/progress.js";
import { MODEL_OPTIONS, chooseModel, codecSpecOf, fetchNote, formatNames } from "../model-options.js";
import { type QualityRow, evaluateQuality, everywhere } from "../studies/quality.js";
import { type TextForm, readStories } from "../studies/text.js";

export const evalCommand = defineCommand(
  {
    name: "eval",
    summary: "quality under compression: perplexity, KL divergence and top-1 agreement vs uncompressed",
    description:
      `Reads --text (stories separated by <|endoftext|> lines), takes the first --stories stories, and
scores each as one window: BOS, then the story's tokens (at most --max-tokens in all), every next token
predicted. For each --codec, every row-parallel all-reduce is compressed and the result compared with
the uncompressed run at the same --tp. --text-form raw keeps the text as it is (blank lines between
paragraphs); single-newline collapses them (the form TinyStories models were trained on).`,
    options: {
      ...MODEL_OPTIONS,
      text: { type: "string", placeholder: "FILE", description: "evaluation text; default $TENSORWIRE_DATA/tinystories/valid_first1000.txt" },
      stories: { type: "int", placeholder: "N", min: 1, max: 1_000_000, default: 100, description: "stories (windows) to evaluate" },
      "max-tokens": { type: "int", placeholder: "N", min: 2, max: 1 << 20, description: "tokens per window including BOS (default: the model's context)" },
      "text-form": { type: "string", placeholder: "FORM", choices: ["raw", "single-newline"], default: "raw", description: "text as it is, or paragraphs joined by single newlines" },
      codec: { type: "list", placeholder: "LIST", default: ["q8_0", "mxfp4"], description: "codecs to evaluate (repeatable, comma-separated, or all)" },
      block: { type: "int", placeholder: "N", min: 1, max: 4096, description: "block size for every codec (default: each format's)" },
      scale: { type: "string", placeholder: "KIND", description: "scale kind for every codec (default: each format's)" },
      scheme: { type: "string", placeholder: "NAME", choices: ["auto", "allgather", "two-shot"], default: "auto", description: "compressed all-reduce scheme" },
      "no-hidden": { type: "boolean", description: "skip the per-layer hidden-state error (faster)" },
      json: { type: "boolean", description: "print JSON (one object per codec)" },
    },
    examples: [
      "tensorwire eval --model stories260K --tp 2 --codec q8_0,mxfp4,int4 --stories 200",
      "tensorwire eval --tp 4 --codec all --scheme two-shot --json",
    ],
  },
  async ({ options: o }, { out, err, env }) => {
    const form = o["text-form"] as TextForm;
    const { path: textPath, stories: all } = readStories(o.text, env, form);
    const stories = all.slice(0, o.stories);
    const names = o.codec.includes("all") ? formatNames().filter((n) => n !== "f32") : o.codec;
    const variants = names.map((name) => {
      const spec = codecSpecOf(name, o.block, o.scale);
      const scheme = o.scheme as "auto" | "allgather" | "two-shot";
      return spec === "none"
        ? { label: "none", policy: everywhere("none"), bitsPerValue: 32 }
        : { label: `${spec.format}${spec.block ? `/b${spec.block}/${spec.scale}` : ""}`, policy: everywhere(spec, scheme), bitsPerValue: bitsPerValue(spec) };
    });
    const choice = await chooseModel(o, env);
    if (choice.builtin) err(fetchNote + "\n");
    let model;
    try {
      model = await loadModel({ ...choice.load, tp: o.tp, link: o.link });
    } catch (e) {
      throw new CliError(`cannot load ${choice.label}: ${(e as Error).message}`, { cause: e });
    }
    const progress = createProgress({ label: `eval ${stories.length} stories × ${variants.length + 1} runs`, total: stories.length * (variants.length + 1) });
    let res;
    try {
      res = await evaluateQuality(model, {
        stories, maxTokens: o["max-tokens"], variants, hidden: !o["no-hidden"],
        onProgress: (d) => progress.update(d),
      });
    } finally {
      progress.done();
      await model.close();
    }
    const meta = { model: choice.label, tp: o.tp, scheme: o.scheme, text: textPath, text_form: form, windows: res.windows, tokens: res.tokens };
    if (o.json) {
      out(JSON.stringify({ ...meta, results: res.rows.map(jsonRow) }, null, 2) + "\n");
      return;
    }
    out(`${choice.label}, TP ${o.tp}, scheme ${o.scheme}: ${res.windows} windows, ${res.tokens} predicted tokens, text ${form} (${textPath})\n`);
    out(`reference (uncompressed TP ${o.tp}): PPL ${res.rows[0]?.pplRef.toFixed(4) ?? "-"}, mean NLL ${res.rows[0]?.nllRef.toFixed(4) ?? "-"} nats/token\n\n`);
    out("codec                 bits/val  vs FP16  PPL        ΔPPL      KL mean ± err         KL median   KL p99     KL max     same top          RMS Δp\n");
    for (const r of res.rows) {
      out(`${r.label.padEnd(21)} ${r.bitsPerValue.toFixed(2).padStart(8)}  ${(16 / r.bitsPerValue).toFixed(2).padStart(6)}x  ${r.ppl.toFixed(4).padEnd(9)}  ${(r.deltaPplPct >= 0 ? "+" : "") + r.deltaPplPct.toFixed(3)}%`.padEnd(72) +
        `${r.klMean.toExponential(3)} ± ${r.klMeanErr.toExponential(1)}  ${r.klMedian.toExponential(2)}  ${r.klP99.toExponential(2)}  ${r.klMax.toExponential(2)}  ${(100 * r.top1Agree).toFixed(2)} ± ${(100 * r.top1AgreeErr).toFixed(2)} %  ${(100 * r.rmsDp).toFixed(3)} %\n`);
    }
    if (!o["no-hidden"] && res.rows.length) {
      out("\nrelative error of the residual stream after each layer (‖Δh‖/‖h‖):\n");
      for (const r of res.rows) out(`${r.label.padEnd(21)} ${r.layerRelError.map((e) => e.toExponential(2)).join("  ")}\n`);
    }
  },
);

function jsonRow(r: QualityRow): Record<string, unknown> {
  return {
    codec: r.label, bits_per_value: r.bitsPerValue, compression_vs_fp16: 16 / r.bitsPerValue, compression_vs_fp32: 32 / r.bitsPerValue,
    ppl: r.ppl, ppl_ref: r.pplRef, nll: r.nll, nll_ref: r.nllRef, delta_ppl_pct: r.deltaPplPct,
    ln_ppl_ratio: r.lnPplRatio, ln_ppl_ratio_err: r.lnPplRatioErr,
    kl_mean: r.klMean, kl_mean_err: r.klMeanErr, kl_median: r.klMedian, kl_p99: r.klP99, kl_max: r.klMax,
    top1_agree: r.top1Agree, top1_agree_err: r.top1AgreeErr, rms_dp: r.rmsDp, layer_rel_error: r.layerRelError, tokens: r.tokens,
  };
}
