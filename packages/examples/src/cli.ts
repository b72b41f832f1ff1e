#!/usr/bin/env node
// The `tensorwire` command line.
import { writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { parseArgs } from "node:util";
import { LINK_PRESETS, type CompressionScheme, type LinkModel } from "@tensorwire/collectives";
import { spawnGroup } from "@tensorwire/collectives/node";
import { listFormats, resolveCodec, bitsPerValue } from "@tensorwire/quant-wasm";
import type { DemoRankResult, DemoTask } from "./demo/rank.js";
import { barChart } from "./svg.js";

const HELP = `tensorwire — tensor-parallel LLM inference with compressed communication

Usage: tensorwire <command> [options]

Commands:
  demo       (default) all-reduce partial activations across worker threads, uncompressed and with
             each codec, over an emulated link; prints error, bytes and time per codec
  formats    list the codec formats with their bits per value
  help       show this help

Options for demo:
  --world N        ranks (worker threads), default 2
  --size N         elements per all-reduce, default 1048576 (4 MiB of f32)
  --codecs LIST    comma-separated codec names, default fp16,q8_0,mxfp8-e4m3,mxfp6-e2m3,fp5-e2m2,mxfp4,nvfp4,int4
  --link NAME      none | 25GB/s | 10Gbit/s | 1Gbit/s (default 10Gbit/s)
  --scheme NAME    auto | allgather | two-shot (default auto)
  --reps N         timed repetitions per codec, default 5
  --seed N         data seed, default 1
  --svg FILE       also write an SVG bar chart of the times
  --json           print JSON instead of a table (progress still goes to stderr)

Options for formats:
  --json           print JSON

Examples:
  tensorwire demo --world 2 --link 1Gbit/s --codecs mxfp4,fp5-e2m2
  tensorwire formats --json
`;

const DEFAULT_CODECS = "fp16,q8_0,mxfp8-e4m3,mxfp6-e2m3,fp5-e2m2,mxfp4,nvfp4,int4";

function fail(msg: string): never {
  process.stderr.write(`tensorwire: ${msg}\nRun "tensorwire help" for usage.\n`);
  process.exit(2);
}

function intArg(v: string | undefined, name: string, def: number, min: number, max: number): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) fail(`--${name} must be an integer in [${min}, ${max}], got "${v}"`);
  return n;
}

function progress(i: number, total: number, label: string): void {
  if (!process.stderr.isTTY && process.env.CI) return;
  const w = 24, done = Math.round((i / total) * w);
  process.stderr.write(`\r[${"#".repeat(done)}${".".repeat(w - done)}] ${i}/${total} ${label.padEnd(14)}`);
  if (i === total) process.stderr.write("\n");
}

function cmdFormats(json: boolean): void {
  const rows = listFormats();
  if (json) {
    process.stdout.write(JSON.stringify(rows.map((f) => ({
      name: f.name, id: f.id, elementBits: f.elementBits, block: f.defaultBlock, scale: f.defaultScale,
      bitsPerValue: f.bitsPerValue, blocks: f.blocks, scales: f.scales, description: f.description,
    })), null, 2) + "\n");
    return;
  }
  const lines = ["format        id  block  scale   bits/value  vs fp16  description"];
  for (const f of rows) {
    lines.push(
      `${f.name.padEnd(13)} ${String(f.id).padStart(2)}  ${String(f.defaultBlock || "-").padStart(5)}  ${f.defaultScale.padEnd(6)}  ` +
      `${f.bitsPerValue.toFixed(2).padStart(10)}  ${(16 / f.bitsPerValue).toFixed(2).padStart(6)}x  ${f.description}`,
    );
  }
  process.stdout.write(lines.join("\n") + "\n");
}

async function cmdDemo(values: Record<string, string | boolean | undefined>): Promise<void> {
  const world = intArg(values.world as string | undefined, "world", 2, 1, 8);
  const n = intArg(values.size as string | undefined, "size", 1 << 20, 1, 1 << 24);
  const reps = intArg(values.reps as string | undefined, "reps", 5, 1, 1000);
  const seed = intArg(values.seed as string | undefined, "seed", 1, 0, 2 ** 31 - 1);
  const linkName = (values.link as string | undefined) ?? "10Gbit/s";
  let link: LinkModel | null = null;
  if (linkName !== "none") {
    link = (LINK_PRESETS as Record<string, LinkModel>)[linkName] ?? null;
    if (!link) fail(`unknown --link "${linkName}" (none, ${Object.keys(LINK_PRESETS).join(", ")})`);
  }
  const scheme = ((values.scheme as string | undefined) ?? "auto") as CompressionScheme | "auto";
  if (!["auto", "allgather", "two-shot"].includes(scheme)) fail(`unknown --scheme "${scheme}"`);
  const codecs = String(values.codecs ?? DEFAULT_CODECS).split(",").map((s) => s.trim()).filter(Boolean);
  for (const c of codecs) {
    try { resolveCodec(c); } catch (e) { fail((e as Error).message); }
  }
  const json = values.json === true;
  const all = ["none", ...codecs];
  const group = await spawnGroup({
    worldSize: world,
    module: new URL("./demo/rank.js", import.meta.url),
    link,
    maxMessageBytes: Math.max(4 << 20, n * 4),
    waitMode: world <= availableParallelism() ? "auto" : "wait",
  });
  const rows: Array<DemoRankResult & { bitsPerValue: number; identical: boolean; speedup: number }> = [];
  try {
    for (let i = 0; i < all.length; i++) {
      progress(i, all.length, all[i]!);
      const task: DemoTask = { n, codec: all[i]!, scheme, reps, seed };
      const res = await group.run<DemoRankResult>(task);
      const identical = res.every((r) => r.hash === res[0]!.hash);
      const r0 = res[0]!;
      const bpv = r0.codec === "none" ? 32 : bitsPerValue(resolveCodec(r0.codec));
      rows.push({ ...r0, bitsPerValue: bpv, identical, speedup: 0 });
    }
    progress(all.length, all.length, "done");
  } finally {
    await group.shutdown();
  }
  const base = rows[0]!.msMedian;
  for (const r of rows) r.speedup = base / r.msMedian;
  const header = { world, elements: n, bytes: n * 4, link: linkName, scheme, reps, node: process.version };
  if (json) {
    process.stdout.write(JSON.stringify({ ...header, results: rows }, null, 2) + "\n");
  } else {
    const out = [
      `all-reduce of ${n} f32 (${(n * 4 / 2 ** 20).toFixed(2)} MiB) over ${world} worker threads, link ${linkName}, ${reps} reps (median)`,
      "",
      "codec        bits/v  scheme     time ms  speed-up  sent/rank   rel RMSE  max |err|  identical",
    ];
    for (const r of rows) {
      out.push(
        `${(r.codec === "none" ? "f32 (none)" : r.codec).padEnd(12)} ${r.bitsPerValue.toFixed(2).padStart(6)}  ${(r.scheme ?? "-").padEnd(9)} ` +
        `${r.msMedian.toFixed(3).padStart(8)}  ${r.speedup.toFixed(2).padStart(7)}x  ${(r.bytesSent / 1024).toFixed(0).padStart(6)} KiB  ` +
        `${r.relRmse.toExponential(2).padStart(9)}  ${r.maxAbsErr.toExponential(2).padStart(9)}  ${r.identical ? "yes" : "NO"}`,
      );
    }
    out.push("", "rel RMSE is against the uncompressed all-reduce; identical = every rank holds bit-identical results.");
    process.stdout.write(out.join("\n") + "\n");
  }
  if (typeof values.svg === "string") {
    const svg = barChart(
      `all-reduce time, ${world} ranks, ${(n * 4 / 2 ** 20).toFixed(1)} MiB, link ${linkName}`,
      "ms",
      rows.map((r) => ({ label: r.codec === "none" ? "f32" : r.codec, value: r.msMedian, note: r.codec === "none" ? "" : `rel RMSE ${r.relRmse.toExponential(1)}` })),
    );
    writeFileSync(values.svg, svg);
    process.stderr.write(`wrote ${values.svg}\n`);
  }
  if (rows.some((r) => !r.identical)) {
    process.stderr.write("tensorwire: ranks disagree bit-wise on a result (see 'identical')\n");
    process.exitCode = 1;
  }
}

async function main(argv: string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        world: { type: "string" }, size: { type: "string" }, codecs: { type: "string" },
        link: { type: "string" }, scheme: { type: "string" }, reps: { type: "string" },
        seed: { type: "string" }, svg: { type: "string" }, json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (e) {
    fail((e as Error).message);
  }
  const { values, positionals } = parsed;
  const cmd = positionals[0] ?? "demo";
  if (values.help || cmd === "help") {
    process.stdout.write(HELP);
    return;
  }
  if (positionals.length > 1) fail(`unexpected argument "${positionals[1]}"`);
  if (cmd === "formats") return cmdFormats(values.json === true);
  if (cmd === "demo") return cmdDemo(values);
  fail(`unknown command "${cmd}"`);
}

main(process.argv.slice(2)).catch((e: unknown) => {
  process.stderr.write(`tensorwire: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
