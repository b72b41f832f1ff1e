// @tensorwire/quant-wasm public API.
export * from "./formats.js";
export {
  ABI_VERSION, MAX_PAGES, createSharedMemory, bundledModule, bundledWasmBytes, compileQuantModule,
  instantiateQuantKernels, loadQuantKernels, kernelError,
} from "./kernels.js";
export type { QuantExports, QuantKernels, WasmSource, LoadOptions } from "./kernels.js";
