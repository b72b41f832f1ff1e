// Verifies that every file package.json points at (exports targets of every condition, main, types)
// exists, so a pack never ships a dangling subpath. Used by `prepack`; test/api-exports.test.ts runs it.
// Usage: node scripts/check-exports.mjs [packageDir]   (exit 1 and a list when something is missing)
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const dir = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), ".."));
const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));

/** [where, target] for every string target, conditions and nesting included. */
function targets(node, where) {
  if (node === null) return []; // an explicitly blocked subpath
  if (typeof node === "string") return [[where, node]];
  if (Array.isArray(node)) return node.flatMap((n, i) => targets(n, `${where}[${i}]`));
  if (typeof node === "object") return Object.entries(node).flatMap(([key, n]) => targets(n, `${where} → ${key}`));
  return [[where, String(node)]];
}

const list = [
  ...(pkg.exports === undefined ? [] : targets(typeof pkg.exports === "string" ? { ".": pkg.exports } : pkg.exports, "exports")),
  ...(pkg.main ? [["main", pkg.main]] : []),
  ...(pkg.types ? [["types", pkg.types]] : []),
];
const problems = [];
for (const [where, target] of list) {
  if (!target.startsWith("./")) {
    problems.push(`${where}: target "${target}" must start with "./"`);
    continue;
  }
  if (target.includes("*")) {
    // a pattern: its fixed directory part must exist
    const fixed = join(dir, target.slice(0, target.indexOf("*")));
    if (!existsSync(dirname(fixed + "x"))) problems.push(`${where}: no directory for pattern "${target}"`);
    continue;
  }
  const file = join(dir, target);
  if (!existsSync(file) || !statSync(file).isFile()) problems.push(`${where}: "${target}" does not exist (build first?)`);
}
if (problems.length) {
  console.error(`${pkg.name}: ${problems.length} package.json target(s) missing:\n  ${problems.join("\n  ")}`);
  process.exit(1);
}
console.log(`${pkg.name}: all ${list.length} package.json targets exist`);
