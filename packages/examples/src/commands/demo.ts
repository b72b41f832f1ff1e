// `tensorwire demo`: the all-reduce micro-benchmark. Worker threads all-reduce partial activations
// uncompressed and with each codec over an emulated link; warm-up rounds, interleaved timed rounds
// (every round calls every codec once, rotated), the baseline measured in the same rounds, per call
// the slowest rank's time, then median and spread over the rounds.
import { writeFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import type { CompressionScheme, LinkModel } from "@tensorwire/collectives";
import { spawnGroup } from "@tensorwire/collectives/node";
import { bitsPerValue, listFormats, resolveCodec } from "@tensorwire/quant-wasm";
import { defineCommand } from "../cli/command.js";
import { CliError, UsageError } from "../cli/errors.js";
import { createProgress } from "../cli/progress.js";
import { LINK_SYNTAX, formatBytes, formatLink, parseLink } from "../cli/units.js";
import type { DemoRankResult, DemoTask } from "../demo/rank.js";
import { maxOverRanks, quantile, summarize, type Summary } from "../stats.js";
import { barChart } from "../svg.js";

/** Codecs of the demo by default. */
export const DEMO_CODECS = ["fp16", "q8_0", "mxfp8-e4m3", "mxfp6-e2m3", "fp5-e2m2", "mxfp4", "nvfp4", "int4"] as const;
/** Timed rounds by default: enough that the median moves by well under its IQR between runs. */
export const DEMO_REPS = 25;
/** Untimed rounds first (wasm tier-up, page faults, spin-wait adaptation). */
export const DEMO_WARMUP = 3;

/** One codec's row of the demo (also the JSON output). */
export interface DemoRow {
  codec: string;
  bitsPerValue: number;
  scheme: string | null;
  algorithm: string;
  /** collective time per round (max over ranks), ms */
  times: number[];
  ms: Summary;
  /** median(baseline) / median(this) */
  speedup: number;
  /** quartiles of the per-round ratio baseline/this (same round) */
  speedupP25: number;
  speedupP75: number;
  bytesSent: number;
  bytesReceived: number;
  relRmse: number;
  maxAbsErr: number;
  codecMs: number;
  linkMs: number;
  /** every rank holds the same bits, and every round gave the same bits */
  identical: boolean;
}

export const demoCommand = defineCommand(
  {
    name: "demo",
    summary: "all-reduce micro-benchmark: time, bytes and error of each codec vs uncompressed",
    description:
      `Spawns --world worker threads sharing one memory. Each rank holds partial activations (N(0,1) with
×20 outlier channels) and all-reduces them uncompressed and with each codec over an emulated link.
After ${DEMO_WARMUP} warm-up rounds (default), every timed round calls every codec once (rotating the order), the
uncompressed baseline included; a call's time is that of its slowest rank. Reported: median and
interquartile range (IQR) over the rounds, speed-up over uncompressed (ratio of medians, and the IQR
of the per-round ratio), bytes sent per rank, error against the uncompressed result, and whether all
ranks hold bit-identical results.`,
    options: {
      world: { type: "int", placeholder: "N", min: 1, max: 8, default: 2, description: "ranks (worker threads)" },
      size: { type: "int", placeholder: "N", min: 1, max: 1 << 24, default: 1 << 20, description: "f32 elements per all-reduce (1048576 = 4 MiB)" },
      codecs: { type: "list", placeholder: "LIST", default: DEMO_CODECS, description: "codecs to compare with uncompressed, or \"all\" (see tensorwire codecs)" },
      link: { type: "custom", placeholder: "LINK", parse: parseLink, default: "10Gbit/s", limits: LINK_SYNTAX, description: "emulated interconnect" },
      scheme: { type: "string", placeholder: "NAME", choices: ["auto", "allgather", "two-shot"], default: "auto", description: "compressed all-reduce scheme" },
      warmup: { type: "int", placeholder: "N", min: 0, max: 100, default: DEMO_WARMUP, description: "untimed rounds first" },
      reps: { type: "int", placeholder: "N", min: 1, max: 10000, default: DEMO_REPS, description: "timed rounds (each calls every codec once)" },
      seed: { type: "int", placeholder: "N", min: 0, max: 2 ** 31 - 1, default: 1, description: "data seed" },
      svg: { type: "string", placeholder: "FILE", description: "also write an SVG bar chart of the times" },
      json: { type: "boolean", description: "print JSON instead of a table (progress still goes to stderr)" },
    },
    examples: [
      "tensorwire demo",
      "tensorwire demo --world 2 --link 1Gbit/s --codecs mxfp4,fp5-e2m2",
      "tensorwire demo --link 200MB/s,50us --reps 51 --svg demo.svg",
      "tensorwire demo --json --link none",
    ],
  },
  async ({ options: o }, { out, err }) => {
    let codecs = o.codecs.includes("all") ? listFormats().map((f) => f.name as string).filter((n) => n !== "f32") : o.codecs;
    codecs = codecs.filter((c) => c !== "none");
    for (const c of codecs) {
      try { resolveCodec(c); } catch (e) { throw new UsageError(`--codecs: ${(e as Error).message}`, 'Run "tensorwire codecs" for the list.'); }
    }
    if (new Set(codecs).size !== codecs.length) throw new UsageError(`--codecs: a codec is listed twice (${codecs.join(",")})`);
    const link: LinkModel | null = o.link;
    const scheme = o.scheme as CompressionScheme | "auto";
    const all = ["none", ...codecs];
    const task: DemoTask = { n: o.size, codecs: all, scheme, warmup: o.warmup, reps: o.reps, seed: o.seed };
    // Timings of spinning ranks are only as good as the cores they get: say so when the machine is busy.
    const cores = availableParallelism();
    const loadBefore = loadavg()[0]!;
    const progress = createProgress({ label: `all-reduce ×${all.length} codecs ×${o.warmup + o.reps} rounds` });
    progress.update(0, "starting workers");
    let res: DemoRankResult[];
    const group = await spawnGroup({
      worldSize: o.world,
      module: new URL("../demo/rank.js", import.meta.url),
      link,
      maxMessageBytes: Math.max(4 << 20, o.size * 4),
      waitMode: o.world <= cores ? "auto" : "wait",
    });
    try {
      progress.update(0, "running");
      res = await group.run<DemoRankResult>(task);
    } catch (e) {
      throw new CliError(`the all-reduce group failed: ${(e as Error).message}`, { cause: e });
    } finally {
      progress.done();
      await group.shutdown();
    }
    const rows: DemoRow[] = all.map((codec, ci) => {
      const per = res.map((r) => r.results[ci]!);
      const r0 = per[0]!;
      const times = maxOverRanks(per.map((p) => p.times));
      return {
        codec,
        bitsPerValue: codec === "none" ? 32 : bitsPerValue(resolveCodec(codec)),
        scheme: r0.scheme,
        algorithm: r0.algorithm,
        times,
        ms: summarize(times),
        speedup: 0, speedupP25: 0, speedupP75: 0,
        bytesSent: r0.bytesSent,
        bytesReceived: r0.bytesReceived,
        relRmse: r0.relRmse,
        maxAbsErr: r0.maxAbsErr,
        codecMs: Math.max(...per.map((p) => p.codecMs)),
        linkMs: Math.max(...per.map((p) => p.linkMs)),
        identical: per.every((p) => p.stable && p.hash === r0.hash),
      };
    });
    const base = rows[0]!;
    for (const r of rows) {
      r.speedup = base.ms.median / r.ms.median;
      const ratios = r.times.map((t, i) => base.times[i]! / t);
      r.speedupP25 = quantile(ratios, 0.25);
      r.speedupP75 = quantile(ratios, 0.75);
    }
    const load = Math.max(loadBefore, loadavg()[0]!);
    const busy = load + o.world > cores + 0.5;
    if (busy) {
      err(`tensorwire: note: the machine is busy (1-minute load ${load.toFixed(1)} on ${cores} cores, plus ${o.world} ranks): timings are noisy; compare runs on an idle machine\n`);
    }
    const mib = (o.size * 4) / 2 ** 20;
    const linkText = formatLink(link);
    if (o.json) {
      out(JSON.stringify({
        world: o.world, elements: o.size, bytes: o.size * 4,
        link: link ? { bandwidthBytesPerSec: link.bandwidthBytesPerSec, latencySec: link.latencySec, text: linkText } : null,
        scheme, warmup: o.warmup, reps: o.reps, seed: o.seed, node: process.version, cores, loadavg1: load,
        timing: "per round: the slowest rank's wall time of the call; ms = median, p25, p75, min, max over rounds",
        results: rows,
      }, null, 2) + "\n");
    } else {
      const lines = [
        `all-reduce of ${o.size} f32 (${mib.toFixed(2)} MiB) over ${o.world} worker threads, link: ${linkText}`,
        `${o.warmup} warm-up + ${o.reps} timed rounds, codecs interleaved; time = slowest rank; median [IQR] over rounds`,
        "",
        "codec        bits/v  scheme     median ms        IQR ms   speed-up [IQR]        sent/rank   rel RMSE  max |err|  identical",
      ];
      for (const r of rows) {
        lines.push(
          `${(r.codec === "none" ? "f32 (none)" : r.codec).padEnd(12)} ${r.bitsPerValue.toFixed(2).padStart(6)}  ${(r.scheme ?? "-").padEnd(9)} ` +
          `${r.ms.median.toFixed(3).padStart(9)}  ${`${r.ms.p25.toFixed(3)}–${r.ms.p75.toFixed(3)}`.padStart(12)}  ` +
          `${`${r.speedup.toFixed(2)}x`.padStart(6)} ${`[${r.speedupP25.toFixed(2)}–${r.speedupP75.toFixed(2)}]`.padStart(13)}  ` +
          `${formatBytes(r.bytesSent).padStart(11)}  ${r.relRmse.toExponential(2).padStart(9)}  ${r.maxAbsErr.toExponential(2).padStart(9)}  ${r.identical ? "yes" : "NO"}`,
        );
      }
      lines.push(
        "",
        "speed-up = median uncompressed / median codec (> 1: the codec is faster); [IQR] of the same-round ratio.",
        "rel RMSE is against the uncompressed all-reduce; identical = every rank (and every round) gave the same bits.",
      );
      out(lines.join("\n") + "\n");
    }
    if (o.svg !== undefined) {
      const svg = barChart({
        title: `all-reduce time by codec, ${o.world} ranks, ${mib.toFixed(mib < 1 ? 3 : 1)} MiB of f32`,
        subtitle: `link ${linkText}; median of ${o.reps} rounds, whiskers: interquartile range`,
        better: "lower is better",
        axisTitle: "all-reduce time (ms)",
        format: (v) => `${v.toFixed(3)} ms`,
        bars: rows.map((r) => ({
          label: r.codec === "none" ? "f32 (uncompressed)" : r.codec,
          value: r.ms.median, low: r.ms.p25, high: r.ms.p75, baseline: r.codec === "none",
          note: r.codec === "none" ? "baseline" : `${r.speedup.toFixed(2)}x, rel RMSE ${r.relRmse.toExponential(1)}`,
        })),
      });
      try {
        writeFileSync(o.svg, svg);
      } catch (e) {
        throw new CliError(`cannot write --svg ${o.svg}: ${(e as Error).message}`, { exitCode: 2 });
      }
      err(`wrote ${o.svg}\n`);
    }
    if (rows.some((r) => !r.identical)) {
      err("tensorwire: ranks disagree bit-wise on a result (see 'identical')\n");
      return 1;
    }
    return 0;
  },
);
