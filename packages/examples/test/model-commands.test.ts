// End to end through the built CLI on the real stories260K (TENSORWIRE_MODELS) and TinyStories text
// (TENSORWIRE_DATA): run reproduces llama2.c's golden text at TP 2, eval gives a finite perplexity near
// the reference figure with KL = 0 for no compression and KL > 0 for a lossy codec, bench and the
// quickstart produce their reports, and bad flags or files exit non-zero with a message.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const cli = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
const models = process.env.TENSORWIRE_MODELS;
const data = process.env.TENSORWIRE_DATA;
const have = !!models && existsSync(join(models, "stories260K", "stories260K.bin")) && !!data && existsSync(join(data, "tinystories", "valid_first1000.txt"));
if (!have && process.env.CI === "true") throw new Error("CI=true but TENSORWIRE_MODELS / TENSORWIRE_DATA do not hold stories260K and the TinyStories text");
const d = have ? describe : describe.skip;
const env = { ...process.env, TENSORWIRE_DEBUG: "", TENSORWIRE_NO_PROGRESS: "1" };
const cmd = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: "utf8", env, maxBuffer: 64 << 20 });

d("model commands on stories260K", () => {
  it("run --tp 2 --temperature 0 --steps 200 --json equals the llama2.c golden text", () => {
    const golden = readFileSync(join(models!, "..", "golden", "stories260K", "greedy_t0_n200.txt"), "utf8");
    const r = cmd("run", "--model", "stories260K", "--tp", "2", "--temperature", "0", "--steps", "200", "--json");
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(j.text).toBe(golden);
    expect((j.tokens as number[])[0]).toBe(1);
    expect((j.tokens as number[]).length).toBe(201);
    for (const k of ["ttft_ms", "tokens_per_s", "bytes_per_token", "comm_share"]) expect(typeof j[k], k).toBe("number");
  });

  it("run streams exactly the JSON text, and --dump-logits writes positions × vocab f32", () => {
    const dir = mkdtempSync(join(tmpdir(), "tw-run-"));
    const file = join(dir, "logits.f32");
    const a = cmd("run", "--model", "stories260K", "--tp", "3", "--steps", "40", "--temperature", "0.8", "--seed", "7", "--prompt", "Once upon a time");
    const b = cmd("run", "--model", "stories260K", "--tp", "3", "--steps", "40", "--temperature", "0.8", "--seed", "7", "--prompt", "Once upon a time", "--json", "--dump-logits", file);
    expect(a.status, a.stderr).toBe(0);
    const j = JSON.parse(b.stdout) as { text: string; tokens: number[]; prompt_tokens: number };
    expect(a.stdout).toBe(j.text + "\n");
    expect(j.text.startsWith("Once upon a time")).toBe(true);
    const sampled = j.tokens.length - j.prompt_tokens;
    expect(statSync(file).size).toBe(sampled * 512 * 4);
  });

  it("eval: finite perplexity near the reference, KL 0 for none, KL > 0 for mxfp4", () => {
    const r = cmd("eval", "--model", "stories260K", "--tp", "2", "--stories", "30", "--codec", "none,mxfp4", "--json");
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as { results: Record<string, number>[]; text_form: string; tokens: number };
    expect(j.text_form).toBe("raw");
    const [none, mx] = j.results as [Record<string, number>, Record<string, number>];
    expect(none.ppl).toBeGreaterThan(2.5);
    expect(none.ppl).toBeLessThan(7); // reference figure: about 4.6 over the whole file
    expect(none.kl_mean).toBe(0);
    expect(none.top1_agree).toBe(1);
    expect(none.delta_ppl_pct).toBe(0);
    expect(mx.kl_mean).toBeGreaterThan(0);
    expect(mx.bits_per_value).toBe(4.25);
    for (const k of ["codec", "bits_per_value", "ppl", "ppl_ref", "delta_ppl_pct", "kl_mean", "kl_p99", "top1_agree", "tokens"]) expect(mx[k], k).toBeDefined();
  });

  it("bench writes the latency study", () => {
    const dir = mkdtempSync(join(tmpdir(), "tw-bench-"));
    const r = cmd("bench", "--model", "stories260K", "--links", "shm,10Mbit/s", "--codec", "mxfp4", "--reps", "1", "--warmup", "0", "--prompt", "64", "--decode", "2", "--out", dir);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("10Mbit/s");
    expect(readFileSync(join(dir, "latency-stories260K.svg"), "utf8")).toContain("TTFT (ms)");
  });

  it("the quickstart shows text and what compression bought", () => {
    const r = cmd("quickstart", "--reps", "1", "--steps", "40", "--prompt-tokens", "64");
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("Once upon a time");
    expect(r.stdout).toContain("What compression bought");
  });
});

describe("model command errors", () => {
  it.each([
    [["run", "--model", "/nonexistent.gguf"], /file not found/],
    [["run", "--tp", "0"], /--tp/],
    [["run", "--codec", "nope"], /nope/],
    [["run", "--temperature", "-1"], /--temperature/],
    [["run", "--steps", "x"], /--steps/],
    [["run", "--link", "fast"], /--link/],
    [["eval", "--text", "/nonexistent.txt"], /nonexistent/],
    [["bench", "--synthetic", "10,2"], /--synthetic/],
    [["run", "--bogus"], /bogus/],
  ])("%j exits non-zero with a message", (args, msg) => {
    const r = cmd(...(args as string[]));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(msg as RegExp);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });
});
