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
