// The package.json `exports` map: scripts/check-exports.mjs (prepack) passes on this package and fails on a
// package with a dangling target; every subpath resolves through Node's own resolver.
import { describe, it, expect } from "vitest";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync, mkdirSync, rmSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const pkgDir = fileURLToPath(new URL("..", import.meta.url));
const script = join(pkgDir, "scripts", "check-exports.mjs");

describe("check-exports", () => {
  it("passes on this package (after the build)", () => {
    const out = execFileSync(process.execPath, [script], { encoding: "utf8" });
    expect(out).toMatch(/@tensorwire\/quant-wasm: all \d+ package.json targets exist/);
  });

  it("fails, naming the target, when an export points nowhere", () => {
    const dir = mkdtempSync(join(tmpdir(), "tw-exports-"));
    try {
      mkdirSync(join(dir, "dist"));
      writeFileSync(join(dir, "dist", "index.js"), "");
      writeFileSync(join(dir, "package.json"), JSON.stringify({
        name: "t", main: "./dist/index.js",
        exports: { ".": { types: "./dist/index.d.ts", import: "./dist/index.js" }, "./x.wasm": "./dist/x.wasm", "./blocked": null },
      }));
      const r = spawnSync(process.execPath, [script, dir], { encoding: "utf8" });
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/exports → \. → types: ".\/dist\/index.d.ts" does not exist/);
      expect(r.stderr).toMatch(/exports → .\/x.wasm: ".\/dist\/x.wasm" does not exist/);
      expect(r.stderr).toMatch(/2 package.json target\(s\) missing/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("every subpath resolves by package name, and ./quant.wasm is the built module", async () => {
    const pkg = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8")) as { name: string; exports: Record<string, unknown> };
    for (const sub of Object.keys(pkg.exports)) {
      const spec = sub === "." ? pkg.name : `${pkg.name}${sub.slice(1)}`;
      const resolved = fileURLToPath(import.meta.resolve(spec));
      expect(resolved.startsWith(pkgDir), spec).toBe(true);
    }
    const wasm = readFileSync(fileURLToPath(import.meta.resolve(`${pkg.name}/quant.wasm`)));
    expect(WebAssembly.validate(wasm)).toBe(true);
  });
});
