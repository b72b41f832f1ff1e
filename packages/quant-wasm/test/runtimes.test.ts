// The same dist/quant.wasm under Node, Bun and Deno: each runtime runs two fixtures (the built package,
// and the raw ABI with no package JavaScript) and must print exactly the bytes and values computed here.
// bun and deno are root devDependencies; with CI=true a missing binary fails instead of skipping.
import { describe, it, expect, beforeAll } from "vitest";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { loadQuantKernels, createCodec, type CreateCodecOptions } from "../src/index.js";
import { CASES, N, input, toBase64 } from "./fixtures/cases.mjs";

type Result = { bytes: string; decoded: string; clipped: number };
type Output = { runtime: string; heapBase: number; results: Record<string, Result> };

const pkgDir = fileURLToPath(new URL("..", import.meta.url));
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

/** The binary in the package's or the monorepo root's node_modules/.bin. */
function localBin(name: string): string | undefined {
  for (const rel of ["../node_modules/.bin/", "../../../node_modules/.bin/"]) {
    const p = fileURLToPath(new URL(rel + name, import.meta.url));
    if (existsSync(p)) return p;
  }
  return undefined;
}

const CI = process.env.CI === "true" || process.env.CI === "1";
const RUNTIMES: Array<{ name: string; bin: string | undefined; args: string[]; env?: Record<string, string> }> = [
  { name: "node", bin: process.execPath, args: [] },
  { name: "bun", bin: localBin("bun"), args: [] },
  { name: "deno", bin: localBin("deno"), args: ["run", "--allow-read", "--no-config", "--no-lock"], env: { DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" } },
];

function run(bin: string, args: string[], env: Record<string, string> = {}): Promise<Output> {
  return new Promise((resolve, reject) => {
    execFile(bin, args, { cwd: pkgDir, timeout: 60_000, env: { ...process.env, ...env }, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`${bin} ${args.join(" ")} failed: ${err.message}\n${stderr}`));
      try {
        resolve(JSON.parse(stdout.trim().split("\n").pop()!) as Output);
      } catch (e) {
        reject(new Error(`unparsable output of ${bin}: ${stdout}\n${stderr}`));
      }
    });
  });
}

let expected: Output["results"];
let heapBase: number;
beforeAll(async () => {
  const k = await loadQuantKernels();
  heapBase = k.heapBase;
  const x = input();
  expected = {};
  for (const [format, options, seed] of CASES) {
    const c = createCodec(k, format, options as CreateCodecOptions);
    const { bytes, clipped } = c.encode(x, undefined, { seed });
    const decoded = c.decode(bytes, N);
    expected[format] = { bytes: toBase64(bytes), decoded: toBase64(new Uint8Array(decoded.buffer)), clipped };
  }
});

describe.each(RUNTIMES)("$name", ({ name, bin, args, env }) => {
  const missing = bin === undefined;
  it("is installed (root devDependency)", { skip: missing && !CI }, () => {
    expect(bin, `${name} is not installed: run npm install at the repository root`).toBeDefined();
  });
  for (const script of ["roundtrip-package.mjs", "roundtrip-raw.mjs"]) {
    // skipped only outside CI, and only when the binary is absent (the test above says why)
    it(`${script} prints the in-process bytes and values`, { skip: missing && !CI }, async () => {
      expect(bin, `${name} is not installed`).toBeDefined();
      const out = await run(bin!, [...args, fixture(script)], env);
      expect(out.runtime.startsWith(name)).toBe(true);
      expect(out.heapBase).toBe(heapBase);
      expect(Object.keys(out.results).sort()).toEqual(Object.keys(expected).sort());
      for (const f of Object.keys(expected)) expect(out.results[f], `${name} ${script} ${f}`).toEqual(expected[f]);
    });
  }
});
