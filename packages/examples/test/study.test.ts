// `tensorwire study quality --quick` end to end on the real stories260K and TinyStories text (skips
// without them; with CI=true their absence fails), plus the study's bit accounting and frontier.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { resolveCodec } from "@tensorwire/quant-wasm";
import { paretoFrontier, policyBitsPerValue } from "../src/studies/quality-study.js";
import { checkWellFormedXml } from "./xml.js";

const cli = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
const models = process.env.TENSORWIRE_MODELS;
const data = process.env.TENSORWIRE_DATA;
const have = !!models && existsSync(join(models, "stories260K", "stories260K.bin")) && !!data && existsSync(join(data, "tinystories", "valid_first1000.txt"));
if (!have && process.env.CI === "true") throw new Error("CI=true but TENSORWIRE_MODELS / TENSORWIRE_DATA do not hold stories260K and the TinyStories text");
const d = have ? describe : describe.skip;
const env = { ...process.env, TENSORWIRE_DEBUG: "", TENSORWIRE_NO_PROGRESS: "1" };
const cmd = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: "utf8", env, maxBuffer: 64 << 20 });

describe("quality study bookkeeping", () => {
  it("bits/value of a policy: the mean over the 2 × layers calls, outlier channels at 16 (f32: 32) bits", () => {
    const mx = resolveCodec("mxfp4"), q8 = resolveCodec("q8_0");
    expect(policyBitsPerValue({ rules: [{ codec: mx }] }, 5, 64)).toBe(4.25);
    expect(policyBitsPerValue({ rules: [] }, 5, 64)).toBe(32);
    expect(policyBitsPerValue({ rules: [{ codec: q8, site: "mlp", layers: [4] }, { codec: mx }] }, 5, 64)).toBeCloseTo((8.5 + 9 * 4.25) / 10, 12);
    expect(policyBitsPerValue({ rules: [{ codec: mx, outliers: { dim: 64, channels: [3], codec: "bf16" } }] }, 5, 64)).toBeCloseTo((4.25 * 63 + 16) / 64, 12);
    expect(policyBitsPerValue({ rules: [{ codec: mx, outliers: { dim: 64, channels: { 0: [1, 2] }, codec: "none" } }] }, 2, 64))
      .toBeCloseTo(((4.25 * 62 + 64) / 64 * 2 + 4.25 * 2) / 4, 12);
  });
  it("the frontier keeps exactly the points no cheaper point beats", () => {
    const pts = [{ bits_per_value: 4, delta_ppl_pct: 3 }, { bits_per_value: 4.5, delta_ppl_pct: 3.5 }, { bits_per_value: 5, delta_ppl_pct: 1 }, { bits_per_value: 4, delta_ppl_pct: 2 }, { bits_per_value: 8, delta_ppl_pct: 1 }];
    expect(paretoFrontier(pts)).toEqual([{ bits_per_value: 4, delta_ppl_pct: 2 }, { bits_per_value: 5, delta_ppl_pct: 1 }]);
    expect(paretoFrontier([])).toEqual([]);
  });
});

d("tensorwire study quality --quick on stories260K", () => {
  it("writes quality.md / .json / -frontier.svg whose figures match tensorwire eval on the same stories", () => {
    const out = mkdtempSync(join(tmpdir(), "tw-study-"));
    const r = cmd("study", "quality", "--quick", "--stories", "2", "--final-stories", "2", "--calibration-stories", "1", "--out", out);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/smallest bits\/value within 1% ΔPPL at TP 2: 8\.500/);
    const j = JSON.parse(readFileSync(join(out, "quality.json"), "utf8")) as {
      text_form: string; rows: { tp: number; set: string; codec: string; scheme: string; kind: string; bits_per_value: number; ppl: number; ppl_ref: number; delta_ppl_pct: number; kl_mean: number; kl_p99: number; top1_agree: number; layer_rel_error: number[] }[];
    };
    expect(j.text_form).toBe("raw");
    const sweep = j.rows.filter((x) => x.set === "sweep" && x.kind === "grid");
    expect(new Set(sweep.map((x) => x.scheme))).toEqual(new Set(["allgather", "two-shot"]));
    expect(sweep.map((x) => x.codec)).toEqual(expect.arrayContaining(["q8_0/b32/fp16", "mxfp4/b32/e8m0", "nvfp4/b16/ue4m3"]));
    for (const x of j.rows) {
      expect(Number.isFinite(x.ppl) && x.kl_mean > 0 && x.top1_agree > 0.5 && x.top1_agree <= 1, JSON.stringify(x)).toBe(true);
      expect(x.layer_rel_error.length).toBe(5);
    }
    // an outlier-channel configuration counts its 16-bit channels
    const outl = j.rows.find((x) => x.kind === "outliers")!;
    expect(outl.bits_per_value).toBeCloseTo((4.25 * 63 + 16) / 64, 12);
    // the same computation through tensorwire eval
    const e = cmd("eval", "--model", "stories260K", "--tp", "2", "--stories", "2", "--codec", "q8_0,mxfp4", "--scheme", "allgather", "--json", "--no-hidden");
    expect(e.status, e.stderr).toBe(0);
    const ev = JSON.parse(e.stdout) as { results: { codec: string; ppl: number; kl_mean: number; top1_agree: number }[] };
    for (const codec of ["q8_0/b32/fp16", "mxfp4/b32/e8m0"]) {
      const a = sweep.find((x) => x.codec === codec && x.scheme === "allgather")!, b = ev.results.find((x) => x.codec === codec)!;
      expect(a.ppl).toBeCloseTo(b.ppl, 10);
      expect(a.kl_mean).toBeCloseTo(b.kl_mean, 10);
      expect(a.top1_agree).toBe(b.top1_agree);
    }
    const md = readFileSync(join(out, "quality.md"), "utf8");
    for (const s of ["**raw**", "Smallest bits/value within 1% ΔPPL at TP 2", "## Regenerate", "npx tensorwire study quality --quick --stories 2", "## Frontier", "quality-frontier.svg"]) expect(md).toContain(s);
    const svg = readFileSync(join(out, "quality-frontier.svg"), "utf8");
    checkWellFormedXml(svg);
    for (const s of ["bits/value", "|ΔPPL|", "log scale", "lower-left is better", "TP 2 allgather"]) expect(svg).toContain(s);
  });

  it("bad study names and flags exit non-zero with a message", () => {
    const a = cmd("study", "speed");
    expect(a.status).toBe(2);
    expect(a.stderr).toMatch(/unknown study "speed"/);
    const b = cmd("study", "quality", "--quick", "--tp", "1");
    expect(b.status).toBe(2);
    expect(b.stderr).toMatch(/--tp: "1" is not an integer 2–64/);
    const c = cmd("study", "quality", "--quick", "--text", "/nonexistent/x.txt");
    expect(c.status).toBe(2);
    expect(c.stderr).toMatch(/--text: cannot read \/nonexistent\/x\.txt/);
  });
});
