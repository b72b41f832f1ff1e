// What each package's tarball ships (npm pack --dry-run): everything package.json points at, and
// none of the build by-products (source maps without their sources, .wat text, .tsbuildinfo,
// benchmark builds).
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../", import.meta.url));
const PACKAGES = ["quant-wasm", "collectives", "tp-model", "examples"];

function targets(node: unknown): string[] {
  if (node === null || node === undefined) return [];
  if (typeof node === "string") return [node];
  if (Array.isArray(node)) return node.flatMap(targets);
  if (typeof node === "object") return Object.values(node as Record<string, unknown>).flatMap(targets);
  return [];
}

describe("package tarballs", () => {
  for (const name of PACKAGES) {
    it(`${name} ships what it exports and no build by-products`, () => {
      const dir = `${root}${name}`;
      const out = execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: dir, encoding: "utf8" });
      const files = (JSON.parse(out) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
      const pkg = JSON.parse(readFileSync(`${dir}/package.json`, "utf8")) as { exports?: unknown; main?: string; types?: string; bin?: unknown };
      const wanted = [...targets(pkg.exports), ...targets(pkg.main), ...targets(pkg.types), ...targets(pkg.bin)]
        .filter((t) => !t.includes("*")).map((t) => t.replace(/^\.\//, ""));
      for (const t of wanted) expect(files, `${name}: ${t}`).toContain(t);
      const junk = files.filter((f) => /\.(map|wat|tsbuildinfo)$/.test(f) || f.startsWith("dist/bench/") || f.startsWith("test/") || f.includes("debug.wasm"));
      expect(junk, `${name} ships build by-products`).toEqual([]);
      expect(files).toContain("README.md");
    });
  }
});

// A clean clone builds once: a file the build writes inside a package's declared inputs (the generated
// src/wasm-inline.ts) would change the task's hash between the first build and the next, so turbo would
// rebuild everything once more. Every build output below src/ must be excluded from the inputs.
describe("turbo build caching", () => {
  for (const name of PACKAGES) {
    it(`${name}: no build output is also a build input`, () => {
      let cfg: { tasks?: { build?: { inputs?: string[]; outputs?: string[] } } };
      try {
        cfg = JSON.parse(readFileSync(`${root}${name}/turbo.json`, "utf8"));
      } catch {
        return; // no package-level config: the root's (dist/** outputs, default inputs without ignored files)
      }
      const build = cfg.tasks?.build;
      const inputs = build?.inputs ?? [];
      for (const out of (build?.outputs ?? []).filter((o) => !o.startsWith("dist/"))) {
        const covered = inputs.some((i) => !i.startsWith("!") && (i === out || (i.endsWith("/**") && out.startsWith(i.slice(0, -2)))));
        if (covered) expect(inputs, `${name}: output ${out} lies in the build inputs`).toContain(`!${out}`);
      }
    });
  }
});
