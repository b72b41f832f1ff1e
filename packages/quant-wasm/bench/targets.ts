// Throughput targets checked by the benchmark: the figures of the quant-wasm issue, set from prototype
// measurements on an AVX-512 machine (C memcpy 57 GB/s in cache, 10.6 GB/s at 64 MiB; BENCHMARKS.md
// "Native ceiling" shows what native code reaches here). Machines are noisy: see the ratios too.

export interface Row {
  format: string;
  bitsPerValue: number;
  sizeBytes: number;
  op: "quantize" | "dequantize" | "dequantizeAccumulate";
  wasmGBs: number | null;
  scalarGBs: number;
  copyGBs: number;
  wasmOverScalar: number | null;
  wasmOverCopy: number | null;
  /** wasm bytes equal the reference's (null: no wasm kernel). */
  verified: boolean | null;
  note: string;
}

export interface Target {
  text: string;
  /** Rows the target is about. */
  select(r: Row): boolean;
  /** The measured figure of one row. */
  value(r: Row): number | null;
  /** Threshold the figure must reach for every selected row. */
  atLeast: number;
  unit: string;
}

const KiB256 = 256 * 1024;
const small = (r: Row) => r.sizeBytes === KiB256;
const large = (r: Row) => r.sizeBytes > KiB256;

export const TARGETS: Target[] = [
  // The figures of the quant-wasm issue ("Targets"), for this 2-core machine class, single thread.
  {
    text: "every format: quantize ≥ 15 GB/s at 64 MiB",
    select: (r) => r.op === "quantize" && large(r), value: (r) => r.wasmGBs, atLeast: 15, unit: "GB/s",
  },
  {
    text: "every format: quantize ≥ 10x its scalar-JS baseline (both sizes)",
    select: (r) => r.op === "quantize", value: (r) => r.wasmOverScalar, atLeast: 10, unit: "x",
  },
  {
    text: "q8_0 and int8: quantize ≥ 20 GB/s at 256 KiB",
    select: (r) => (r.format === "q8_0" || r.format === "int8") && r.op === "quantize" && small(r), value: (r) => r.wasmGBs, atLeast: 20, unit: "GB/s",
  },
  {
    text: "every format: dequantizeAccumulate ≥ 15 GB/s at 64 MiB",
    select: (r) => r.op === "dequantizeAccumulate" && large(r), value: (r) => r.wasmGBs, atLeast: 15, unit: "GB/s",
  },
  {
    text: "every format and op: the wasm results equal the scalar reference's bit for bit",
    select: () => true, value: (r) => (r.verified === null ? null : r.verified ? 1 : 0), atLeast: 1, unit: "",
  },
];

export interface TargetResult {
  text: string;
  measured: string;
  status: "met" | "not met" | "n/a";
}

/** Each target is met when every selected row reaches the threshold; a missing kernel makes it "not met". */
export function evaluateTargets(rows: Row[]): TargetResult[] {
  return TARGETS.map((t) => {
    const sel = rows.filter(t.select);
    if (sel.length === 0) return { text: t.text, measured: "not measured in this run", status: "n/a" };
    const vals = sel.map((r) => ({ r, v: t.value(r) }));
    const missing = vals.filter((x) => x.v === null);
    const worst = vals.filter((x) => x.v !== null).sort((a, b) => a.v! - b.v!)[0];
    const failing = vals.filter((x) => x.v !== null && x.v < t.atLeast);
    let measured = worst ? (sel.length === 1 ? fmt(worst.v!, t.unit) : `worst ${fmt(worst.v!, t.unit)} (${worst.r.format} ${worst.r.op} ${sizeLabel(worst.r.sizeBytes)})`) : "";
    if (t.unit === "") measured = `${vals.length - failing.length - missing.length}/${vals.length} identical`;
    if (missing.length) measured += `${measured ? "; " : ""}n/a for ${[...new Set(missing.map((x) => x.r.format))].join(", ")}`;
    return { text: t.text, measured, status: failing.length === 0 && missing.length === 0 ? "met" : "not met" };
  });
}

function sizeLabel(bytes: number): string {
  return bytes >= 1 << 20 ? `${bytes / (1 << 20)} MiB` : `${bytes / 1024} KiB`;
}

function fmt(v: number, unit: string): string {
  return `${v.toFixed(2)} ${unit}`.trim();
}
