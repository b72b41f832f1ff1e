// The rank code must run in Web Workers too: nothing reachable from dist/rank.js (or the package index)
// through static imports may import a Node built-in. (The Node file source is reached only through a
// dynamic import when a rank is given a path.)
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const dist = fileURLToPath(new URL("../dist/", import.meta.url));

function staticGraph(entry: string): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    const src = readFileSync(file, "utf8");
    const specs = [...src.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+["']([^"']+)["']/gm), ...src.matchAll(/^\s*import\s+["']([^"']+)["']/gm)].map((m) => m[1]!);
    seen.set(file, specs);
    for (const s of specs) if (s.startsWith(".")) visit(join(dirname(file), s));
  };
  visit(entry);
  return seen;
}

describe("runtime-neutral rank code", () => {
  for (const entry of ["rank.js", "index.js"]) {
    it(`${entry} imports no Node built-in statically`, () => {
      const g = staticGraph(join(dist, entry));
      expect(g.size).toBeGreaterThan(5);
      const offenders = [...g].flatMap(([file, specs]) => specs.filter((s) => s.startsWith("node:") || ["fs", "path", "os", "worker_threads", "url"].includes(s)).map((s) => `${file.slice(dist.length)} → ${s}`));
      expect(offenders).toEqual([]);
      const pkgs = new Set([...g.values()].flat().filter((s) => !s.startsWith(".")));
      for (const p of pkgs) expect(p, "only tensorwire packages").toMatch(/^@tensorwire\/(quant-wasm|collectives)(\/reference)?$/);
    });
  }
});
