// `tensorwire quickstart` (what `npm start` runs): a tensor-parallel generation (TP 2) with compressed
// all-reduces, streamed, then what compression bought on an emulated slow link — bytes per token, TTFT
// uncompressed vs compressed (interleaved repetitions, medians) — and what it cost in quality (KL and
// top-1 agreement of the compressed model's next-token distributions along the generated text).
import { UNCOMPRESSED, paperPolicy } from "@tensorwire/tp-model";
import { loadModel, measureLatency } from "@tensorwire/tp-model/node";
import { CliError, defineCommand } from "../cli/command.js";
import { createProgress } from "../cli/progress.js";
import { formatBytes, formatLink, parseLink } from "../cli/units.js";
import { MODEL_OPTIONS, chooseModel, codecSpecOf, fetchNote } from "../model-options.js";
import { QualityAccumulator } from "../studies/quality-stats.js";

export const quickstartCommand = defineCommand(
  {
    name: "quickstart",
    summary: "(default) TP generation with compressed all-reduces, and what compression bought on a slow link",
    description:
      `Loads the model (stories260K when downloaded, else the built-in synthetic model) over --tp ranks
joined by an emulated --link, generates from --prompt with --codec compressing both row-parallel
all-reduces of every layer during prefill, then measures TTFT of a --prompt-tokens prefill with and
without compression (interleaved repetitions) and the quality cost along the generated text.`,
    options: {
      ...MODEL_OPTIONS,
      tp: { type: "int", placeholder: "N", min: 1, max: 64, default: 2, description: "tensor-parallel degree" },
      link: { type: "custom", placeholder: "LINK", parse: parseLink, default: "100Mbit/s,50us", limits: "none | shm | <bandwidth>[,<latency>]", description: "emulated interconnect between ranks" },
      codec: { type: "string", placeholder: "NAME", default: "mxfp4", description: "codec of the compressed all-reduces" },
      prompt: { type: "string", placeholder: "TEXT", default: "Once upon a time", description: "prompt" },
      steps: { type: "int", placeholder: "N", min: 2, max: 4096, default: 160, description: "positions including the prompt" },
      "prompt-tokens": { type: "int", placeholder: "N", min: 2, max: 4096, default: 256, description: "prefill length for the TTFT comparison" },
      reps: { type: "int", placeholder: "N", min: 1, max: 100, default: 5, description: "timed repetitions of the comparison" },
      json: { type: "boolean", description: "print JSON instead of text and a summary" },
    },
    examples: ["tensorwire", "tensorwire quickstart --link 1Gbit/s --codec q8_0", "tensorwire quickstart --tp 4 --json"],
  },
  async ({ options: o }, { out, err, env }) => {
    const codec = codecSpecOf(o.codec);
    if (codec === "none") throw new CliError("--codec: the quickstart compares a codec with uncompressed; pick one (see tensorwire codecs)", { exitCode: 2 });
    const choice = await chooseModel(o, env);
    if (choice.builtin) err(fetchNote + "\n");
    const policy = paperPolicy(codec);
    let model;
    try {
      model = await loadModel({ ...choice.load, tp: o.tp, policy, link: o.link, maxBatch: Math.max(o["prompt-tokens"], 64) });
    } catch (e) {
      throw new CliError(`cannot load ${choice.label}: ${(e as Error).message}`, { cause: e });
    }
    try {
      if (!o.json) err(`${choice.label} on ${o.tp} worker threads, link ${formatLink(o.link)}, ${codec.format} all-reduces during prefill\n\n`);
      const gen = await model.generate({ prompt: o.prompt, steps: Math.min(o.steps, model.maxSeqLen), temperature: 0, onToken: o.json ? undefined : (t) => out(t) });
      if (!o.json) out("\n\n");
      // TTFT with and without compression on the same link and the same prompt
      const promptTokens = gen.tokens.length >= o["prompt-tokens"] ? gen.tokens.slice(0, o["prompt-tokens"]) : [...gen.tokens, ...Array.from({ length: o["prompt-tokens"] - gen.tokens.length }, (_, i) => gen.tokens[1 + (i % Math.max(1, gen.tokens.length - 1))] ?? 3)];
      const progress = createProgress({ label: "TTFT: uncompressed vs compressed" });
      const rows = await measureLatency(model, {
        prompt: promptTokens.slice(0, Math.min(promptTokens.length, model.maxSeqLen)), decodeTokens: 0, reps: o.reps, warmup: 1,
        variants: [{ label: "none", policy: UNCOMPRESSED }, { label: codec.format, policy }],
        onProgress: (d, t) => { progress.setTotal(t); progress.update(d); },
      }).finally(() => progress.done());
      // quality along the generated text: compressed vs uncompressed next-token distributions
      const acc = new QualityAccumulator(model.config.vocabSize);
      await model.setPolicy(UNCOMPRESSED);
      const ref = await model.score(gen.tokens);
      await model.setPolicy({ rules: [{ codec, compress: true }] });
      const test = await model.score(gen.tokens);
      acc.addWindow(ref.logits, test.logits, gen.tokens.slice(1));
      const q = acc.result();
      const [none, comp] = rows as [typeof rows[0], typeof rows[0]];
      const speedup = none.ttft.median / comp.ttft.median;
      const result = {
        model: choice.label, tp: o.tp, link: o.link, codec: codec.format, text: gen.text,
        ttft_uncompressed_ms: none.ttft.median, ttft_compressed_ms: comp.ttft.median, speedup,
        bytes_per_token_uncompressed: none.prefillBytes / promptTokens.length, bytes_per_token_compressed: comp.prefillBytes / promptTokens.length,
        compression_ratio: comp.compressionRatio, kl_mean: q.klMean, top1_agree: q.top1Agree, delta_ppl_pct: q.deltaPplPct, tokens: q.tokens,
      };
      if (o.json) { out(JSON.stringify(result, null, 2) + "\n"); return; }
      out([
        `What compression bought (${promptTokens.length}-token prefill, TP ${o.tp}, ${formatLink(o.link)}, median of ${o.reps}):`,
        `  bytes sent per rank per token   ${formatBytes(result.bytes_per_token_uncompressed).padStart(10)} uncompressed  →  ${formatBytes(result.bytes_per_token_compressed).padStart(10)} ${codec.format} (${comp.compressionRatio.toFixed(2)}x smaller)`,
        `  time to first token             ${none.ttft.median.toFixed(1).padStart(7)} ms uncompressed  →  ${comp.ttft.median.toFixed(1).padStart(7)} ms ${codec.format} (${speedup.toFixed(2)}x ${speedup >= 1 ? "faster" : "slower"})`,
        `  quality along the text above    KL ${q.klMean.toExponential(2)} nats/token, same top token ${(100 * q.top1Agree).toFixed(1)}%, perplexity ${q.deltaPplPct >= 0 ? "+" : ""}${q.deltaPplPct.toFixed(2)}% (${q.tokens} tokens)`,
        "",
        "Next: tensorwire run --help · tensorwire eval (quality on TinyStories) · tensorwire bench (TTFT vs bandwidth) · tensorwire codecs",
        "",
      ].join("\n"));
    } finally {
      await model.close();
    }
  },
);
