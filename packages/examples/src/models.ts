// Where models live and how `--model <name|path>` resolves, shared by every command.
//
// The models directory is TENSORWIRE_MODELS when set, else a per-user cache directory:
// %LOCALAPPDATA%\tensorwire\models on Windows, $XDG_CACHE_HOME/tensorwire/models, else
// ~/.cache/tensorwire/models. A known model keeps its files in `<models dir>/<name>/<file>`, the
// layout `tensorwire fetch` writes (and a mirror for `--mirror` serves).
import { closeSync, openSync, readSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { basename, dirname, join, resolve, win32 } from "node:path";
import { UsageError } from "./cli/errors.js";

/** One downloadable file of a known model, with its pinned size and SHA-256. */
export interface ModelFile {
  /** file name inside `<models dir>/<model>/` */
  readonly file: string;
  readonly kind: "llama2c-checkpoint" | "llama2c-tokenizer" | "gguf";
  /** upstream URL */
  readonly url: string;
  readonly bytes: number;
  /** lower-case hex */
  readonly sha256: string;
}

/** A model `tensorwire fetch` knows and `--model <name>` resolves. */
export interface KnownModel {
  readonly name: string;
  readonly description: string;
  /** llama2.c checkpoint, its tokenizer, and the same weights as GGUF */
  readonly checkpoint: string;
  readonly tokenizer: string;
  readonly gguf: string;
  readonly files: readonly ModelFile[];
}

/** Every known model, by name. */
export const KNOWN_MODELS: Readonly<Record<string, KnownModel>> = {
  stories260K: {
    name: "stories260K",
    description: "Karpathy's TinyStories Llama, 260K parameters (dim 64, 5 layers, 8 heads, 4 KV heads, vocab 512)",
    checkpoint: "stories260K.bin",
    tokenizer: "tok512.bin",
    gguf: "stories260K.gguf",
    files: [
      {
        file: "stories260K.bin", kind: "llama2c-checkpoint", bytes: 1_056_540,
        url: "https://huggingface.co/karpathy/tinyllamas/resolve/main/stories260K/stories260K.bin",
        sha256: "b0a507e7ad0f626624f17112325e66691f9076d622e1d3274d103d00299f2696",
      },
      {
        file: "tok512.bin", kind: "llama2c-tokenizer", bytes: 6_227,
        url: "https://huggingface.co/karpathy/tinyllamas/resolve/main/stories260K/tok512.bin",
        sha256: "037cb335abb25d1fa9e8ecae30ed2a3a8ace9302862ebcdc05d51a6bbb10c312",
      },
      {
        file: "stories260K.gguf", kind: "gguf", bytes: 1_185_376,
        url: "https://huggingface.co/ggml-org/models/resolve/main/tinyllamas/stories260K.gguf",
        sha256: "270cba1bd5109f42d03350f60406024560464db173c0e387d91f0426d3bd256d",
      },
    ],
  },
};

/** The model `run`, `eval` and `bench` use when none is given. */
export const DEFAULT_MODEL = "stories260K";

/** Environment and platform for modelsDir (injectable for tests). */
export interface ModelsEnv {
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  home?: string;
}

/** The models directory (absolute): TENSORWIRE_MODELS, else the per-user cache directory (see the file comment). */
export function modelsDir(o: ModelsEnv = {}): string {
  const env = o.env ?? process.env;
  const platform = o.platform ?? process.platform;
  if (env.TENSORWIRE_MODELS) return resolve(env.TENSORWIRE_MODELS);
  if (platform === "win32") {
    const base = env.LOCALAPPDATA || win32.join(o.home ?? homedir(), "AppData", "Local");
    return win32.join(base, "tensorwire", "models");
  }
  const cache = env.XDG_CACHE_HOME && env.XDG_CACHE_HOME.startsWith("/") ? env.XDG_CACHE_HOME : join(o.home ?? homedir(), ".cache");
  return join(cache, "tensorwire", "models");
}

/** Where the models directory came from, for messages. */
export function modelsDirSource(o: ModelsEnv = {}): string {
  const env = o.env ?? process.env;
  return env.TENSORWIRE_MODELS ? "TENSORWIRE_MODELS" : "the per-user cache (set TENSORWIRE_MODELS to use another directory)";
}

/** A model resolved to files that exist. */
export interface ResolvedModel {
  /** the known model's name, when `--model` named one (or the file is one of its files) */
  readonly name: string | null;
  readonly format: "llama2c" | "gguf";
  /** absolute path of the checkpoint (.bin) or GGUF file */
  readonly path: string;
  /** absolute path of the llama2.c tokenizer (llama2c only; GGUF embeds its tokenizer) */
  readonly tokenizer: string | null;
}

/** Options of resolveModel. */
export interface ResolveOptions extends ModelsEnv {
  /** For a known name: which form to use; `auto` (default) = the llama2.c pair when present, else the GGUF. */
  prefer?: "auto" | "llama2c" | "gguf";
  /** Explicit tokenizer file (llama2.c checkpoints). */
  tokenizer?: string;
}

function isFile(p: string): boolean {
  try { return statSync(p).isFile(); } catch { return false; }
}

function sizeOf(p: string): number | null {
  try { const s = statSync(p); return s.isFile() ? s.size : null; } catch { return null; }
}

function isGguf(path: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(path, "r");
    const b = Buffer.alloc(4);
    return readSync(fd, b, 0, 4, 0) === 4 && b.toString("latin1") === "GGUF";
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

const fetchHint = (name: string) => `Run "tensorwire fetch ${name}" to download it (or set TENSORWIRE_MODELS to a directory holding ${name}/).`;

/** A path-like spec: has a separator, or a model file extension. */
function looksLikePath(spec: string): boolean {
  return /[\\/]/.test(spec) || /\.(bin|gguf)$/i.test(spec) || spec.startsWith(".");
}

/**
 * Resolves `--model`: a known name (`stories260K`, case-insensitive) → its files in the models
 * directory; anything else is a file path (.gguf detected by its magic, otherwise a llama2.c
 * checkpoint, whose tokenizer is `--tokenizer`, else the known tokenizer or `tokenizer.bin` beside it).
 * Throws UsageError (exit 2) listing every place it looked and how to get the model.
 */
export function resolveModel(spec: string, o: ResolveOptions = {}): ResolvedModel {
  const s = spec.trim();
  if (!s) throw new UsageError("--model: empty model name", `Known models: ${Object.keys(KNOWN_MODELS).join(", ")}; or pass a .bin/.gguf path.`);
  const known = Object.values(KNOWN_MODELS).find((m) => m.name.toLowerCase() === s.toLowerCase());
  const tokenizer = o.tokenizer === undefined ? undefined : resolve(o.tokenizer);
  if (tokenizer !== undefined && !isFile(tokenizer)) {
    throw new UsageError(`--tokenizer: file not found: ${tokenizer}`, "Pass the llama2.c tokenizer.bin that belongs to the checkpoint.");
  }
  if (known && !looksLikePath(s)) {
    const dir = join(modelsDir(o), known.name);
    const bin = join(dir, known.checkpoint), tok = join(dir, known.tokenizer), gguf = join(dir, known.gguf);
    const prefer = o.prefer ?? "auto";
    const damaged = known.files
      .map((f) => ({ f, size: sizeOf(join(dir, f.file)) }))
      .filter(({ size, f }) => size !== null && size !== f.bytes);
    const ok = (file: string) => isFile(file) && !damaged.some((d) => join(dir, d.f.file) === file);
    if (prefer !== "gguf" && ok(bin) && (tokenizer !== undefined || ok(tok))) {
      return { name: known.name, format: "llama2c", path: bin, tokenizer: tokenizer ?? tok };
    }
    if (prefer !== "llama2c" && ok(gguf)) return { name: known.name, format: "gguf", path: gguf, tokenizer: null };
    const looked = prefer === "gguf" ? [gguf] : prefer === "llama2c" ? [bin, tok] : [bin, tok, gguf];
    const bad = damaged.length ? `; ${damaged.map((d) => `${d.f.file} has ${d.size} bytes, expected ${d.f.bytes}`).join(", ")}` : "";
    throw new UsageError(
      `model ${known.name} not found in the models directory ${dir} (from ${modelsDirSource(o)}); looked for ${looked.join(", ")}${bad}`,
      fetchHint(known.name),
    );
  }
  const path = resolve(s);
  if (!isFile(path)) {
    const names = Object.keys(KNOWN_MODELS);
    throw new UsageError(
      looksLikePath(s) ? `--model: file not found: ${path}` : `--model: "${s}" is neither a file (looked for ${path}) nor a known model (${names.join(", ")})`,
      `Pass a .bin or .gguf file, or a known model name. ${fetchHint(DEFAULT_MODEL)}`,
    );
  }
  const ofKnown = Object.values(KNOWN_MODELS).find((m) => m.files.some((f) => f.file === basename(path)));
  if (isGguf(path)) return { name: ofKnown?.name ?? null, format: "gguf", path, tokenizer: null };
  if (tokenizer !== undefined) return { name: ofKnown?.name ?? null, format: "llama2c", path, tokenizer };
  const candidates = [...(ofKnown ? [join(dirname(path), ofKnown.tokenizer)] : []), join(dirname(path), "tokenizer.bin")];
  const tok = candidates.find(isFile);
  if (!tok) {
    throw new UsageError(
      `${path} is a llama2.c checkpoint and needs its tokenizer; looked for ${candidates.join(", ")}`,
      "Pass --tokenizer FILE (llama2.c tokenizer.bin format), or use a .gguf file (it embeds its tokenizer).",
    );
  }
  return { name: ofKnown?.name ?? null, format: "llama2c", path, tokenizer: tok };
}

/**
 * The default real model (stories260K) when the models directory has it, else null — `run` and
 * `bench` then fall back to the built-in synthetic model and say how to fetch the real one.
 */
export function findDefaultModel(o: ResolveOptions = {}): ResolvedModel | null {
  try {
    return resolveModel(DEFAULT_MODEL, o);
  } catch (e) {
    if (e instanceof UsageError) return null;
    throw e;
  }
}

/** Whether the default real model is available (see findDefaultModel). */
export function defaultModelAvailable(o: ResolveOptions = {}): boolean {
  return findDefaultModel(o) !== null;
}
