// End-to-end tests of the tensorwire CLI: the built dist/cli.js, real worker threads, real codecs.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { listFormats } from "@tensorwire/quant-wasm";
import { checkWellFormedXml } from "./xml.js";

const cli = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
const env = { ...process.env, CI: "true", TENSORWIRE_DEBUG: "" };
const run = (...args: string[]) => execFileSync(process.execPath, [cli, ...args], { encoding: "utf8", env });
const runStatus = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: "utf8", env });

describe("tensorwire CLI", () => {
  it("prints the top-level help with every command, and per-command help with limits and defaults", () => {
    const out = run("--help");
    for (const word of ["demo", "codecs", "formats", "--help", "--version"]) expect(out).toContain(word);
    const demo = run("demo", "--help");
    for (const word of ["--world N", "integer 1–8", "default 2", "--link", "default 10Gbit/s", "--reps", "default 25", "--warmup", "--json", "--svg"]) {
      expect(demo).toContain(word);
    }
    expect(run("help", "codecs")).toContain("--json");
  });

  it("prints the package version", () => {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };
    expect(run("--version").trim()).toBe(pkg.version);
    expect(run("demo", "--version").trim()).toBe(pkg.version);
  });

  it("lists every format as JSON with exact bits/value and compression vs FP16/FP32 (codecs and its alias formats)", () => {
    const rows = JSON.parse(run("codecs", "--json")) as Array<{ name: string; bitsPerValue: number; vsFp16: number; vsFp32: number }>;
    expect(rows.map((r) => r.name)).toEqual(listFormats().map((f) => f.name));
    const bpv = Object.fromEntries(rows.map((r) => [r.name, r.bitsPerValue]));
    expect(bpv).toMatchObject({ mxfp4: 4.25, q4_0: 4.5, q8_0: 8.5, nvfp4: 4.5, "mxfp6-e2m3": 6.25, "fp5-e2m2": 5.25, f32: 32 });
    const mx = rows.find((r) => r.name === "mxfp4")!;
    expect(mx.vsFp16).toBeCloseTo(16 / 4.25, 12);
    expect(mx.vsFp32).toBeCloseTo(32 / 4.25, 12);
    expect(JSON.parse(run("formats", "--json"))).toEqual(rows);
    const table = run("codecs");
    expect(table).toMatch(/mxfp4\s+32\s+e8m0\s+4\.25\s+3\.76x\s+7\.53x/);
  });

  it("rejects bad usage with a one-line message, a hint and exit code 2, never a stack trace", () => {
    const cases: Array<[string[], RegExp]> = [
      [["demo", "--world", "0"], /--world: expected an integer from 1 to 8, got "0"/],
      [["demo", "--world", "2.5"], /--world: expected an integer/],
      [["demo", "--world"], /--world needs a value/],
      [["demo", "--codecs", "nope"], /unknown format "nope"/],
      [["demo", "--link", "fast"], /--link: bad bandwidth "fast"/],
      [["demo", "--link", "1Gbit/s,5"], /--link: bad latency "5"/],
      [["demo", "--scheme", "one-shot"], /--scheme: unknown value "one-shot" \(one of: auto, allgather, two-shot\)/],
      [["demo", "--wrld", "2"], /unknown option "--wrld".*did you mean "--world"/],
      [["demo", "--json=yes"], /--json takes no value/],
      [["demo", "--reps", "3", "--reps", "4"], /--reps given more than once/],
      [["demo", "extra"], /unexpected argument "extra"/],
      [["frobnicate"], /unknown command "frobnicate"/],
      [["codecs", "--jsn"], /did you mean "--json"/],
    ];
    for (const [args, re] of cases) {
      const r = runStatus(...args);
      expect(r.status, args.join(" ")).toBe(2);
      expect(r.stderr, args.join(" ")).toMatch(re);
      expect(r.stderr, args.join(" ")).toMatch(/^tensorwire: [^\n]+\n[^\n]+\n$/); // the message, then the hint
      expect(r.stderr, args.join(" ")).not.toMatch(/\n\s+at /);
      expect(r.stdout).toBe("");
    }
  });

  it("a failure after the work (cannot write --svg) prints one line without a stack; --debug adds the stack", () => {
    const svg = join(mkdtempSync(join(tmpdir(), "tw-cli-")), "no", "such", "dir", "x.svg");
    const r = runStatus("demo", "--size", "64", "--reps", "1", "--warmup", "0", "--codecs", "fp16", "--link", "none", "--svg", svg);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/tensorwire: cannot write --svg .*x\.svg/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const d = spawnSync(process.execPath, [cli, "demo", "--size", "64", "--reps", "1", "--warmup", "0", "--codecs", "fp16", "--link", "none", "--svg", svg, "--debug"], { encoding: "utf8", env });
    expect(d.status).toBe(2);
    expect(d.stderr).toMatch(/\n\s+at /);
  });

  it("runs the demo on 3 ranks: interleaved rounds, spread over all ranks, bit-identical, bytes shrink, error within bounds, SVG", () => {
    const dir = mkdtempSync(join(tmpdir(), "tw-cli-"));
    const svg = join(dir, "chart.svg");
    const out = JSON.parse(run("demo", "--world", "3", "--size", "5000", "--reps", "4", "--warmup", "1", "--link", "none",
      "--codecs", "fp16,q8_0,mxfp4", "--json", "--svg", svg)) as {
      world: number; reps: number; warmup: number;
      results: Array<{
        codec: string; identical: boolean; bytesSent: number; relRmse: number; times: number[];
        ms: { n: number; median: number; p25: number; p75: number; min: number; max: number }; speedup: number;
      }>;
    };
    expect(out.world).toBe(3);
    expect(out.reps).toBe(4);
    const by = Object.fromEntries(out.results.map((r) => [r.codec, r]));
    expect(Object.keys(by)).toEqual(["none", "fp16", "q8_0", "mxfp4"]);
    for (const r of out.results) {
      expect(r.identical).toBe(true);
      expect(r.times).toHaveLength(4);
      expect(r.ms.n).toBe(4);
      expect(r.ms.min).toBeLessThanOrEqual(r.ms.p25);
      expect(r.ms.p25).toBeLessThanOrEqual(r.ms.median);
      expect(r.ms.median).toBeLessThanOrEqual(r.ms.p75);
      expect(r.ms.p75).toBeLessThanOrEqual(r.ms.max);
      expect(r.ms.min).toBe(Math.min(...r.times));
      expect(r.speedup).toBeCloseTo(by.none!.ms.median / r.ms.median, 12);
    }
    expect(by.none!.relRmse).toBe(0);
    expect(by.none!.speedup).toBe(1);
    // fewer bytes for fewer bits
    expect(by.fp16!.bytesSent).toBeLessThan(by.none!.bytesSent);
    expect(by.q8_0!.bytesSent).toBeLessThan(by.fp16!.bytesSent);
    expect(by.mxfp4!.bytesSent).toBeLessThan(by.q8_0!.bytesSent);
    // loose, format-derived bounds: fp16 rel. error ~2^-11, q8_0 ≤ 1/127 of block amax, mxfp4 ≤ 1/4 of block amax
    expect(by.fp16!.relRmse).toBeLessThan(1e-3);
    expect(by.q8_0!.relRmse).toBeLessThan(0.05);
    expect(by.mxfp4!.relRmse).toBeLessThan(0.35);
    expect(by.mxfp4!.relRmse).toBeGreaterThan(by.q8_0!.relRmse);
    const text = readFileSync(svg, "utf8");
    checkWellFormedXml(text);
    for (const s of ["mxfp4", "all-reduce time (ms)", "lower is better", "f32 (uncompressed)"]) expect(text).toContain(s);
  });

  it("prints the demo table with median, IQR and speed-up under an emulated link", () => {
    const out = run("demo", "--world", "2", "--size", "4096", "--reps", "3", "--warmup", "1", "--link", "200MB/s,10us", "--codecs", "q8_0");
    expect(out).toContain("link: 1.6 Gbit/s, 10 µs");
    expect(out).toContain("1 warm-up + 3 timed rounds");
    expect(out).toMatch(/f32 \(none\)\s+32\.00/);
    expect(out).toMatch(/q8_0\s+8\.50\s+\S+\s+\d+\.\d{3}\s+\d+\.\d{3}–\d+\.\d{3}\s+\d+\.\d\dx/);
  });
});
