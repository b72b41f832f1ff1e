// The built-in default model: a deterministic synthetic Llama generated in memory (seeded random
// weights, written as GGUF by tp-model's synthetic writer) for when no real model is downloaded.
// Its text is meaningless, but its shapes, timings and compression effects are real.
import { memorySink, writeSyntheticModel } from "@tensorwire/tp-model";

/** Shape of the built-in model (about 6.6 M parameters, 26 MiB as f32). */
export const BUILTIN_SYNTHETIC = {
  dim: 288, hiddenDim: 768, nLayers: 6, nHeads: 6, nKvHeads: 6, vocabSize: 512, seqLen: 512, seed: 1, type: "f32",
} as const;

export const BUILTIN_NAME = "builtin-synthetic (288-dim, 6 layers, seeded random weights)";

let cached: Uint8Array | undefined;

/** The built-in model's GGUF bytes, on a SharedArrayBuffer so every rank reads them without a copy. */
export async function builtinModelBytes(): Promise<Uint8Array> {
  if (cached) return cached;
  const sink = memorySink();
  await writeSyntheticModel(sink, BUILTIN_SYNTHETIC);
  const b = sink.bytes();
  const shared = new Uint8Array(new SharedArrayBuffer(b.length));
  shared.set(b);
  cached = shared;
  return shared;
}
