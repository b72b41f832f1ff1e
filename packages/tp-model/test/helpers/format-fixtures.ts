// Test fixtures of the format tests: where the real checkpoints are, and in-memory llama2.c files
// built from a config with deterministic weights (value of element i of tensor t = a simple formula,
// so the tests can check any sub-matrix without storing the weights).
import { existsSync } from "node:fs";
import { join } from "node:path";
import { it } from "vitest";

/** Directory holding `stories260K/…`, from TENSORWIRE_MODELS; null when unset (tests skip, CI fails). */
export function modelsDir(): string | null {
  const d = process.env.TENSORWIRE_MODELS;
  if (d && existsSync(join(d, "stories260K"))) return d;
  if (process.env.CI === "true") {
    throw new Error("CI=true but TENSORWIRE_MODELS does not point at a directory holding stories260K/");
  }
  return null;
}

/** Path of a stories260K file, or null when the models are not available. */
export function stories260K(file: "stories260K.bin" | "tok512.bin" | "stories260K.gguf"): string | null {
  const d = modelsDir();
  return d === null ? null : join(d, "stories260K", file);
}

/** `it` that skips when the real models are missing (and fails under CI=true, via modelsDir()). */
export const itWithModels: typeof it = (modelsDir() === null ? it.skip : it) as typeof it;

/** Deterministic f32 value of element `i` of the tensor with index `t` (exactly representable). */
export function fixtureValue(t: number, i: number): number {
  return Math.fround(((((t * 7919 + i * 104729) % 2001) - 1000) / 1024));
}

export interface Llama2cShape {
  dim: number; hiddenDim: number; nLayers: number; nHeads: number; nKvHeads: number; vocabSize: number; seqLen: number;
  shared: boolean;
}

/**
 * Bytes of a llama2.c checkpoint (version 0 or 1) with fixture weights, laid out as llama2.c
 * export.py writes it, plus the list of canonical tensors in file order (for checking the reader).
 */
export function buildLlama2c(version: 0 | 1, s: Llama2cShape): { bytes: Uint8Array; tensors: { name: string; shape: number[]; values: Float32Array }[] } {
  const hs = s.dim / s.nHeads;
  const kv = s.nKvHeads * hs;
  const L = s.nLayers;
  const t = (name: string, shape: number[]) => ({ name, shape });
  const layers = (n: string, shape: number[]) => Array.from({ length: L }, (_, l) => t(`blk.${l}.${n}`, shape));
  const q = layers("attn_q", [s.dim, s.dim]), k = layers("attn_k", [kv, s.dim]), v = layers("attn_v", [kv, s.dim]);
  const o = layers("attn_output", [s.dim, s.dim]);
  const g = layers("ffn_gate", [s.hiddenDim, s.dim]), d = layers("ffn_down", [s.dim, s.hiddenDim]), u = layers("ffn_up", [s.hiddenDim, s.dim]);
  const an = layers("attn_norm", [s.dim]), fn = layers("ffn_norm", [s.dim]);
  const emb = t("token_embd", [s.vocabSize, s.dim]), fin = t("output_norm", [s.dim]);
  const out = s.shared ? [] : [t("output", [s.vocabSize, s.dim])];
  const freq = t("(freq_cis)", [2, s.seqLen * (hs / 2)]);
  const order = version === 0
    ? [emb, ...an, ...q, ...k, ...v, ...o, ...fn, ...g, ...d, ...u, fin, freq, ...out]
    : [...an, ...fn, fin, emb, ...q, ...k, ...v, ...o, ...g, ...d, ...u, ...out];
  const header = version === 0 ? 28 : 256;
  const tensors = order.map((x, ti) => {
    const n = x.shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(n);
    for (let i = 0; i < n; i++) values[i] = fixtureValue(ti, i);
    return { ...x, values };
  });
  const total = header + tensors.reduce((a, x) => a + 4 * x.values.length, 0);
  const bytes = new Uint8Array(total);
  const dv = new DataView(bytes.buffer);
  const ints = [s.dim, s.hiddenDim, s.nLayers, s.nHeads, s.nKvHeads, version === 0 && !s.shared ? -s.vocabSize : s.vocabSize, s.seqLen];
  if (version === 0) {
    ints.forEach((x, i) => dv.setInt32(4 * i, x, true));
  } else {
    dv.setUint32(0, 0x616b3432, true);
    dv.setInt32(4, 1, true);
    ints.forEach((x, i) => dv.setInt32(8 + 4 * i, x, true));
    dv.setUint8(36, s.shared ? 1 : 0);
  }
  let off = header;
  for (const x of tensors) {
    for (let i = 0; i < x.values.length; i++) dv.setFloat32(off + 4 * i, x.values[i]!, true);
    off += 4 * x.values.length;
  }
  return { bytes, tensors: tensors.filter((x) => x.name !== "(freq_cis)") };
}

/**
 * Bytes of a llama2.c version-2 checkpoint (runq.c layout) with fixture int8 values and scales:
 * q of element i of quantized tensor t = ((t*31 + i*17) % 255) - 127, scale of group j = (t + 1 + j) / 256.
 */
export function buildLlama2cQ8(s: Llama2cShape, groupSize: number): { bytes: Uint8Array; quantized: { name: string; shape: number[]; values: Float32Array }[] } {
  const hs = s.dim / s.nHeads;
  const kv = s.nKvHeads * hs;
  const L = s.nLayers;
  const layers = (n: string, shape: number[]) => Array.from({ length: L }, (_, l) => ({ name: `blk.${l}.${n}`, shape }));
  const norms = [...layers("attn_norm", [s.dim]), ...layers("ffn_norm", [s.dim]), { name: "output_norm", shape: [s.dim] }];
  const qs = [
    { name: "token_embd", shape: [s.vocabSize, s.dim] },
    ...layers("attn_q", [s.dim, s.dim]), ...layers("attn_k", [kv, s.dim]), ...layers("attn_v", [kv, s.dim]),
    ...layers("attn_output", [s.dim, s.dim]), ...layers("ffn_gate", [s.hiddenDim, s.dim]),
    ...layers("ffn_down", [s.dim, s.hiddenDim]), ...layers("ffn_up", [s.hiddenDim, s.dim]),
    ...(s.shared ? [] : [{ name: "output", shape: [s.vocabSize, s.dim] }]),
  ];
  const numel = (x: { shape: number[] }) => x.shape.reduce((a, b) => a * b, 1);
  const total = 256 + 4 * norms.reduce((a, x) => a + numel(x), 0) + qs.reduce((a, x) => a + numel(x) * (1 + 4 / groupSize), 0);
  const bytes = new Uint8Array(total);
  const dv = new DataView(bytes.buffer);
  dv.setUint32(0, 0x616b3432, true);
  dv.setInt32(4, 2, true);
  [s.dim, s.hiddenDim, s.nLayers, s.nHeads, s.nKvHeads, s.vocabSize, s.seqLen].forEach((x, i) => dv.setInt32(8 + 4 * i, x, true));
  dv.setUint8(36, s.shared ? 1 : 0);
  dv.setInt32(37, groupSize, true);
  let off = 256;
  norms.forEach((x, ti) => {
    for (let i = 0; i < numel(x); i++) dv.setFloat32(off + 4 * i, fixtureValue(ti, i), true);
    off += 4 * numel(x);
  });
  const quantized = qs.map((x, t) => {
    const n = numel(x);
    const values = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const q = ((t * 31 + i * 17) % 255) - 127;
      dv.setInt8(off + i, q);
      values[i] = Math.fround(q * Math.fround((t + 1 + Math.floor(i / groupSize)) / 256));
    }
    off += n;
    for (let j = 0; j < n / groupSize; j++) dv.setFloat32(off + 4 * j, (t + 1 + j) / 256, true);
    off += 4 * (n / groupSize);
    return { ...x, values };
  });
  return { bytes, quantized };
}
