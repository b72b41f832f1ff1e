// nccl-tests-style benchmark of @tensorwire/collectives on this machine.
//   npm run bench -w @tensorwire/collectives [-- --quick] [-- --json] [-- --only overhead]
// Writes BENCHMARKS.md (machine, Node, tables, targets met/not met, suggested auto thresholds).
// `--only overhead` runs only the per-call overhead rows (prepared plans vs group defaults) and prints
// them without writing BENCHMARKS.md.
import { writeFileSync } from "node:fs";
import { cpus, availableParallelism, loadavg, totalmem } from "node:os";
import { fileURLToPath } from "node:url";
import { LINK_PRESETS, THRESHOLDS, type GroupOptions, type LinkModel } from "@tensorwire/collectives";
import { spawnGroup } from "@tensorwire/collectives/node";
import type { Config, LocalTask, OverheadConfig, OverheadRow, OverheadTask, Row, SweepResult, SweepTask } from "./bench-worker.js";

const argv = process.argv.slice(2);
const args = new Set(argv);
const onlyAt = argv.indexOf("--only");
const ONLY = onlyAt >= 0 ? argv[onlyAt + 1] : undefined;
if (ONLY !== undefined && ONLY !== "overhead") throw new Error(`--only: unknown section ${String(ONLY)} (known: overhead)`);
const QUICK = args.has("--quick");
const JSON_OUT = args.has("--json");
const workerUrl = new URL("./bench-worker.js", import.meta.url);
const mdPath = fileURLToPath(new URL("../../BENCHMARKS.md", import.meta.url));
const KiB = 1024, MiB = 1024 * 1024;

const log = (s: string) => { if (!JSON_OUT) console.log(s); else console.error(s); };

function pow4Sizes(from: number, to: number): number[] {
  const out: number[] = [];
  for (let s = from; s <= to; s *= QUICK ? 16 : 4) out.push(s);
  return out;
}

function fmtBytes(b: number): string {
  return b >= MiB ? `${b / MiB} MiB` : `${b / KiB} KiB`;
}
function fmtUs(us: number): string {
  return us >= 10_000 ? `${(us / 1000).toFixed(1)} ms` : us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${us.toFixed(2)} µs`;
}
const gbps = (bytes: number, us: number) => bytes / (us * 1e-6) / 1e9;

async function runSweep(p: number, opts: GroupOptions, task: Omit<SweepTask, "kind">): Promise<SweepResult> {
  const g = await spawnGroup({ worldSize: p, module: workerUrl, timeoutMs: 600_000, ...opts });
  try {
    const [r0] = await g.run<SweepResult>({ kind: "sweep", ...task });
    return r0!;
  } finally {
    await g.shutdown();
  }
}

const UNCOMPRESSED: Config[] = [
  { label: "one-shot", options: { algorithm: "one-shot" } },
  { label: "two-shot", options: { algorithm: "two-shot" } },
  { label: "ring", options: { algorithm: "ring" } },
  { label: "auto", options: {} },
];
const COMPRESSED_P2: Config[] = QUICK
  ? [{ label: "mxfp4 allgather", options: { codec: "mxfp4", scheme: "allgather" } }]
  : [
    { label: "bf16 allgather", options: { codec: "bf16", scheme: "allgather" } },
    { label: "q8_0 allgather", options: { codec: "q8_0", scheme: "allgather" } },
    { label: "mxfp4 allgather", options: { codec: "mxfp4", scheme: "allgather" } },
    { label: "mxfp4 two-shot", options: { codec: "mxfp4", scheme: "two-shot" } },
    { label: "nvfp4 allgather", options: { codec: "nvfp4", scheme: "allgather" } },
  ];

interface Table { title: string; p: number; note: string; result: SweepResult; link: LinkModel | null }

/** `judged`: rows count for the 10% target (p = 1 is a calibration: its calls do no exchange at all). */
interface OverheadGroup { title: string; baseline: string; rows: OverheadRow[]; judged: boolean }

/**
 * Per-call overhead of a 4 KiB all-reduce at p = 2 (spin mode, stats timing off): the group's
 * defaults vs a prepared plan carrying a codec option — one that does not run the codec
 * (compress false; compress "auto", which never compresses on shared memory) and a compressed one —
 * and, for reference, the same options passed per call (resolved on every call).
 */
async function runOverhead(): Promise<OverheadGroup[]> {
  const n = 1024; // 4 KiB of f32
  const rounds = QUICK ? 3 : 15, iters = QUICK ? 300 : 3000;
  const run = async (opts: GroupOptions, configs: OverheadConfig[], worldSize = 2) => {
    const g = await spawnGroup({ worldSize, module: workerUrl, timeoutMs: 600_000, waitMode: "spin", timing: false, ...opts });
    try {
      const [r0] = await g.run<OverheadRow[]>({ kind: "overhead", n, configs, rounds, iters } satisfies OverheadTask);
      return r0!;
    } finally {
      await g.shutdown();
    }
  };
  const plain: OverheadConfig[] = [
    { label: "group defaults", mode: "default" },
    { label: "plan {}", mode: "plan", options: {} },
    { label: "plan { codec: mxfp4, compress: false }", mode: "plan", options: { codec: "mxfp4", compress: false } },
    { label: "plan { codec: mxfp4, compress: \"auto\" }", mode: "plan", options: { codec: "mxfp4", compress: "auto" } },
    { label: "per call { codec: mxfp4, compress: false }", mode: "options", options: { codec: "mxfp4", compress: false } },
    { label: "per call { codec: mxfp4, compress: \"auto\" }", mode: "options", options: { codec: "mxfp4", compress: "auto" } },
  ];
  const compressed: OverheadConfig[] = [
    { label: "group defaults (policy mxfp4, compress: true)", mode: "default" },
    { label: "plan { codec: mxfp4 }", mode: "plan", options: { codec: "mxfp4" } },
    { label: "per call { codec: mxfp4 }", mode: "options", options: { codec: "mxfp4" } },
  ];
  return [
    { title: "uncompressed group (no codec policy)", baseline: "group defaults", rows: await run({}, plain), judged: true },
    { title: "group policy mxfp4, compress: true", baseline: "group defaults (policy mxfp4, compress: true)", rows: await run({ codec: "mxfp4", compress: true }, compressed), judged: true },
    // p = 1 exchanges nothing: what is left is the call's own argument checks and choice resolution,
    // on one thread, so this group is not disturbed by a descheduled peer
    { title: "p = 1 (argument checks and resolution only)", baseline: "group defaults", rows: await run({}, plain, 1), judged: false },
  ];
}

/** Did every plan row stay within 10% of its group's defaults? */
function overheadOk(groups: OverheadGroup[]): boolean {
  return groups.filter((g) => g.judged).every((g) => {
    const base = g.rows.find((r) => r.label === g.baseline)!.medianUs;
    return g.rows.filter((r) => r.mode === "plan").every((r) => r.medianUs <= 1.1 * base);
  });
}

function overheadMd(groups: OverheadGroup[]): string {
  const lines = [
    "### Per-call overhead: 4 KiB all-reduce, prepared plans vs group defaults",
    "",
    "p = 2 (p = 1 in the last group), spin mode, stats timing off, each rank all-reduces its `alloc()` view in place. Every config is timed as batches of back-to-back calls (mean per call within a batch), interleaved round by round; the table gives the median and the lowest of the round means. Target: a call with a prepared plan carrying a codec option within 10% of a call with the group's defaults (judged at p = 2; the p = 1 group, whose calls exchange nothing, shows the absolute cost of a call's own argument checks and resolution).",
    "",
    "| group | config | runs | µs per call (median) | lowest round | vs group defaults | status |",
    "|---|---|---|---:|---:|---:|---|",
  ];
  for (const g of groups) {
    const base = g.rows.find((r) => r.label === g.baseline)!.medianUs;
    for (const r of g.rows) {
      const ratio = r.medianUs / base;
      const diffNs = `${r.medianUs >= base ? "+" : "−"}${Math.abs(1000 * (r.medianUs - base)).toFixed(0)} ns`;
      const status = r.label === g.baseline ? "–" : !g.judged ? `(not judged) ${diffNs}` : r.mode === "plan" ? (ratio <= 1.1 ? "met" : "not met") : diffNs;
      lines.push(`| ${g.title} | ${r.label} | ${r.codec ? `${r.algorithm} (${r.codec})` : r.algorithm} | ${r.medianUs.toFixed(2)} | ${r.bestUs.toFixed(2)} | ${ratio.toFixed(2)} | ${status} |`);
    }
  }
  return lines.join("\n");
}

function tableMd(t: Table): string {
  const { p } = t;
  const lines = [`### ${t.title}`, "", t.note, "",
    "| size | config | algorithm | time (median) | quietest round | algbw GB/s | busbw GB/s | busbw / copy | bytes read/rank |",
    "|---:|---|---|---:|---:|---:|---:|---:|---:|"];
  const sizes = [...new Set(t.result.rows.map((r) => r.bytes))];
  for (const s of sizes) {
    const copy = t.result.copyUs[s];
    if (copy !== undefined) lines.push(`| ${fmtBytes(s)} | TypedArray.set copy | – | ${fmtUs(copy)} | – | ${gbps(s, copy).toFixed(2)} | – | – | – |`);
    for (const r of t.result.rows.filter((x) => x.bytes === s)) {
      const alg = gbps(s, r.medianUs), bus = alg * 2 * (p - 1) / p;
      const ratio = copy !== undefined ? `${(100 * bus / gbps(s, copy)).toFixed(0)}%` : "–";
      const algName = r.codec ? `${r.scheme} (${r.codec})` : r.algorithm;
      lines.push(`| ${fmtBytes(s)} | ${r.label} | ${algName} | ${fmtUs(r.medianUs)} | ${fmtUs(r.bestRoundUs)} | ${alg.toFixed(2)} | ${bus.toFixed(2)} | ${ratio} | ${fmtBytes(r.bytesReceived) === "0 KiB" ? "0" : fmtBytes(r.bytesReceived)} |`);
    }
  }
  return lines.join("\n");
}

function row(t: Table, bytes: number, label: string): Row | undefined {
  return t.result.rows.find((r) => r.bytes === bytes && r.label === label);
}

/** Largest size such that one-shot ≤ two-shot (quietest-round medians) at it and every smaller size. */
function oneShotThreshold(t: Table): number {
  let th = 0;
  for (const s of [...new Set(t.result.rows.map((r) => r.bytes))].sort((a, b) => a - b)) {
    const a = row(t, s, "one-shot"), b = row(t, s, "two-shot");
    if (!a || !b) continue;
    if (a.bestRoundUs <= b.bestRoundUs) th = s;
    else break;
  }
  return th;
}

async function main(): Promise<void> {
  if (ONLY === "overhead") {
    log("p = 2, per-call overhead (4 KiB) …");
    const groups = await runOverhead();
    if (JSON_OUT) console.log(JSON.stringify(groups, null, 1));
    else console.log(`${overheadMd(groups)}\n\nplans within 10% of the group defaults: ${overheadOk(groups) ? "met" : "not met"}`);
    return;
  }
  const cores = availableParallelism();
  const machine = `${cpus()[0]?.model ?? "unknown CPU"}, ${cores} cores available, ${(totalmem() / 2 ** 30).toFixed(0)} GiB`;
  log(`machine: ${machine}; Node ${process.version}${QUICK ? " (quick)" : ""}`);
  const started = Date.now();
  const load0 = loadavg()[0]!;
  const tables: Table[] = [];
  const budgetMs = QUICK ? 40 : 150;
  const sizes = pow4Sizes(4 * KiB, 64 * MiB);

  // 1. shared memory, p = 2 (spin mode, timing off), and p = 4 (wait mode: 4 ranks on 2 cores)
  log("p = 2, shared memory …");
  tables.push({
    title: "p = 2, shared memory (spin mode, stats timing off)", p: 2, link: null,
    note: "Each rank all-reduces its `alloc()` view in place; time = median per call on rank 0; busbw = algbw·2(p−1)/p; copy = one thread's `TypedArray.set` of the same bytes, same run.",
    result: await runSweep(2, { waitMode: "spin", timing: false, maxMessageBytes: 64 * MiB }, { sizes, configs: [...UNCOMPRESSED, ...COMPRESSED_P2], budgetMs, maxIters: 20_000, minIters: QUICK ? 3 : 5, copy: true }),
  });
  log("p = 2, stats timing on (4 KiB, 1 MiB) …");
  const timingOn = await runSweep(2, { waitMode: "spin", timing: true, maxMessageBytes: 4 * MiB }, { sizes: [4 * KiB, MiB], configs: [{ label: "one-shot, timing on", options: { algorithm: "one-shot" } }], budgetMs, maxIters: 20_000, minIters: 5, copy: false });
  log("p = 2, waitMode auto (adaptive spin) …");
  const autoMode = await runSweep(2, { timing: false, maxMessageBytes: 4 * MiB }, { sizes: [4 * KiB, MiB], configs: [{ label: "auto, waitMode auto", options: {} }], budgetMs, maxIters: 20_000, minIters: 5, copy: false });
  log("p = 4, shared memory (oversubscribed) …");
  tables.push({
    title: "p = 4, shared memory (wait mode; 4 ranks on 2 cores: oversubscribed)", p: 4, link: null,
    note: "Four ranks share two cores, so every step can wait for a descheduled rank (futex wake ≈ 25–50 µs here): these figures measure oversubscription more than the algorithms. 64 MiB runs as four 16 MiB segments.",
    result: await runSweep(4, { waitMode: "wait", timing: false, maxMessageBytes: 16 * MiB }, {
      sizes: pow4Sizes(4 * KiB, QUICK ? 16 * MiB : 64 * MiB),
      configs: [...UNCOMPRESSED, { label: "mxfp4 allgather", options: { codec: "mxfp4", scheme: "allgather" } }, { label: "mxfp4 two-shot", options: { codec: "mxfp4", scheme: "two-shot" } }],
      budgetMs, maxIters: 5000, minIters: 3, copy: false,
    }),
  });

  // 2. emulated links, p = 2
  const linkSizes = QUICK ? [64 * KiB, 16 * MiB] : [4 * KiB, 64 * KiB, MiB, 16 * MiB];
  const linkConfigs: Config[] = [
    { label: "f32 one-shot", options: { algorithm: "one-shot", compress: false } },
    { label: "f32 two-shot", options: { algorithm: "two-shot", compress: false } },
    { label: "f32 auto", options: { compress: false } },
    { label: "f32 pipelined", options: { codec: "f32", scheme: "allgather" } },
    { label: "bf16", options: { codec: "bf16" } },
    { label: "q8_0", options: { codec: "q8_0" } },
    { label: "mxfp4", options: { codec: "mxfp4" } },
    { label: "nvfp4", options: { codec: "nvfp4" } },
    { label: "q4_0", options: { codec: "q4_0" } },
    { label: "int4", options: { codec: "int4" } },
    { label: "auto (policy mxfp4)", options: {} },
  ];
  for (const [name, link] of Object.entries(LINK_PRESETS)) {
    if (QUICK && name !== "10Gbit/s") continue;
    log(`p = 2, emulated ${name} …`);
    tables.push({
      title: `p = 2, emulated ${name} link (latency ${link.latencySec * 1e6} µs)`, p: 2, link,
      note: "`auto` = the communicator policy `{ codec: \"mxfp4\", compress: \"auto\", algorithm: \"auto\" }`; compressed rows use scheme auto (allgather at p = 2).",
      result: await runSweep(2, { waitMode: "spin", timing: false, link, codec: "mxfp4", compress: "auto", maxMessageBytes: 16 * MiB }, {
        sizes: linkSizes, configs: linkConfigs, budgetMs: QUICK ? 30 : 300, maxIters: 2000, minIters: QUICK ? 3 : 5, copy: false,
      }),
    });
  }

  log("p = 2, per-call overhead (4 KiB) …");
  const overheadGroups = await runOverhead();

  log("local kernels …");
  const g = await spawnGroup({ worldSize: 1, module: workerUrl });
  const [localRes] = await g.run<Record<string, Record<number, number>>>({ kind: "local", sizes: [MiB, 16 * MiB], codecs: ["q8_0", "mxfp4", "nvfp4"] } satisfies LocalTask);
  await g.shutdown();

  // ---- targets -------------------------------------------------------------------------------
  const t2 = tables[0]!;
  const lat = row(t2, 4 * KiB, "one-shot")!.medianUs;
  const latAuto = row(t2, 4 * KiB, "auto")!.medianUs;
  const latTiming = timingOn.rows.find((r) => r.bytes === 4 * KiB)!.medianUs;
  const latBest = row(t2, 4 * KiB, "one-shot")!.bestRoundUs;
  const latAutoMode = autoMode.rows.find((r) => r.bytes === 4 * KiB)!;
  const busLines: string[] = [];
  let busOk = true;
  for (const s of sizes.filter((x) => x >= MiB)) {
    const copy = t2.result.copyUs[s]!;
    const best = Math.min(...["one-shot", "two-shot", "ring", "auto"].map((l) => row(t2, s, l)!.medianUs));
    const autoUs = row(t2, s, "auto")!.medianUs;
    const frac = (gbps(s, best) / gbps(s, copy));
    const fracAuto = gbps(s, autoUs) / gbps(s, copy);
    busOk &&= fracAuto >= 0.5;
    busLines.push(`${fmtBytes(s)}: best ${(100 * frac).toFixed(0)}%, auto ${(100 * fracAuto).toFixed(0)}% of copy (${gbps(s, autoUs).toFixed(1)} vs ${gbps(s, copy).toFixed(1)} GB/s)`);
  }
  const t10 = tables.find((t) => t.title.includes("10Gbit/s"))!;
  const f32_16 = row(t10, 16 * MiB, "f32 auto")!.medianUs;
  const f32p_16 = row(t10, 16 * MiB, "f32 pipelined")!.medianUs;
  // the 4.25–4.5-bit codecs: mxfp4 4.25, nvfp4 4.5, q4_0 4.5, int4 (block 32, fp16 scale) 4.5
  const speedups = ["mxfp4", "nvfp4", "q4_0", "int4"].map((c) => [c, f32_16 / row(t10, 16 * MiB, c)!.medianUs] as const);
  const speedupsP = ["mxfp4", "nvfp4", "q4_0", "int4"].map((c) => [c, f32p_16 / row(t10, 16 * MiB, c)!.medianUs] as const);
  const bestSpeedup = Math.max(...speedups.map(([, v]) => v));
  // What the kernels allow: f32 needs at least M / bandwidth on the wire; the pipelined compressed
  // allgather needs at least max(wire, quantize M + decode p·M) of one thread's work per rank.
  const M16 = 16 * MiB, bw10 = LINK_PRESETS["10Gbit/s"].bandwidthBytesPerSec;
  // the pipeline works piece by piece (128 KiB – 1 MiB of f32), so the in-cache 1 MiB rates apply
  const qRate = localRes!["mxfp4 quantize"]![MiB]! * 1e9, dRate = localRes!["mxfp4 dequantize-accumulate"]![MiB]! * 1e9;
  const ceiling = (M16 / bw10) / Math.max(M16 * (4.25 / 32) / bw10, M16 / qRate + 2 * M16 / dRate);
  const autoLines: string[] = [];
  let autoOk = true;
  for (const t of tables) {
    const autoLabel = t.link ? "auto (policy mxfp4)" : "auto";
    const candidates = t.link ? ["f32 one-shot", "f32 two-shot", "mxfp4"] : ["one-shot", "two-shot", "ring"];
    for (const s of [...new Set(t.result.rows.map((r) => r.bytes))]) {
      const a = row(t, s, autoLabel);
      if (!a) continue;
      const bestC = candidates.map((l) => row(t, s, l)).filter((r): r is Row => !!r).sort((x, y) => x.medianUs - y.medianUs)[0]!;
      const ratio = a.medianUs / bestC.medianUs;
      const ok = ratio <= 1.1 || t.p > 2; // p = 4 is oversubscribed: reported, not judged
      if (t.p <= 2) autoOk &&= ok;
      autoLines.push(`| ${t.title.split(",").slice(0, 2).join(",")} | ${fmtBytes(s)} | ${a.codec ? `${a.scheme} ${a.codec}` : a.algorithm} | ${bestC.label} | ${ratio.toFixed(2)} | ${t.p > 2 ? "(not judged)" : ok ? "met" : "not met"} |`);
    }
  }
  const th2 = oneShotThreshold(t2), th4 = oneShotThreshold(tables[1]!);

  const md = [
    "# @tensorwire/collectives benchmarks",
    "",
    `Generated by \`npm run bench -w @tensorwire/collectives${QUICK ? " -- --quick" : ""}\` on ${new Date().toISOString()}.`,
    `Machine: ${machine}. Node ${process.version}. Total time ${((Date.now() - started) / 1000).toFixed(0)} s.`,
    `Load average (1 min) at start ${load0.toFixed(2)}, at end ${loadavg()[0]!.toFixed(2)} — above ~0.5 other processes were competing for the two cores and every two-thread figure below is inflated by preemption (spin-mode waits then burn whole scheduler slices); the "quietest round" column is the lowest of five interleaved rounds' medians.`,
    "The machine is a shared 2-vCPU VM: two-thread figures move by several × between runs (the host moves and shares the vCPUs); compare rows of one run.",
    "",
    "## Targets",
    "",
    "| target | measured | status |",
    "|---|---|---|",
    `| p = 2, 4 KiB all-reduce, spin mode: median ≤ 3 µs | one-shot ${lat.toFixed(2)} µs (quietest round ${latBest.toFixed(2)} µs), auto ${latAuto.toFixed(2)} µs (stats timing off); ${latTiming.toFixed(2)} µs with per-phase timing on; waitMode auto (adaptive) ${latAutoMode.medianUs.toFixed(2)} µs | ${Math.min(lat, latAuto) <= 3 ? "met" : latBest <= 3 ? "met in the quietest round only" : "not met"} |`,
    `| ≥ 1 MiB uncompressed: busbw ≥ 50% of copy bandwidth | ${busLines.join("; ")} | ${busOk ? "met" : "not met"} |`,
    `| emulated 10 Gbit/s, 16 MiB, 4.25–4.5-bit codec ≥ 4× faster than f32 | vs f32 auto (${fmtUs(f32_16)}): ${speedups.map(([c, v]) => `${c} ${v.toFixed(2)}×`).join(", ")}; vs f32 through the same pipeline (${fmtUs(f32p_16)}): ${speedupsP.map(([c, v]) => `${c} ${v.toFixed(2)}×`).join(", ")} | ${bestSpeedup >= 4 ? "met" : "not met"} |`,
    `| auto algorithm and auto compression within 10% of the best option | see the table below | ${autoOk ? "met" : "not met"} |`,
    `| 4 KiB call with a prepared plan carrying a codec option: per-call time within 10% of a call with the group's defaults | see "Per-call overhead" below | ${overheadOk(overheadGroups) ? "met" : "not met"} |`,
    "",
    `Ceiling for the 10 Gbit/s target with the kernel rates measured in this run (mxfp4 quantize ${(qRate / 1e9).toFixed(1)} GB/s, dequantize-accumulate ${(dRate / 1e9).toFixed(1)} GB/s at 1 MiB, one thread per rank): at 16 MiB f32 needs ≥ ${(M16 / bw10 * 1e3).toFixed(1)} ms on the wire; the pipelined compressed allgather needs ≥ max(wire ${(M16 * 4.25 / 32 / bw10 * 1e3).toFixed(1)} ms, quantize + 2 decodes ${((M16 / qRate + 2 * M16 / dRate) * 1e3).toFixed(1)} ms) → at most ${ceiling.toFixed(1)}× (4× needs quantize + 2 decodes ≤ 3.4 ms, i.e. ≈ 10 GB/s quantize and 20 GB/s decode). For scale, quant-wasm's BENCHMARKS.md ("Native ceiling on this machine") measures an AVX2 C port of the same kernels beside them; wasm SIMD is 128 bits wide, AVX2 256.`,
    "",
    overheadMd(overheadGroups),
    "",
    "### auto vs the best explicit option",
    "",
    "| table | size | auto chose | best explicit | auto / best | status |",
    "|---|---:|---|---|---:|---|",
    ...autoLines,
    "",
    "## auto thresholds (src/tuning.ts THRESHOLDS)",
    "",
    `Largest size where one-shot's quietest-round median ≤ two-shot's at that and every smaller size: p = 2: ${th2 ? fmtBytes(th2) : "none (two-shot faster from 4 KiB)"}; p = 4: ${th4 ? fmtBytes(th4) : "none (two-shot faster from 4 KiB)"}.`,
    `In use: ${THRESHOLDS.map((t) => `p ≤ ${t.maxWorldSize}: one-shot up to ${fmtBytes(t.oneShotMaxBytes)}`).join("; ")}.`,
    "",
    "## Local kernels (one thread, GB/s of f32 data; the cost model's LOCAL_BYTES_PER_SEC)",
    "",
    "| kernel | 1 MiB | 16 MiB |",
    "|---|---:|---:|",
    ...Object.entries(localRes!).map(([k, v]) => `| ${k} | ${v[MiB]!.toFixed(1)} | ${v[16 * MiB]!.toFixed(1)} |`),
    "",
    "## Tables",
    "",
    ...tables.map(tableMd).flatMap((t) => [t, ""]),
    `Stats timing on (p = 2, one-shot): ${timingOn.rows.map((r) => `${fmtBytes(r.bytes)} ${fmtUs(r.medianUs)}`).join(", ")}.`,
    `waitMode auto (adaptive spin, p = 2, auto algorithm): ${autoMode.rows.map((r) => `${fmtBytes(r.bytes)} ${fmtUs(r.medianUs)}`).join(", ")}.`,
    "",
  ].join("\n");
  writeFileSync(mdPath, md);
  log(`wrote ${mdPath}`);
  if (JSON_OUT) console.log(JSON.stringify({ machine, node: process.version, quick: QUICK, tables, timingOn, autoMode, overhead: overheadGroups, local: localRes, thresholds: { p2: th2, p4: th4 } }, null, 1));
  else console.log(md.split("## Tables")[0]);
}

await main();
