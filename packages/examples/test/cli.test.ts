// End-to-end tests of the tensorwire CLI: real worker threads, real codecs.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { listFormats } from "@tensorwire/quant-wasm";

const cli = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
const run = (...args: string[]) => execFileSync(process.execPath, [cli, ...args], { encoding: "utf8", env: { ...process.env, CI: "true" } });

describe("tensorwire CLI", () => {
  it("prints help with every command", () => {
    const out = run("--help");
    for (const word of ["demo", "formats", "--json", "--link", "--codecs"]) expect(out).toContain(word);
  });

  it("lists every format as JSON with exact bits/value", () => {
    const rows = JSON.parse(run("formats", "--json")) as Array<{ name: string; bitsPerValue: number }>;
    expect(rows.map((r) => r.name)).toEqual(listFormats().map((f) => f.name));
    const bpv = Object.fromEntries(rows.map((r) => [r.name, r.bitsPerValue]));
    expect(bpv).toMatchObject({ mxfp4: 4.25, q4_0: 4.5, q8_0: 8.5, nvfp4: 4.5, "mxfp6-e2m3": 6.25, "fp5-e2m2": 5.25, f32: 32 });
  });

  it("rejects bad arguments with a clear message and exit code 2", () => {
    const r = spawnSync(process.execPath, [cli, "demo", "--world", "0"], { encoding: "utf8" });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--world must be an integer/);
    const r2 = spawnSync(process.execPath, [cli, "demo", "--codecs", "nope"], { encoding: "utf8" });
    expect(r2.status).toBe(2);
    expect(r2.stderr).toMatch(/unknown format "nope"/);
    const r3 = spawnSync(process.execPath, [cli, "frobnicate"], { encoding: "utf8" });
    expect(r3.status).toBe(2);
  });

  it("runs the demo on 3 ranks: bit-identical results, bytes shrink with the codec, error within bounds", () => {
    const dir = mkdtempSync(join(tmpdir(), "tw-cli-"));
    const svg = join(dir, "chart.svg");
    const out = JSON.parse(run("demo", "--world", "3", "--size", "5000", "--reps", "1", "--link", "none",
      "--codecs", "fp16,q8_0,mxfp4", "--json", "--svg", svg)) as {
      world: number; results: Array<{ codec: string; identical: boolean; bytesSent: number; relRmse: number }>;
    };
    expect(out.world).toBe(3);
    const by = Object.fromEntries(out.results.map((r) => [r.codec, r]));
    expect(Object.keys(by)).toEqual(["none", "fp16", "q8_0", "mxfp4"]);
    for (const r of out.results) expect(r.identical).toBe(true);
    expect(by.none!.relRmse).toBe(0);
    // fewer bytes for fewer bits
    expect(by.fp16!.bytesSent).toBeLessThan(by.none!.bytesSent);
    expect(by.q8_0!.bytesSent).toBeLessThan(by.fp16!.bytesSent);
    expect(by.mxfp4!.bytesSent).toBeLessThan(by.q8_0!.bytesSent);
    // loose, format-derived bounds: fp16 rel. error ~2^-11, q8_0 ≤ 1/127 of block amax, mxfp4 ≤ 1/4 of block amax
    expect(by.fp16!.relRmse).toBeLessThan(1e-3);
    expect(by.q8_0!.relRmse).toBeLessThan(0.05);
    expect(by.mxfp4!.relRmse).toBeLessThan(0.35);
    expect(by.mxfp4!.relRmse).toBeGreaterThan(by.q8_0!.relRmse);
    expect(readFileSync(svg, "utf8")).toMatch(/^<svg[\s\S]*mxfp4[\s\S]*<\/svg>/);
  });
});
