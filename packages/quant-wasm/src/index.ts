// @tensorwire/quant-wasm public API (explicit named exports; the scalar reference is the
// "./reference" subpath, the seeded test-data helpers the "./testing" subpath and the raw module the
// "./quant.wasm" subpath).
export {
  FORMATS, SCALE_IDS, SCALE_BYTES, formatByName, formatById, resolveCodec, descriptorOf, blockBytes,
  bytesFor, bitsPerValue, listFormats, maxPackedBytes, MAX_BLOCK,
} from "./formats.js";
export type { FormatName, ScaleKind, Rounding, FormatInfo, CodecSpec, CodecOptions } from "./formats.js";
export {
  ABI_VERSION, MAX_PAGES, createSharedMemory, bundledModule, bundledWasmBytes, compileQuantModule,
  instantiateQuantKernels, loadQuantKernels, kernelError, KernelError,
} from "./kernels.js";
export type { QuantExports, QuantKernels, LoadOptions } from "./kernels.js";
export { defineWasmModule } from "./loader.js";
export type { WasmSource, WasmModuleDef, WasmLoader } from "./loader.js";
export { KernelHandle, createKernelHandle } from "./handle.js";
export { createCodec } from "./codec.js";
export type { Codec, CreateCodecOptions, EncodeOptions, EncodeResult } from "./codec.js";
export { WasmArena, createArena, defaultArena, isInMemory } from "./arena.js";
export type { ArenaOptions } from "./arena.js";
export { errorMetrics } from "./metrics.js";
export type { ErrorMetrics } from "./metrics.js";
export {
  encodeFrame, decodeFrame, frameBytes, crc32, FrameError, FRAME_MAGIC, FRAME_VERSION, FRAME_HEADER_BYTES,
} from "./frame.js";
export type { DecodedFrame } from "./frame.js";
