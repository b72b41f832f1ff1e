// Codec throughput: quantize, dequantize and dequantizeAccumulate of every format at its default
// settings, in GB/s of f32 (4·n bytes per call), single thread, warmed up, median of repeats. Each row
// stands beside the scalar-JS reference of the same format and a TypedArray.set copy of the same f32
// array, measured right before it (the host moves vCPUs: compare ratios within one run).
//
//   npm run bench -w @tensorwire/quant-wasm                 full run, writes BENCHMARKS.md
//   ... -- --quick                                          fewer repeats, 8 MiB instead of 64 MiB
//   ... -- --formats q8_0,mxfp4 --json                      a subset, JSON on stdout
//   ... -- --no-native                                      skip the native C ceiling (bench/native)
// Partial runs (--quick / --formats) do not overwrite BENCHMARKS.md unless --write is given.
import { cpus, loadavg } from "node:os";
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  loadQuantKernels, createCodec, createArena, listFormats, KernelError, type Codec, type QuantKernels,
} from "@tensorwire/quant-wasm";
import {
  referenceQuantize, referenceDequantize, referenceDequantizeAccumulate,
} from "@tensorwire/quant-wasm/reference";
import { normals } from "@tensorwire/quant-wasm/testing";
import { TARGETS, evaluateTargets, type Row } from "./targets.js";
import { runNative, fnv1a, type NativeResult } from "./native.js";

// ---------------------------------------------------------------- options

const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(name);
const option = (name: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : argv.find((a) => a.startsWith(`${name}=`))?.slice(name.length + 1);
};
const quick = flag("--quick");
const json = flag("--json");
const formatFilter = option("--formats")?.split(",").map((s) => s.trim()).filter(Boolean);
const write = flag("--write") || (!quick && !formatFilter);
const KiB = 1024;
const MiB = 1024 * KiB;
const SIZES = [256 * KiB, quick ? 8 * MiB : 64 * MiB]; // bytes of f32 input
const WASM = quick ? { warmupMs: 40, repeats: 5, minMs: 8 } : { warmupMs: 200, repeats: 11, minMs: 25 };
const SCALAR_SMALL = quick ? { warmupMs: 40, repeats: 3, minMs: 10 } : { warmupMs: 200, repeats: 5, minMs: 40 };
const SCALAR_LARGE = { warmupMs: 0, repeats: quick ? 1 : 3, minMs: 0 }; // no warm-up: the JIT is warm from the small size

const all = listFormats();
if (formatFilter) {
  const unknown = formatFilter.filter((f) => !all.some((x) => x.name === f));
  if (unknown.length) {
    console.error(`unknown format(s): ${unknown.join(", ")}; known: ${all.map((f) => f.name).join(", ")}`);
    process.exit(2);
  }
}
const formats = all.filter((f) => !formatFilter || formatFilter.includes(f.name));

// ---------------------------------------------------------------- timing

interface Timing { warmupMs: number; repeats: number; minMs: number }

/** Median seconds per call: warm up, pick an iteration count per sample of ≥ minMs, take repeats samples. */
function measure(fn: () => void, t: Timing): number {
  let t0 = performance.now();
  let calls = 0;
  let iters = 1;
  if (t.warmupMs > 0) {
    do {
      fn();
      calls++;
    } while (performance.now() - t0 < t.warmupMs);
    const per = (performance.now() - t0) / calls;
    iters = Math.max(1, Math.ceil(t.minMs / Math.max(per, 1e-6)));
  }
  const samples: number[] = [];
  for (let r = 0; r < t.repeats; r++) {
    t0 = performance.now();
    for (let i = 0; i < iters; i++) fn();
    samples.push((performance.now() - t0) / iters / 1000);
  }
  samples.sort((a, b) => a - b);
  return samples[samples.length >> 1]!;
}

const gbps = (bytes: number, seconds: number) => bytes / seconds / 1e9;

function progress(msg: string): void {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${msg}`);
  else process.stderr.write(`${msg}\n`);
}

// ---------------------------------------------------------------- run

const OPS = ["quantize", "dequantize", "dequantizeAccumulate"] as const;
type Op = (typeof OPS)[number];

async function main(): Promise<void> {
  const maxN = SIZES[SIZES.length - 1]! / 4;
  const k: QuantKernels = await loadQuantKernels(undefined, { initialPages: 17 });
  const arena = createArena(k, { initialBytes: 4 * maxN * 3 + 16 * MiB });
  const xPtr = arena.alloc(4 * maxN);
  const packedPtr = arena.alloc(4 * maxN + 4096); // the widest format (f32) plus slack
  const outPtr = arena.alloc(4 * maxN);
  const refPtr = arena.alloc(4 * maxN + 4096); // the reference's packed bytes, input of the wasm decoders
  const xHeap = normals(maxN, 42);
  const copyHeap = new Float32Array(maxN); // copy baseline on ordinary arrays: the fastest JS copy (a
  // SharedArrayBuffer-backed set is ~35% slower in V8)
  new Float32Array(k.memory.buffer, xPtr, maxN).set(xHeap);

  const rows: Row[] = [];
  const total = formats.length * SIZES.length;
  let step = 0;
  for (const f of formats) {
    const codec: Codec = createCodec(k, f.name);
    for (const size of SIZES) {
      step++;
      const n = size / 4;
      const label = `[${step}/${total}] ${f.name} ${fmtSize(size)}`;
      const mem = () => k.memory.buffer; // re-taken: the memory may have grown
      const copySrc = xHeap.subarray(0, n);
      const copyDst = copyHeap.subarray(0, n);
      progress(`${label}: copy`);
      const copyGBs = gbps(4 * n, measure(() => copyDst.set(copySrc), n > 1 << 20 ? SCALAR_LARGE_COPY : WASM));

      // scalar JS reference on ordinary (heap) arrays; its bytes feed the wasm decoders too, so a
      // missing quantize kernel does not leave the decoders without valid input
      const xs = xHeap.subarray(0, n);
      const t = size <= MiB ? SCALAR_SMALL : SCALAR_LARGE;
      progress(`${label}: scalar quantize`);
      let refBytes: Uint8Array = new Uint8Array(0);
      const scalarQ = gbps(4 * n, measure(() => { refBytes = referenceQuantize(codec.spec, xs).bytes; }, t));
      progress(`${label}: scalar dequantize`);
      let refDecoded: Float32Array = new Float32Array(0);
      const scalarD = gbps(4 * n, measure(() => { refDecoded = referenceDequantize(codec.spec, refBytes, n); }, t));
      const acc = new Float32Array(n);
      progress(`${label}: scalar dequantizeAccumulate`);
      const scalarA = gbps(4 * n, measure(() => referenceDequantizeAccumulate(codec.spec, refBytes, n, acc), t));
      const scalar = { quantize: scalarQ, dequantize: scalarD, dequantizeAccumulate: scalarA };

      // wasm on pointers (a missing kernel returns −1: KernelError → n/a)
      const wasm: Record<Op, number | null> = { quantize: null, dequantize: null, dequantizeAccumulate: null };
      const verified: Record<Op, boolean | null> = { quantize: null, dequantize: null, dequantizeAccumulate: null };
      const calls: Record<Op, () => void> = {
        quantize: () => codec.encodePtr(xPtr, n, packedPtr),
        dequantize: () => codec.decodePtr(refPtr, n, outPtr),
        dequantizeAccumulate: () => codec.decodeAccumulatePtr(refPtr, n, outPtr),
      };
      new Uint8Array(mem(), refPtr, refBytes.length).set(refBytes);
      for (const op of OPS) {
        progress(`${label}: wasm ${op}`);
        try {
          calls[op]();
        } catch (e) {
          if (e instanceof KernelError) continue;
          throw e;
        }
        wasm[op] = gbps(4 * n, measure(calls[op], WASM));
      }

      // verify after timing, against the reference (bit for bit, NaN payloads included)
      const same = (a: ArrayBufferView, b: ArrayBufferView) =>
        Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;
      if (wasm.quantize !== null) {
        calls.quantize();
        verified.quantize = same(new Uint8Array(mem(), packedPtr, refBytes.length), refBytes);
      }
      if (wasm.dequantize !== null) {
        calls.dequantize();
        verified.dequantize = same(new Float32Array(mem(), outPtr, n), refDecoded);
      }
      if (wasm.dequantizeAccumulate !== null) {
        const start = xs; // dst starts as x: dst = f32(x + decode(q(x)))
        new Float32Array(mem(), outPtr, n).set(start);
        calls.dequantizeAccumulate();
        const expect = start.slice();
        referenceDequantizeAccumulate(codec.spec, refBytes, n, expect);
        verified.dequantizeAccumulate = same(new Float32Array(mem(), outPtr, n), expect);
      }
      for (const op of OPS) {
        const note = wasm[op] === null ? "kernel missing" : verified[op] ? "" : "differs from the reference!";
        rows.push({
          format: f.name, bitsPerValue: f.bitsPerValue, sizeBytes: size, op,
          wasmGBs: wasm[op], scalarGBs: scalar[op], copyGBs,
          wasmOverScalar: wasm[op] === null ? null : wasm[op]! / scalar[op],
          wasmOverCopy: wasm[op] === null ? null : wasm[op]! / copyGBs,
          verified: verified[op], note,
        });
      }
    }
  }
  // the native ceiling on the same input, checked against quant.wasm's output for the same call
  let native: NativeResult | null = null;
  let nativeTable = "";
  if (!flag("--no-native")) {
    progress("native C ceiling (bench/native/ceiling.c) …");
    native = runNative(SIZES.map((size) => ({ sizeBytes: size, x: xHeap.subarray(0, size / 4) })), quick ? 3 : 7);
    if (native.ok) nativeTable = nativeMarkdown(native, rows, k, xHeap);
  }
  progress("done\n");

  const env = {
    machine: cpus()[0]?.model ?? "unknown",
    cores: cpus().length,
    node: process.version,
    date: new Date().toISOString(),
    quick,
    relaxedSimd: false,
    loadAverage: loadavg().map((x) => Number(x.toFixed(2))),
  };
  const targets = evaluateTargets(rows);
  if (json) console.log(JSON.stringify({ env, rows, targets, native }, null, 2));
  else console.log(`${table(rows)}\n\n${native?.ok ? nativeTable : `native ceiling: ${native ? native.reason : "skipped (--no-native)"}`}`);
  if (write) {
    const file = fileURLToPath(new URL("../../BENCHMARKS.md", import.meta.url));
    writeFileSync(file, markdown(env, rows, targets, native, nativeTable));
    if (!json) console.log(`wrote ${file}`);
  } else if (!json) {
    console.log("(partial run: BENCHMARKS.md not written; pass --write to overwrite it)");
  }
}

/** Copy timing at the large size: a few single calls are plenty (each moves 64 MiB). */
const SCALAR_LARGE_COPY: Timing = { warmupMs: 50, repeats: quick ? 3 : 7, minMs: 0 };

// ---------------------------------------------------------------- output

function fmtSize(bytes: number): string {
  return bytes >= MiB ? `${bytes / MiB} MiB` : `${bytes / KiB} KiB`;
}
const fx = (v: number | null, d = 2) => (v === null ? "n/a" : v.toFixed(d));
const fr = (v: number | null) => (v === null ? "n/a" : `${v.toFixed(v < 10 ? 2 : 1)}x`);

function table(rows: Row[]): string {
  const head = ["format", "bits/value", "size", "op", "wasm GB/s", "scalar JS GB/s", "copy GB/s", "wasm/scalar", "wasm/copy", "note"];
  const body = rows.map((r) => [
    r.format, String(r.bitsPerValue), fmtSize(r.sizeBytes), r.op, fx(r.wasmGBs), fx(r.scalarGBs, 3), fx(r.copyGBs),
    fr(r.wasmOverScalar), fr(r.wasmOverCopy), r.note,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  return [line(head), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...body.map(line)].join("\n");
}

/**
 * The native rows beside the wasm rows of the same kernel and size, with a check that both produce
 * the same output: the packed bytes (quantize) or the f32 values of a decode-accumulate into zeros.
 */
function nativeMarkdown(native: Extract<NativeResult, { ok: true }>, rows: Row[], k: QuantKernels, x: Float32Array): string {
  const lines = [
    "| kernel | size | native C GB/s | wasm GB/s (table above) | wasm / native | same output |",
    "|---|---:|---:|---:|---:|---|",
  ];
  for (const r of native.rows) {
    const [fmt, op] = r.kernel.split(" ") as [string, string | undefined];
    const n = r.sizeBytes / 4;
    let same = "–", wasm: number | null = null;
    if (op) {
      const codec = createCodec(k, fmt);
      const bytes = codec.encode(x.subarray(0, n)).bytes;
      const h = op === "quantize" ? fnv1a(bytes) : fnv1a(new Uint8Array(codec.decodeAccumulate(bytes, n, new Float32Array(n)).buffer));
      same = h === r.fnv ? "yes (hash of the output)" : "NO: differs from quant.wasm";
      wasm = rows.find((w) => w.format === fmt && w.op === op && w.sizeBytes === r.sizeBytes)?.wasmGBs ?? null;
    }
    lines.push(`| ${r.kernel} | ${fmtSize(r.sizeBytes)} | ${r.nativeGBs.toFixed(2)} | ${fx(wasm)} | ${wasm === null ? "–" : (wasm / r.nativeGBs).toFixed(2)} | ${same} |`);
  }
  return lines.join("\n");
}

function markdown(env: Record<string, unknown>, rows: Row[], targets: ReturnType<typeof evaluateTargets>, native: NativeResult | null, nativeTable: string): string {
  return `# @tensorwire/quant-wasm benchmarks

Generated by \`npm run bench -w @tensorwire/quant-wasm\` (bench/bench.ts). Do not edit by hand.

- Machine: ${env.machine as string}, ${env.cores as number} logical cores; Node ${env.node as string}; ${env.date as string}${env.quick ? " (quick run)" : ""}
- Load average when the run ended (1/5/15 min): ${(env.loadAverage as number[]).join(" / ")}${(env.loadAverage as number[])[1]! > 1.5 ? " — other processes shared the cores, so absolute figures are low" : ""}
- Single thread, the wasm calls on pointers into the shared memory (no staging); default settings of every format
  (FORMATS.md section 1); input N(0, 1) f32; GB/s = 4·n bytes of f32 per call / median time of a call.
- scalar JS = the reference implementation (\`@tensorwire/quant-wasm/reference\`) of the same format on ordinary
  arrays, warmed up (at the large size: the median of ${SCALAR_LARGE.repeats} calls, the JIT being warm from 256 KiB).
- copy = \`Float32Array.prototype.set\` of the same n f32 between ordinary (non-shared) arrays, measured right
  before the row (the fastest plain-JS copy; on SharedArrayBuffer-backed arrays V8 copies about 35% slower).
- After timing, every wasm result was compared bit for bit with the reference's (quantize: the bytes;
  dequantize / dequantizeAccumulate: the f32 values from the reference's bytes); a mismatch is noted.
- Relaxed SIMD is off (Node 20 default). Figures on a shared 2-vCPU VM are noisy: compare the ratios.

## Targets

${TARGETS.length ? "| target | measured | status |\n|---|---|---|\n" + targets.map((t) => `| ${t.text} | ${t.measured} | ${t.status} |`).join("\n") : "(none)"}

## Results

${table(rows)}

## Native ceiling on this machine

The int8 (block 32, fp16 scale) and mxfp4 kernels' algorithms in C with AVX2 + F16C intrinsics (8 lanes,
where wasm SIMD has 4), one thread, on the same input (bench/native/ceiling.c; best of its timed samples,
so slightly optimistic next to the medians above). The targets were set on another machine class
(AVX-512 prototype measurements, where C memcpy ran at 57 GB/s in cache and 10.6 GB/s at 64 MiB); this table shows what
native code reaches here.

${native === null ? "Not measured (--no-native)." : native.ok ? `Compiler: ${native.compiler}.\n\n${nativeTable}` : `Not measured: ${native.reason}.`}
`;
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
