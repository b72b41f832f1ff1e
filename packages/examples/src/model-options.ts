// The options every model command shares (run, eval, bench, the quickstart): which model, how many
// ranks, which codec and policy, which emulated link — and how they become tp-model's LoadModelOptions.
import { type CodecSpec, type FormatInfo, listFormats, resolveCodec } from "@tensorwire/quant-wasm";
import type { CompressionScheme, LinkModel } from "@tensorwire/collectives";
import { type CompressionPolicy, UNCOMPRESSED, paperPolicy } from "@tensorwire/tp-model";
import { UsageError } from "./cli/errors.js";
import { LINK_SYNTAX, parseLink } from "./cli/units.js";
import { BUILTIN_NAME, builtinModelBytes } from "./builtin-model.js";
import { DEFAULT_MODEL, findDefaultModel, resolveModel } from "./models.js";

export const MODEL_OPTIONS = {
  model: { type: "string", placeholder: "NAME|FILE", description: `model name in the models directory (${DEFAULT_MODEL}) or a .bin/.gguf path; default ${DEFAULT_MODEL} when downloaded, else the built-in synthetic model` },
  tokenizer: { type: "string", placeholder: "FILE", description: "llama2.c tokenizer.bin (for .bin checkpoints; GGUF embeds its tokenizer)" },
  tp: { type: "int", placeholder: "N", min: 1, max: 64, default: 1, description: "tensor-parallel degree (worker threads; at most the model's query heads)" },
  link: { type: "custom", placeholder: "LINK", parse: parseLink, default: "none", limits: LINK_SYNTAX, description: "emulated interconnect between ranks" },
} as const;

export const CODEC_OPTIONS = {
  codec: { type: "string", placeholder: "NAME", default: "none", description: "codec of the row-parallel all-reduces, or none (see tensorwire codecs)" },
  block: { type: "int", placeholder: "N", min: 1, max: 4096, description: "codec block size (default: the format's)" },
  scale: { type: "string", placeholder: "KIND", description: "codec scale kind, e.g. e8m0, fp16 (default: the format's)" },
  compress: { type: "string", placeholder: "WHEN", choices: ["always", "auto", "never"], default: "always", description: "always compress, auto (only where the link model says it pays), or never" },
  scheme: { type: "string", placeholder: "NAME", choices: ["auto", "allgather", "two-shot"], default: "auto", description: "compressed all-reduce scheme" },
  phase: { type: "string", placeholder: "WHICH", choices: ["prefill", "both"], default: "prefill", description: "compress during prefill only (the paper's choice) or also while decoding" },
} as const;

/** A codec name plus --block / --scale → a full spec (UsageError naming the flag when invalid). */
export function codecSpecOf(name: string, block?: number, scale?: string): CodecSpec | "none" {
  if (name === "none") return "none";
  try {
    return resolveCodec(name, { ...(block === undefined ? {} : { block }), ...(scale === undefined ? {} : { scale: scale as CodecSpec["scale"] }) });
  } catch (e) {
    throw new UsageError(`--codec ${name}: ${(e as Error).message}`, 'Run "tensorwire codecs" for the formats, their block sizes and scales.');
  }
}

export function formatNames(): string[] {
  return listFormats().map((f: FormatInfo) => f.name as string);
}

export interface PolicyArgs {
  codec: string;
  block?: number;
  scale?: string;
  compress: string;
  scheme: string;
  phase: string;
}

/** The compression policy the flags describe. */
export function policyOf(a: PolicyArgs): { policy: CompressionPolicy; codec: CodecSpec | "none" } {
  const codec = codecSpecOf(a.codec, a.block, a.scale);
  if (codec === "none" || a.compress === "never") return { policy: UNCOMPRESSED, codec: "none" };
  return {
    policy: paperPolicy(codec, { scheme: a.scheme as CompressionScheme | "auto", compress: a.compress === "auto" ? "auto" : true, phase: a.phase as "prefill" | "both" }),
    codec,
  };
}

export interface ModelChoice {
  load: { model: string; bytes?: Uint8Array; tokenizer?: string };
  /** what to call it in output */
  label: string;
  builtin: boolean;
}

/** Resolve --model/--tokenizer; without --model: stories260K if downloaded, else the built-in synthetic model. */
export async function chooseModel(a: { model?: string; tokenizer?: string }, env: NodeJS.ProcessEnv): Promise<ModelChoice> {
  if (a.model === undefined) {
    const d = findDefaultModel({ env, tokenizer: a.tokenizer });
    if (d) return { load: { model: d.path, tokenizer: d.tokenizer ?? undefined }, label: `${d.name ?? d.path} (${d.path})`, builtin: false };
    return { load: { model: "builtin-synthetic.gguf", bytes: await builtinModelBytes() }, label: BUILTIN_NAME, builtin: true };
  }
  const r = resolveModel(a.model, { env, tokenizer: a.tokenizer });
  return { load: { model: r.path, tokenizer: r.tokenizer ?? undefined }, label: r.name ? `${r.name} (${r.path})` : r.path, builtin: false };
}

export function linkLabel(link: LinkModel | null): string {
  if (!link) return "shared memory";
  return `${(link.bandwidthBytesPerSec * 8 / 1e9).toPrecision(3)} Gbit/s + ${(link.latencySec * 1e6).toPrecision(3)} µs`;
}

export const fetchNote = `No real model found: using the built-in synthetic model (random weights, so the text is noise). ` +
  `Run "tensorwire fetch ${DEFAULT_MODEL}" (or set TENSORWIRE_MODELS) for real text.`;
