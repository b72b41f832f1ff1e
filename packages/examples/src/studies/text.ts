// Evaluation text: stories separated by `<|endoftext|>` lines (the TinyStories format).

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
