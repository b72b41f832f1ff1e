// Loading and instantiating quant.wasm (FORMATS.md section 6). No Node-only imports: the default
// source is the module embedded in wasm-inline.ts, so this runs unchanged in browsers, Bun and Deno.
import { type WasmSource, defineWasmModule } from "./loader.js";
import { QUANT_WASM_BASE64 } from "./wasm-inline.js";

export type { WasmSource };

/** The raw exports of quant.wasm. Pointers are byte offsets into the shared memory. */
export interface QuantExports {
  tw_abi_version(): number;
  tw_heap_base(): number;
  tw_bytes_for(desc: number, n: number): number;
  tw_quantize(desc: number, src: number, n: number, dst: number, seed: number): number;
  tw_dequantize(desc: number, src: number, n: number, dst: number): number;
  tw_dequantize_accumulate(desc: number, src: number, n: number, dst: number): number;
  tw_quantize_dequantize(desc: number, src: number, n: number, dst: number, out: number, seed: number): number;
  tw_dequantize_sum(desc: number, srcs: number, k: number, n: number, dst: number): number;
  tw_reduce_quantize(desc: number, srcs: number, k: number, n: number, dst: number, scratch: number, seed: number): number;
  tw_element_bits(desc: number): number;
  tw_block_bytes(desc: number): number;
}

/** The ABI version this package speaks; quant.wasm's tw_abi_version() must equal it. */
export const ABI_VERSION = 2;
/** Maximum pages of a memory the module may import (4 GiB). */
export const MAX_PAGES = 65536;

export interface LoadOptions {
  /** A shared memory to run on (created when omitted). It must be shared and declare a maximum. */
  memory?: WebAssembly.Memory;
  /** Initial pages of the memory created when `memory` is omitted (default 17 = 1.06 MiB). */
  initialPages?: number;
  /** Maximum pages of the memory created when `memory` is omitted (default 65536). */
  maximumPages?: number;
}

/** One instance of the codec kernels bound to one shared memory. */
export interface QuantKernels {
  readonly memory: WebAssembly.Memory;
  readonly module: WebAssembly.Module;
  readonly exports: QuantExports;
  /** First byte the host may use; everything below belongs to the module. */
  readonly heapBase: number;
}

const ERRORS: Record<number, string> = {
  [-1]: "unknown format id",
  [-2]: "block size not allowed for this format",
  [-3]: "scale kind not allowed for this format",
  [-4]: "rounding mode not allowed for this format (or reserved descriptor bits set)",
  [-5]: "bad argument (k = 0 or a misaligned f32 pointer)",
};

/**
 * A failed kernel call, as an Error: a negative return code of a quant.wasm export (`code` is the
 * raw return value), or an argument the host-side checks of KernelHandle refused before the call
 * (code −5, "bad argument", with `detail` saying which argument and why).
 */
export class KernelError extends RangeError {
  override readonly name = "KernelError";
  constructor(readonly code: number, readonly operation: string, readonly detail?: string) {
    super(detail === undefined
      ? `quant.wasm ${operation} failed: ${ERRORS[code] ?? "unknown error"} (code ${code})`
      : `quant.wasm ${operation}: ${detail}`);
  }
}

/** Turn a negative kernel return code into an Error. */
export function kernelError(code: number, what: string): KernelError {
  return new KernelError(code, what);
}

/** Create a shared memory suitable for the module. */
export function createSharedMemory(initialPages = 17, maximumPages = MAX_PAGES): WebAssembly.Memory {
  if (!(maximumPages >= 1 && maximumPages <= MAX_PAGES)) throw new RangeError(`maximumPages must be 1..${MAX_PAGES}`);
  return new WebAssembly.Memory({ initial: initialPages, maximum: maximumPages, shared: true });
}

const loader = defineWasmModule<QuantExports>({
  name: "quant.wasm",
  abiVersion: ABI_VERSION,
  abiExport: "tw_abi_version",
  requiredExports: [
    "tw_abi_version", "tw_heap_base", "tw_bytes_for", "tw_quantize", "tw_dequantize",
    "tw_dequantize_accumulate", "tw_reduce_quantize", "tw_quantize_dequantize", "tw_dequantize_sum",
    "tw_element_bits", "tw_block_bytes",
  ],
  bundledBase64: () => QUANT_WASM_BASE64,
});

/** The bundled module, compiled once per realm (memoized; a failed compile is not cached). */
export function bundledModule(): Promise<WebAssembly.Module> {
  return loader.bundled();
}

/** The bundled quant.wasm bytes (a copy). */
export function bundledWasmBytes(): Uint8Array<ArrayBuffer> {
  return loader.bundledBytes();
}

/** Compile quant.wasm from any source; `undefined` means the bundled module. */
export function compileQuantModule(source?: WasmSource): Promise<WebAssembly.Module> {
  return loader.compile(source);
}

const instances = new WeakMap<QuantExports, QuantKernels>();

/**
 * Instantiate a compiled module on a shared memory, synchronously (for workers that receive the
 * module and memory by message). Idempotent: the same (module, memory) pair gives the same object.
 */
export function instantiateQuantKernels(module: WebAssembly.Module, memory: WebAssembly.Memory): QuantKernels {
  if (!(memory instanceof WebAssembly.Memory)) throw new TypeError("memory must be a WebAssembly.Memory");
  if (typeof SharedArrayBuffer === "undefined" || !(memory.buffer instanceof SharedArrayBuffer)) {
    throw new TypeError("memory must be shared (new WebAssembly.Memory({ initial, maximum, shared: true }))");
  }
  const exports = loader.instantiate(module, memory);
  let k = instances.get(exports);
  if (!k) instances.set(exports, (k = { memory, module, exports, heapBase: exports.tw_heap_base() }));
  return k;
}

/**
 * Load the codec kernels. `source` may be omitted (bundled module), bytes, a WebAssembly.Module,
 * a URL or a Response. Runs on `options.memory` when given (it must be shared), else on a new one.
 */
export async function loadQuantKernels(source?: WasmSource, options: LoadOptions = {}): Promise<QuantKernels> {
  const module = await compileQuantModule(source);
  const memory = options.memory ?? createSharedMemory(options.initialPages ?? 17, options.maximumPages ?? MAX_PAGES);
  return instantiateQuantKernels(module, memory);
}

