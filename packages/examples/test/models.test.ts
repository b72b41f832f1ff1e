// Model name resolution (src/models.ts): the models directory rules, known names, paths, tokenizers,
// and the messages when something is missing. Files are stand-ins of the pinned sizes in temp dirs;
// the real directory (TENSORWIRE_MODELS) is checked when present.
import { mkdirSync, mkdtempSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { UsageError } from "../src/cli/errors.js";
import { DEFAULT_MODEL, KNOWN_MODELS, defaultModelAvailable, findDefaultModel, modelsDir, resolveModel } from "../src/models.js";

const m = KNOWN_MODELS.stories260K!;
const size = (f: string) => m.files.find((x) => x.file === f)!.bytes;

function standIn(dir: string, files: string[], opts: { wrongSize?: string } = {}): string {
  const d = join(dir, "stories260K");
  mkdirSync(d, { recursive: true });
  for (const f of files) {
    const p = join(d, f);
    writeFileSync(p, f.endsWith(".gguf") ? "GGUF" : "xxxx");
    truncateSync(p, f === opts.wrongSize ? size(f) - 1 : size(f));
  }
  return d;
}

function usageError(f: () => unknown): UsageError {
  try { f(); } catch (e) { expect(e).toBeInstanceOf(UsageError); return e as UsageError; }
  throw new Error("expected a UsageError");
}

describe("modelsDir", () => {
  it("TENSORWIRE_MODELS wins, then XDG_CACHE_HOME, then ~/.cache; LOCALAPPDATA on Windows", () => {
    expect(modelsDir({ env: { TENSORWIRE_MODELS: "/m" }, platform: "linux" })).toBe("/m");
    expect(modelsDir({ env: { XDG_CACHE_HOME: "/xdg" }, platform: "linux", home: "/h" })).toBe("/xdg/tensorwire/models");
    expect(modelsDir({ env: { XDG_CACHE_HOME: "relative" }, platform: "linux", home: "/h" })).toBe("/h/.cache/tensorwire/models");
    expect(modelsDir({ env: {}, platform: "darwin", home: "/Users/u" })).toBe("/Users/u/.cache/tensorwire/models");
    expect(modelsDir({ env: { LOCALAPPDATA: "C:\\Users\\u\\AppData\\Local" }, platform: "win32" })).toBe("C:\\Users\\u\\AppData\\Local\\tensorwire\\models");
    expect(modelsDir({ env: {}, platform: "win32", home: "C:\\Users\\u" })).toBe("C:\\Users\\u\\AppData\\Local\\tensorwire\\models");
  });
});

describe("resolveModel", () => {
  it("a known name → the llama2.c pair when present, else the GGUF; prefer picks one form", () => {
    const root = mkdtempSync(join(tmpdir(), "tw-models-"));
    const env = { TENSORWIRE_MODELS: root };
    const d = standIn(root, ["stories260K.bin", "tok512.bin", "stories260K.gguf"]);
    expect(resolveModel("stories260K", { env })).toEqual({ name: "stories260K", format: "llama2c", path: join(d, "stories260K.bin"), tokenizer: join(d, "tok512.bin") });
    expect(resolveModel("STORIES260k", { env }).name).toBe("stories260K");
    expect(resolveModel("stories260K", { env, prefer: "gguf" })).toEqual({ name: "stories260K", format: "gguf", path: join(d, "stories260K.gguf"), tokenizer: null });
    const g = mkdtempSync(join(tmpdir(), "tw-models-"));
    standIn(g, ["stories260K.gguf"]);
    expect(resolveModel("stories260K", { env: { TENSORWIRE_MODELS: g } }).format).toBe("gguf");
    expect(findDefaultModel({ env: { TENSORWIRE_MODELS: g } })?.format).toBe("gguf");
    expect(DEFAULT_MODEL).toBe("stories260K");
  });

  it("a missing known model lists where it looked and suggests tensorwire fetch", () => {
    const root = mkdtempSync(join(tmpdir(), "tw-models-"));
    const e = usageError(() => resolveModel("stories260K", { env: { TENSORWIRE_MODELS: root } }));
    expect(e.message).toContain(join(root, "stories260K", "stories260K.bin"));
    expect(e.message).toContain(join(root, "stories260K", "stories260K.gguf"));
    expect(e.message).toContain("TENSORWIRE_MODELS");
    expect(e.hint).toContain('tensorwire fetch stories260K');
    expect(defaultModelAvailable({ env: { TENSORWIRE_MODELS: root } })).toBe(false);
    expect(findDefaultModel({ env: { TENSORWIRE_MODELS: root } })).toBeNull();
  });

  it("a file of the wrong size is not used, and the message says so", () => {
    const root = mkdtempSync(join(tmpdir(), "tw-models-"));
    standIn(root, ["stories260K.bin", "tok512.bin"], { wrongSize: "stories260K.bin" });
    const e = usageError(() => resolveModel("stories260K", { env: { TENSORWIRE_MODELS: root } }));
    expect(e.message).toContain(`stories260K.bin has ${size("stories260K.bin") - 1} bytes, expected ${size("stories260K.bin")}`);
  });

  it("paths: GGUF by magic, .bin with the tokenizer beside it or --tokenizer, clear errors otherwise", () => {
    const root = mkdtempSync(join(tmpdir(), "tw-models-"));
    const d = standIn(root, ["stories260K.bin", "tok512.bin", "stories260K.gguf"]);
    expect(resolveModel(join(d, "stories260K.gguf"))).toMatchObject({ format: "gguf", name: "stories260K", tokenizer: null });
    expect(resolveModel(join(d, "stories260K.bin"))).toMatchObject({ format: "llama2c", tokenizer: join(d, "tok512.bin") });
    // an unknown checkpoint: tokenizer.bin beside it, or --tokenizer
    const other = mkdtempSync(join(tmpdir(), "tw-models-"));
    writeFileSync(join(other, "model.bin"), "xxxx");
    const e = usageError(() => resolveModel(join(other, "model.bin")));
    expect(e.message).toMatch(/is a llama2\.c checkpoint and needs its tokenizer; looked for .*tokenizer\.bin/);
    expect(e.hint).toContain("--tokenizer");
    expect(resolveModel(join(other, "model.bin"), { tokenizer: join(d, "tok512.bin") }).tokenizer).toBe(join(d, "tok512.bin"));
    writeFileSync(join(other, "tokenizer.bin"), "t");
    expect(resolveModel(join(other, "model.bin")).tokenizer).toBe(join(other, "tokenizer.bin"));
    writeFileSync(join(other, "weights.gguf.renamed"), "GGUFxxxx");
    expect(resolveModel(join(other, "weights.gguf.renamed")).format).toBe("gguf");
    expect(usageError(() => resolveModel(join(other, "nope.gguf"))).message).toBe(`--model: file not found: ${join(other, "nope.gguf")}`);
    expect(usageError(() => resolveModel(join(other, "model.bin"), { tokenizer: join(other, "none.bin") })).message).toContain("--tokenizer: file not found");
    const u = usageError(() => resolveModel("llama-70b"));
    expect(u.message).toMatch(/"llama-70b" is neither a file .* nor a known model \(stories260K\)/);
    expect(usageError(() => resolveModel(" ")).message).toContain("empty");
  });

  it.skipIf(!process.env.TENSORWIRE_MODELS && process.env.CI !== "true")("finds the real stories260K in TENSORWIRE_MODELS", () => {
    expect(process.env.TENSORWIRE_MODELS, "TENSORWIRE_MODELS").toBeTruthy();
    const r = findDefaultModel();
    expect(r).toMatchObject({ name: "stories260K", format: "llama2c" });
    expect(resolveModel("stories260K", { prefer: "gguf" }).format).toBe("gguf");
    expect(defaultModelAvailable()).toBe(true);
  });
});
