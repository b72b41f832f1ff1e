// The tp-model benchmark: kernels (GEMM against the machine's wasm SIMD multiply-add peak and a
// scalar-JS GEMM), end-to-end prefill TTFT and decode tokens/s at TP 1 and 2 on stories260K and on a
// synthetic dim-2048 model (uncompressed and with codecs, shared memory and emulated links), and the
// same synthetic GGUF run by llama.cpp (node-llama-cpp) with 1 and 2 threads. Writes BENCHMARKS.md.
//   npm run bench -w @tensorwire/tp-model [-- --quick] [-- --no-llama] [-- --no-kernels]
import { existsSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { writeSyntheticModelFile } from "@tensorwire/tp-model/node";
import { syntheticPrompt } from "@tensorwire/tp-model/node";
import { type E2eCase, type E2eRow, runE2e } from "./e2e.js";
import { type KernelBenchResult, runKernelBench } from "./kernels.js";
import { type LlamaCppRow, runLlamaCpp } from "./llama-cpp.js";
import { type CeilingResult, runCeiling } from "./ceiling.js";

const args = new Set(process.argv.slice(2));
const QUICK = args.has("--quick");
const mdPath = fileURLToPath(new URL("../../BENCHMARKS.md", import.meta.url));
const log = (s: string) => console.log(s);
const la = () => loadavg().map((x) => x.toFixed(2)).join(" / ");

const SYN = QUICK
  ? { dim: 512, hiddenDim: 1408, nLayers: 2, nHeads: 8, nKvHeads: 2, vocabSize: 4096, seqLen: 1024 }
  : { dim: 2048, hiddenDim: 5632, nLayers: 8, nHeads: 32, nKvHeads: 8, vocabSize: 32000, seqLen: 2048 };
const PROMPT = QUICK ? 128 : 512;

async function syntheticFile(): Promise<string> {
  const dir = join(tmpdir(), "tensorwire-bench");
  mkdirSync(dir, { recursive: true });
  const s = SYN;
  const path = join(dir, `synthetic-${s.dim}-${s.nLayers}-${s.hiddenDim}-${s.nHeads}-${s.nKvHeads}-${s.vocabSize}-f32-s1.gguf`);
  if (!existsSync(path)) {
    log(`writing ${path} …`);
    await writeSyntheticModelFile(path, { ...s, seed: 1, type: "f32" });
  }
  return path;
}

function e2eTable(title: string, rows: E2eRow[], base: (r: E2eRow) => E2eRow | undefined): string {
  const out = [`### ${title}`, "", "| TP | link | codec | TTFT (median, min–max) | vs uncompressed same TP/link | vs TP 1 | decode tok/s | bytes/position/rank | compression | comm share |", "|---|---|---|---|---|---|---|---|---|---|"];
  const tp1 = rows.find((r) => r.tp === 1 && r.codec === "none" && r.link === "shm");
  for (const r of rows) {
    const b = base(r);
    out.push(`| ${r.tp} | ${r.link} | ${r.codec} | ${r.ttftMs.toFixed(1)} ms (${r.ttftMinMs.toFixed(1)}–${r.ttftMaxMs.toFixed(1)}) | ${b ? (b.ttftMs / r.ttftMs).toFixed(2) + "×" : ""} | ${tp1 ? (tp1.ttftMs / r.ttftMs).toFixed(2) + "×" : ""} | ${r.decodeTokPerSec.toFixed(1)} | ${r.bytesPerToken.toFixed(0)} | ${r.compressionRatio.toFixed(2)}× | ${(100 * r.commShare).toFixed(1)}% |`);
  }
  return out.join("\n");
}

function cases(links: string[], codecs: string[]): E2eCase[] {
  const c: E2eCase[] = [{ tp: 1, codec: "none", link: "shm" }];
  for (const link of links) for (const codec of codecs) c.push({ tp: 2, codec, link });
  return c;
}

const md: string[] = [];
const cpu = cpus()[0]?.model ?? "unknown CPU";
md.push("# @tensorwire/tp-model benchmarks", "",
  `Machine: ${cpu}, ${availableParallelism()} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; Node ${process.version}; ${new Date().toISOString()}.`,
  `Load average at start (1/5/15 min): ${la()}.${QUICK ? " **Quick run** (smaller shapes)." : ""}`, "",
  "Regenerate: `npm run bench -w @tensorwire/tp-model`. Absolute times on a shared 2-vCPU VM are noisy; compare ratios within one run.", "");

let kernelPeak: number | null = null;
let kernelRows: KernelBenchResult["rows"] = [];
if (!args.has("--no-kernels")) {
  log("kernels …");
  const k = await runKernelBench({ quick: QUICK });
  kernelPeak = k.peakGflops;
  kernelRows = k.rows;
  md.push("## Kernels (single thread)", "", k.markdown, "");
}

log("decode ceiling (memory bandwidth, 1 and 2 threads) …");
const ceiling: CeilingResult = await runCeiling(QUICK ? { bytesPerWorker: 128 * 2 ** 20, seconds: 0.5, reps: 1 } : {});
md.push("## Decode ceiling: memory bandwidth with 1 and 2 threads", "",
  "Decode streams every weight once per token (GEMV), so it is bound by memory bandwidth, and TP 2 / TP 1 decode can at best be what two threads streaming at once get from the memory system against one thread alone. Measured here with tm_matmul at m = 1 over " +
  `${QUICK ? 128 : 512} MiB of packed weights per thread (each thread its own wasm memory), the threads started together; medians of ${QUICK ? 1 : 3} rounds.`, "",
  "| threads streaming | GB/s (sum) | vs 1 thread |", "|---|---:|---:|",
  `| 1 | ${ceiling.oneThreadGBps.toFixed(1)} | 1.00× |`,
  `| ${ceiling.threads} | ${ceiling.allThreadsGBps.toFixed(1)} | ${ceiling.scaling.toFixed(2)}× |`, "");

const codecs = ["none", "q8_0", "mxfp4", "int4"];
const links = ["shm", "10Gbit/s", "1Gbit/s"];
const modelsDir = process.env.TENSORWIRE_MODELS;
const stories = modelsDir ? join(modelsDir, "stories260K", "stories260K.gguf") : "";
md.push("## End to end: prefill TTFT and decode", "",
  `Prompt: ${PROMPT} seeded tokens processed as one batch (TTFT = the prefill forward plus the first sample, host wall time); decode: greedy tokens after it.`,
  "Compression: the paper's policy (both row-parallel all-reduces of every layer during prefill; decode uncompressed). Links are emulated (collectives' LINK_PRESETS: 10Gbit/s = 1.25 GB/s + 20 µs, 1Gbit/s = 125 MB/s + 50 µs).", "");
if (stories && existsSync(stories)) {
  log("stories260K …");
  const rows = await runE2e({ load: { model: stories }, promptTokens: Math.min(PROMPT, 511), decodeTokens: 64, reps: QUICK ? 3 : 7, cases: cases(links, codecs), onRow: (r) => log(JSON.stringify(r)) });
  md.push(e2eTable("stories260K (dim 64, 5 layers, GGUF f32)", rows, (r) => rows.find((b) => b.tp === r.tp && b.link === r.link && b.codec === "none")), "");
} else {
  md.push("stories260K: not run (TENSORWIRE_MODELS unset).", "");
}
const syn = await syntheticFile();
// prefill FLOPs of the synthetic model: every layer's q, k, v, o, gate, up, down products and causal attention
const kvDim = (SYN.dim * SYN.nKvHeads) / SYN.nHeads;
const layerParams = 2 * SYN.dim * SYN.dim + 2 * kvDim * SYN.dim + 3 * SYN.dim * SYN.hiddenDim;
const prefillFlop = SYN.nLayers * (2 * layerParams * PROMPT + 2 * 2 * SYN.dim * ((PROMPT * (PROMPT + 1)) / 2));
log(`synthetic ${SYN.dim} …`);
const synRows = await runE2e({ load: { model: syn }, promptTokens: PROMPT, decodeTokens: QUICK ? 8 : 16, reps: QUICK ? 2 : 3, cases: cases(links, codecs), onRow: (r) => log(JSON.stringify(r)) });
md.push(e2eTable(`synthetic dim ${SYN.dim}, ${SYN.nLayers} layers, hidden ${SYN.hiddenDim}, ${SYN.nHeads} heads / ${SYN.nKvHeads} KV heads, vocab ${SYN.vocabSize} (GGUF f32, ${(statSync(syn).size / 2 ** 30).toFixed(2)} GiB)`, synRows, (r) => synRows.find((b) => b.tp === r.tp && b.link === r.link && b.codec === "none")), "");

const tw1 = synRows.find((r) => r.tp === 1)!;
const tw2 = synRows.find((r) => r.tp === 2 && r.link === "shm" && r.codec === "none")!;
// bytes streamed per decoded token: every layer's matrices and the classifier (the embedding table is read one row at a time)
const weightBytes = 4 * (SYN.nLayers * layerParams + SYN.vocabSize * SYN.dim);
const decodeRatio = tw2.decodeTokPerSec / tw1.decodeTokPerSec;
md.push("### Targets (this run)", "",
  ...(kernelRows.length ? [(() => {
    const g = kernelRows.filter((r) => r.kind === "gemm");
    const pc = (v: number) => `${(100 * v).toFixed(0)}%`;
    return `- GEMM single thread ≥ 0.75× the wasm SIMD peak: of the run's highest peak ${g.map((r) => pc(r.ofPeak)).join(" / ")}, paired with the peak just before each repetition ${g.map((r) => pc(r.pairedOfPeak!)).join(" / ")} ` +
      `(shapes in the kernel table's order; ${g.filter((r) => r.pairedOfPeak! >= 0.75).length} of ${g.length} at ≥ 75% paired). ≥ 10× the scalar-JS GEMM: ${Math.min(...g.map((r) => r.gflops / r.scalarGflops!)).toFixed(0)}× at the least.`;
  })()] : []),
  `- Prefill TP 2 / TP 1: ${(tw1.ttftMs / tw2.ttftMs).toFixed(2)}× in medians, ${(tw1.ttftMinMs / tw2.ttftMinMs).toFixed(2)}× in the fastest runs (target ≥ 1.8×; the spread of one configuration on this shared VM is shown in the table above).`,
  `- Decode TP 2 / TP 1: ${decodeRatio.toFixed(2)}× (target ≥ 1.6×). This machine's memory system gives two threads streaming at once ${ceiling.scaling.toFixed(2)}× one thread's bandwidth (the decode ceiling above), so the target is restated as a fraction of that ceiling: ${(decodeRatio / ceiling.scaling).toFixed(2)} of it. ` +
    `Weights streamed per token (every layer's matrices and the classifier): ${(weightBytes / 1e9).toFixed(2)} GB: TP 1 decode moves ${((tw1.decodeTokPerSec * weightBytes) / 1e9).toFixed(1)} GB/s (${((tw1.decodeTokPerSec * weightBytes) / 1e9 / ceiling.oneThreadGBps).toFixed(2)} of one thread's ${ceiling.oneThreadGBps.toFixed(1)} GB/s), TP 2 ${((tw2.decodeTokPerSec * weightBytes) / 1e9).toFixed(1)} GB/s (${((tw2.decodeTokPerSec * weightBytes) / 1e9 / ceiling.allThreadsGBps).toFixed(2)} of two threads' ${ceiling.allThreadsGBps.toFixed(1)} GB/s).`, "");

if (!args.has("--no-llama")) {
  log("llama.cpp …");
  let ll: LlamaCppRow[] | null = null;
  let why = "";
  try {
    ll = await runLlamaCpp(syn, syntheticPrompt(PROMPT, SYN.vocabSize), QUICK ? 8 : 16, [1, 2], QUICK ? 2 : 3);
  } catch (e) {
    why = (e as Error).message;
  }
  md.push("## Peer engine: llama.cpp (node-llama-cpp) on the same synthetic GGUF", "");
  if (ll) {
    md.push(`node-llama-cpp ${ll[0]!.version} (prebuilt CPU binary), same file, same ${PROMPT}-token prompt.`, "",
      `Prefill GFLOP/s counts the layers' matrix products and attention of the ${PROMPT}-token prompt (${(prefillFlop / 1e9).toFixed(0)} GFLOP) over the prompt time; per thread = divided by threads or ranks. llama.cpp's F32 kernels are native code (this CPU has AVX2, AVX-512 and fused multiply-add; the prebuilt binary picks its own variant); tensorwire's are wasm SIMD (128-bit vectors, separate multiply and add), whose single-thread peak on this machine is the ${kernelPeak ? kernelPeak.toFixed(1) : "(not measured)"} GFLOP/s above.`, "",
      "| engine | threads / ranks | prompt processing (ms) | prompt tok/s | prefill GFLOP/s (per thread) | generation tok/s |", "|---|---|---|---|---|---|");
    const gf = (ms: number, t: number) => `${(prefillFlop / ms / 1e6).toFixed(1)} (${(prefillFlop / ms / 1e6 / t).toFixed(1)})`;
    for (const r of ll) md.push(`| llama.cpp | ${r.threads} threads | ${r.promptMs.toFixed(1)} | ${r.promptTokPerSec.toFixed(1)} | ${gf(r.promptMs, r.threads)} | ${r.genTokPerSec.toFixed(1)} |`);
    md.push(`| tensorwire | TP 1 | ${tw1.ttftMs.toFixed(1)} | ${((PROMPT * 1000) / tw1.ttftMs).toFixed(1)} | ${gf(tw1.ttftMs, 1)} | ${tw1.decodeTokPerSec.toFixed(1)} |`);
    md.push(`| tensorwire | TP 2 | ${tw2.ttftMs.toFixed(1)} | ${((PROMPT * 1000) / tw2.ttftMs).toFixed(1)} | ${gf(tw2.ttftMs, 2)} | ${tw2.decodeTokPerSec.toFixed(1)} |`, "");
    const l2 = ll.find((r) => r.threads === 2)!;
    const met = l2.promptMs / tw2.ttftMs >= 1;
    md.push(`Target: tensorwire TP 2 TTFT ≤ llama.cpp 2-thread prompt processing: ${tw2.ttftMs.toFixed(0)} ms vs ${l2.promptMs.toFixed(0)} ms → ratio ${(l2.promptMs / tw2.ttftMs).toFixed(2)} (${met ? "met" : "not met: ≥ 1 needed"}).`, "");
  } else {
    md.push(`Not run: ${why}`, "");
  }
}
md.push(`Load average at the end: ${la()}.`, "");
writeFileSync(mdPath, md.join("\n"));
log(`wrote ${mdPath}`);
