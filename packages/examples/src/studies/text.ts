// Evaluation text: stories separated by `<|endoftext|>` lines (the TinyStories format).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { UsageError } from "../cli/errors.js";

export type TextForm = "raw" | "single-newline";

/**
 * Split a text file into stories. `raw` keeps each story as it is (blank lines between paragraphs);
 * `single-newline` collapses runs of newlines to one (the form the TinyStories models were trained on).
 * Leading and trailing whitespace of every story is removed; empty stories are dropped.
 */
export function splitStories(text: string, form: TextForm = "raw"): string[] {
  return text
    .split(/\r?\n?<\|endoftext\|>\r?\n?/)
    .map((s) => s.replace(/\r\n/g, "\n").trim())
    .filter((s) => s.length > 0)
    .map((s) => (form === "single-newline" ? s.replace(/\n{2,}/g, "\n") : s));
}

/** The default evaluation text, $TENSORWIRE_DATA/tinystories/valid_first1000.txt, when it exists. */
export function defaultTextPath(env: NodeJS.ProcessEnv): string | null {
  const d = env.TENSORWIRE_DATA;
  const p = d ? join(d, "tinystories", "valid_first1000.txt") : null;
  return p && existsSync(p) ? p : null;
}

/** Read `--text` (or the default) and split it; UsageError naming the flag when missing, unreadable or empty. */
export function readStories(text: string | undefined, env: NodeJS.ProcessEnv, form: TextForm = "raw"): { path: string; stories: string[] } {
  const path = text ?? defaultTextPath(env);
  if (!path) throw new UsageError("no evaluation text: pass --text FILE (stories separated by <|endoftext|> lines) or set TENSORWIRE_DATA");
  let raw: string;
  try {
    raw = readFileSync(path, "utf8");
  } catch (e) {
    throw new UsageError(`--text: cannot read ${path}: ${(e as Error).message}`);
  }
  const stories = splitStories(raw, form);
  if (stories.length === 0) throw new UsageError(`--text: ${path} holds no stories`);
  return { path, stories };
}
