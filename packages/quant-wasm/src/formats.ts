// Format ids, scale kinds and the codec descriptor.
// MUST MATCH assembly/formats.ts and FORMATS.md section 1 (the three are one contract).

/** Stable format names. */
export type FormatName =
  | "f32" | "fp16" | "bf16"
  | "q8_0" | "q4_0" | "int8" | "int4"
  | "mxfp8-e4m3" | "mxfp8-e5m2" | "mxfp6-e2m3" | "mxfp6-e3m2" | "mxfp4" | "mxint8"
  | "fp5-e2m2" | "fp5-e3m1" | "fp4-e2m1"
  | "nvfp4";

export type ScaleKind = "none" | "fp16" | "bf16" | "f32" | "e8m0" | "ue4m3";
export type Rounding = "rne" | "stochastic";

/** Numeric scale-kind ids (descriptor bits 16..19). */
export const SCALE_IDS: Readonly<Record<ScaleKind, number>> = {
  none: 0, fp16: 1, bf16: 2, f32: 3, e8m0: 4, ue4m3: 5,
};
export const SCALE_BYTES: Readonly<Record<ScaleKind, number>> = {
  none: 0, fp16: 2, bf16: 2, f32: 4, e8m0: 1, ue4m3: 1,
};

export interface FormatInfo {
  /** Stable name. */
  readonly name: FormatName;
  /** Stable numeric id (descriptor bits 0..7, frame header). */
  readonly id: number;
  /** Element width in bits. */
  readonly elementBits: number;
  /** Allowed block sizes, default first; empty for the casts. */
  readonly blocks: readonly number[];
  /** Allowed scale kinds, default first. */
  readonly scales: readonly ScaleKind[];
  /** Whether stochastic rounding is allowed. */
  readonly stochastic: boolean;
  /** Bytes per tensor added once (nvfp4's f32 tensor scale). */
  readonly tensorHeaderBytes: number;
  /** One-line description. */
  readonly description: string;
}

const VAR_BLOCKS = [32, 8, 16, 64, 128] as const;

/** Every format, by id order. */
export const FORMATS: readonly FormatInfo[] = [
  { name: "f32", id: 0, elementBits: 32, blocks: [], scales: ["none"], stochastic: false, tensorHeaderBytes: 0, description: "f32 passthrough (uncompressed baseline)" },
  { name: "fp16", id: 1, elementBits: 16, blocks: [], scales: ["none"], stochastic: false, tensorHeaderBytes: 0, description: "IEEE binary16 cast, RNE" },
  { name: "bf16", id: 2, elementBits: 16, blocks: [], scales: ["none"], stochastic: false, tensorHeaderBytes: 0, description: "bfloat16 cast, RNE" },
  { name: "q8_0", id: 8, elementBits: 8, blocks: [32], scales: ["fp16"], stochastic: false, tensorHeaderBytes: 0, description: "ggml Q8_0 (byte-compatible)" },
  { name: "q4_0", id: 9, elementBits: 4, blocks: [32], scales: ["fp16"], stochastic: false, tensorHeaderBytes: 0, description: "ggml Q4_0 (byte-compatible)" },
  { name: "int8", id: 10, elementBits: 8, blocks: VAR_BLOCKS, scales: ["fp16", "bf16", "f32"], stochastic: true, tensorHeaderBytes: 0, description: "symmetric int8, scale amax/127" },
  { name: "int4", id: 11, elementBits: 4, blocks: VAR_BLOCKS, scales: ["fp16", "bf16", "f32"], stochastic: true, tensorHeaderBytes: 0, description: "symmetric int4, scale amax/7" },
  { name: "mxfp8-e4m3", id: 16, elementBits: 8, blocks: [32], scales: ["e8m0"], stochastic: true, tensorHeaderBytes: 0, description: "OCP MX v1.0 MXFP8 E4M3" },
  { name: "mxfp8-e5m2", id: 17, elementBits: 8, blocks: [32], scales: ["e8m0"], stochastic: true, tensorHeaderBytes: 0, description: "OCP MX v1.0 MXFP8 E5M2" },
  { name: "mxfp6-e2m3", id: 18, elementBits: 6, blocks: [32], scales: ["e8m0"], stochastic: true, tensorHeaderBytes: 0, description: "OCP MX v1.0 MXFP6 E2M3" },
  { name: "mxfp6-e3m2", id: 19, elementBits: 6, blocks: [32], scales: ["e8m0"], stochastic: true, tensorHeaderBytes: 0, description: "OCP MX v1.0 MXFP6 E3M2" },
  { name: "mxfp4", id: 20, elementBits: 4, blocks: [32], scales: ["e8m0"], stochastic: true, tensorHeaderBytes: 0, description: "OCP MX v1.0 MXFP4 (E2M1)" },
  { name: "mxint8", id: 21, elementBits: 8, blocks: [32], scales: ["e8m0"], stochastic: true, tensorHeaderBytes: 0, description: "OCP MX v1.0 MXINT8" },
  { name: "fp5-e2m2", id: 24, elementBits: 5, blocks: VAR_BLOCKS, scales: ["e8m0", "fp16"], stochastic: true, tensorHeaderBytes: 0, description: "FP5 E2M2 elements, block scale" },
  { name: "fp5-e3m1", id: 25, elementBits: 5, blocks: VAR_BLOCKS, scales: ["e8m0", "fp16"], stochastic: true, tensorHeaderBytes: 0, description: "FP5 E3M1 elements, block scale" },
  { name: "fp4-e2m1", id: 26, elementBits: 4, blocks: VAR_BLOCKS, scales: ["e8m0", "fp16"], stochastic: true, tensorHeaderBytes: 0, description: "FP4 E2M1 elements, block scale" },
  { name: "nvfp4", id: 32, elementBits: 4, blocks: [16], scales: ["ue4m3"], stochastic: true, tensorHeaderBytes: 4, description: "NVFP4: E2M1, block 16, UE4M3 scale, f32 tensor scale" },
];

const BY_NAME = new Map<string, FormatInfo>(FORMATS.map((f) => [f.name, f]));
const BY_ID = new Map<number, FormatInfo>(FORMATS.map((f) => [f.id, f]));

export function formatByName(name: string): FormatInfo {
  const f = BY_NAME.get(name);
  if (!f) throw new RangeError(`unknown format "${name}"; known: ${FORMATS.map((x) => x.name).join(", ")}`);
  return f;
}

export function formatById(id: number): FormatInfo | undefined {
  return BY_ID.get(id);
}

/** A fully specified codec: format + block size + scale kind + rounding. */
export interface CodecSpec {
  readonly format: FormatName;
  /** Block size (0 for the casts). */
  readonly block: number;
  readonly scale: ScaleKind;
  readonly rounding: Rounding;
}

export interface CodecOptions {
  block?: number;
  scale?: ScaleKind;
  rounding?: Rounding;
}

/** Fill defaults and validate; throws RangeError with the allowed values on a bad combination. */
export function resolveCodec(format: FormatName | string, opts: CodecOptions = {}): CodecSpec {
  const f = formatByName(format);
  const block = opts.block ?? (f.blocks[0] ?? 0);
  if (f.blocks.length === 0 ? block !== 0 : !f.blocks.includes(block)) {
    throw new RangeError(`format ${f.name}: block ${block} not allowed (allowed: ${f.blocks.length ? [...f.blocks].sort((a, b) => a - b).join(", ") : "none"})`);
  }
  const scale = opts.scale ?? f.scales[0]!;
  if (!f.scales.includes(scale)) {
    throw new RangeError(`format ${f.name}: scale "${scale}" not allowed (allowed: ${f.scales.join(", ")})`);
  }
  const rounding = opts.rounding ?? "rne";
  if (rounding !== "rne" && rounding !== "stochastic") throw new RangeError(`unknown rounding "${String(rounding)}"`);
  if (rounding === "stochastic" && !f.stochastic) {
    throw new RangeError(`format ${f.name} does not support stochastic rounding`);
  }
  return { format: f.name, block, scale, rounding };
}

/** The u32 descriptor passed to every wasm export (FORMATS.md section 1). */
export function descriptorOf(spec: CodecSpec): number {
  const f = formatByName(spec.format);
  return (f.id | (spec.block << 8) | (SCALE_IDS[spec.scale] << 16) | ((spec.rounding === "stochastic" ? 1 : 0) << 20)) >>> 0;
}

/** Packed bytes of one block (casts: one element). */
export function blockBytes(spec: CodecSpec): number {
  const f = formatByName(spec.format);
  if (spec.block === 0) return f.elementBits / 8;
  return SCALE_BYTES[spec.scale] + (spec.block * f.elementBits) / 8;
}

/** Packed bytes for n elements. */
export function bytesFor(spec: CodecSpec, n: number): number {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`element count must be a non-negative integer, got ${n}`);
  const f = formatByName(spec.format);
  if (spec.block === 0) return n * blockBytes(spec);
  return f.tensorHeaderBytes + Math.ceil(n / spec.block) * blockBytes(spec);
}

/** Bits per value for n elements (asymptotic when n is omitted: tensor headers excluded). */
export function bitsPerValue(spec: CodecSpec, n?: number): number {
  if (n === undefined) {
    return spec.block === 0 ? formatByName(spec.format).elementBits : (blockBytes(spec) * 8) / spec.block;
  }
  return n === 0 ? 0 : (bytesFor(spec, n) * 8) / n;
}

/** A listing of every format at its defaults, with bits/value: for `listFormats()` users and CLIs. */
export function listFormats(): Array<FormatInfo & { bitsPerValue: number; defaultBlock: number; defaultScale: ScaleKind }> {
  return FORMATS.map((f) => {
    const spec = resolveCodec(f.name);
    return { ...f, bitsPerValue: bitsPerValue(spec), defaultBlock: spec.block, defaultScale: spec.scale };
  });
}

/** The largest block size of any format: chunk boundaries at multiples of it suit every codec. */
export const MAX_BLOCK: number = Math.max(...FORMATS.flatMap((f) => f.blocks));

/** (block, bytes per block, tensor header bytes) of every valid format × block × scale. */
const SHAPES: ReadonlyArray<readonly [number, number, number]> = FORMATS.flatMap((f) =>
  (f.blocks.length ? f.blocks : [0]).flatMap((block) => f.scales.map((scale) => {
    const spec: CodecSpec = { format: f.name, block, scale, rounding: "rne" };
    return [Math.max(block, 1), blockBytes(spec), f.tensorHeaderBytes] as const;
  })));

/**
 * An upper bound of the packed bytes of n values cut into at most `tensors` independently packed
 * tensors (each with its own partial last block and per-tensor header), over every codec, the f32
 * passthrough (4 bytes per value, the widest) included. For hosts that size buffers once for any codec.
 */
export function maxPackedBytes(n: number, tensors = 1): number {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`element count must be a non-negative integer, got ${n}`);
  if (!Number.isInteger(tensors) || tensors < 1) throw new RangeError(`tensors must be a positive integer, got ${tensors}`);
  let max = 0;
  for (const [B, bb, header] of SHAPES) max = Math.max(max, (Math.ceil(n / B) + tensors - 1) * bb + tensors * header);
  return max;
}
