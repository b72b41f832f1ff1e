// `tensorwire run`: tensor-parallel generation with optionally compressed all-reduces, streaming the
// text as llama2.c's run.c prints it, then a summary (TTFT, tokens/s, bytes per token, compression,
// share of time in communication). `--json` prints one object; `--dump-logits` writes the f32 logits
// of every sampled position (positions × vocab, row-major, little-endian).
import { writeFileSync } from "node:fs";
import { loadModel } from "@tensorwire/tp-model/node";
import { CliError, defineCommand } from "../cli/command.js";
import { formatBytes } from "../cli/units.js";
import { CODEC_OPTIONS, MODEL_OPTIONS, chooseModel, fetchNote, linkLabel, policyOf } from "../model-options.js";

export const runCommand = defineCommand(
  {
    name: "run",
    summary: "generate text with a tensor-parallel model (optionally compressed all-reduces)",
    description:
      `Loads the model over --tp worker threads (each reads only its shard) and generates as llama2.c's
run.c does: --steps counts positions including the prompt (run.c's -n), generation stops at BOS or the
step limit, --temperature 0 is greedy, otherwise run.c's top-p sampler with its xorshift RNG (same
--seed, same tokens). With --codec, the two row-parallel all-reduces of every layer are compressed
during prefill (--phase both: also while decoding).`,
    options: {
      ...MODEL_OPTIONS,
      ...CODEC_OPTIONS,
      prompt: { type: "string", placeholder: "TEXT", default: "", description: "prompt (encoded with BOS and the dummy leading space, as run.c)" },
      steps: { type: "int", placeholder: "N", min: 0, max: 1 << 20, default: 256, description: "positions including the prompt; 0 = the whole context" },
      temperature: { type: "number", placeholder: "T", min: 0, max: 100, default: 1, description: "sampling temperature; 0 = greedy" },
      topp: { type: "number", placeholder: "P", min: 0, max: 1, default: 0.9, description: "top-p (nucleus) mass; 0 or 1 = sample from everything" },
      seed: { type: "int", placeholder: "N", min: 0, max: Number.MAX_SAFE_INTEGER, default: 42, description: "sampler seed (run.c's -s)" },
      "dump-logits": { type: "string", placeholder: "FILE", description: "write the f32 logits of every sampled position (positions × vocab, row-major)" },
      json: { type: "boolean", description: "print one JSON object instead of streaming text and a summary" },
    },
    examples: [
      "tensorwire run --model stories260K --tp 2 --temperature 0 --steps 200",
      "tensorwire run --tp 2 --codec mxfp4 --link 1Gbit/s --prompt \"Once upon a time\"",
      "tensorwire run --model model.gguf --tp 3 --codec q8_0 --json --dump-logits logits.f32",
    ],
  },
  async ({ options: o }, { out, err, env }) => {
    const { policy, codec } = policyOf(o);
    const choice = await chooseModel(o, env);
    if (choice.builtin) err(fetchNote + "\n");
    let model;
    try {
      model = await loadModel({ ...choice.load, tp: o.tp, policy, link: o.link });
    } catch (e) {
      throw new CliError(`cannot load ${choice.label}: ${(e as Error).message}`, { cause: e });
    }
    const dump: Float32Array[] = [];
    try {
      const r = await model.generate({
        prompt: o.prompt, steps: o.steps, temperature: o.temperature, topp: o.topp, seed: o.seed,
        onToken: o.json ? undefined : (t) => out(t),
        onLogits: o["dump-logits"] ? (l) => dump.push(l) : undefined,
      });
      if (o["dump-logits"]) {
        const all = new Float32Array(dump.length * model.config.vocabSize);
        dump.forEach((row, i) => all.set(row, i * model!.config.vocabSize));
        try {
          writeFileSync(o["dump-logits"], new Uint8Array(all.buffer));
        } catch (e) {
          throw new CliError(`--dump-logits: cannot write ${o["dump-logits"]}: ${(e as Error).message}`);
        }
      }
      const commShare = (r.prefill.commMs + r.decode.commMs) / Math.max(1e-9, r.prefill.computeMs + r.prefill.commMs + r.decode.computeMs + r.decode.commMs);
      if (o.json) {
        out(JSON.stringify({
          text: r.text, tokens: r.tokens, prompt_tokens: r.promptTokens, stop: r.stop,
          ttft_ms: r.ttftMs, tokens_per_s: Number.isFinite(r.tokensPerSec) ? r.tokensPerSec : null,
          bytes_per_token: r.bytesPerToken, compression_ratio: r.prefill.compressionRatio,
          decode_compression_ratio: r.decode.compressionRatio, comm_share: commShare,
          model: choice.label, tp: o.tp, codec: codec === "none" ? "none" : codec, link: o.link,
          prefill: r.prefill, decode: r.decode,
          ...(o["dump-logits"] ? { dump_logits: { file: o["dump-logits"], rows: dump.length, vocab: model.config.vocabSize, dtype: "f32le" } } : {}),
        }) + "\n");
      } else {
        out("\n");
        const codecName = codec === "none" ? "none" : `${codec.format}${codec.block ? `/b${codec.block}` : ""}`;
        err(
          `\n${choice.label}: TP ${o.tp}, codec ${codecName}, link ${linkLabel(o.link)}\n` +
          `TTFT ${r.ttftMs.toFixed(1)} ms (${r.promptTokens}-token prompt) · ${Number.isFinite(r.tokensPerSec) ? r.tokensPerSec.toFixed(1) : "-"} tok/s · ` +
          `${formatBytes(r.bytesPerToken)}/token sent per rank · compression ${r.prefill.compressionRatio.toFixed(2)}x (prefill) · ` +
          `communication ${(100 * commShare).toFixed(1)}% of rank time\n`,
        );
      }
    } finally {
      await model.close();
    }
  },
);
