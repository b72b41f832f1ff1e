// Loading and instantiating quant.wasm (FORMATS.md section 6). No Node-only imports: the default
// source is the module embedded in wasm-inline.ts, so this runs unchanged in browsers, Bun and Deno.
import { QUANT_WASM_BASE64 } from "./wasm-inline.js";

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

/** Where to take the wasm from: bytes, a compiled module, a URL (fetched) or a fetch Response. */
export type WasmSource = BufferSource | WebAssembly.Module | URL | string | Response | PromiseLike<Response>;

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

/** A negative return code of a quant.wasm export, as an Error (`code` is the raw return value). */
export class KernelError extends RangeError {
  override readonly name = "KernelError";
  constructor(readonly code: number, readonly operation: string) {
    super(`quant.wasm ${operation} failed: ${ERRORS[code] ?? "unknown error"} (code ${code})`);
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

function decodeBase64(b64: string): Uint8Array<ArrayBuffer> {
  if (typeof atob === "function") {
    const s = atob(b64);
    const out = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out;
  }
  throw new Error("no base64 decoder (atob) in this runtime; pass the wasm bytes to loadQuantKernels");
}

let defaultModule: Promise<WebAssembly.Module> | undefined;

/** The bundled module, compiled once per realm (memoized; a failed compile is not cached). */
export function bundledModule(): Promise<WebAssembly.Module> {
  if (!defaultModule) {
    const bytes = decodeBase64(QUANT_WASM_BASE64);
    defaultModule = WebAssembly.compile(bytes).catch((e: unknown) => {
      defaultModule = undefined;
      throw new Error(`failed to compile the bundled quant.wasm: ${(e as Error).message}`);
    });
  }
  return defaultModule;
}

/** The bundled quant.wasm bytes (a copy). */
export function bundledWasmBytes(): Uint8Array<ArrayBuffer> {
  return decodeBase64(QUANT_WASM_BASE64);
}

/** Compile quant.wasm from any source; `undefined` means the bundled module. */
export async function compileQuantModule(source?: WasmSource): Promise<WebAssembly.Module> {
  if (source === undefined) return bundledModule();
  if (source instanceof WebAssembly.Module) return source;
  try {
    if (typeof source === "string" || source instanceof URL) {
      const url = source instanceof URL ? source : tryParseUrl(source);
      if (url?.protocol === "file:") return await WebAssembly.compile(await readFileUrl(url));
      const res = await fetch(source);
      if (!res.ok) throw new Error(`HTTP ${res.status} for ${String(source)}`);
      return await WebAssembly.compile(await res.arrayBuffer());
    }
    if (ArrayBuffer.isView(source) || source instanceof ArrayBuffer ||
        (typeof SharedArrayBuffer !== "undefined" && (source as unknown) instanceof SharedArrayBuffer)) {
      return await WebAssembly.compile(source as BufferSource);
    }
    const res = await (source as PromiseLike<Response>);
    if (!res || typeof (res as Response).arrayBuffer !== "function") throw new TypeError("unsupported wasm source");
    return await WebAssembly.compile(await res.arrayBuffer());
  } catch (e) {
    throw new Error(`failed to load quant.wasm: ${(e as Error).message}`);
  }
}

function tryParseUrl(s: string): URL | undefined {
  try {
    return new URL(s);
  } catch {
    return undefined; // a relative URL: let fetch resolve it against the page
  }
}

/** file: URLs (fetch cannot read them in Node): read through node:fs, which Node, Bun and Deno provide. */
async function readFileUrl(url: URL): Promise<Uint8Array<ArrayBuffer>> {
  const spec = "node:fs/promises";
  let fs: { readFile(u: URL): Promise<Uint8Array> };
  try {
    fs = (await import(/* @vite-ignore */ spec)) as typeof fs;
  } catch {
    throw new Error(`cannot read ${url.href}: this runtime has no node:fs; pass the bytes or an http(s) URL`);
  }
  const b = await fs.readFile(url);
  return new Uint8Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);
}

const REQUIRED_EXPORTS: readonly (keyof QuantExports)[] = [
  "tw_abi_version", "tw_heap_base", "tw_bytes_for", "tw_quantize", "tw_dequantize",
  "tw_dequantize_accumulate", "tw_reduce_quantize", "tw_quantize_dequantize", "tw_dequantize_sum",
];

const instances = new WeakMap<WebAssembly.Memory, Map<WebAssembly.Module, QuantKernels>>();

/**
 * Instantiate a compiled module on a shared memory, synchronously (for workers that receive the
 * module and memory by message). Idempotent: the same (module, memory) pair gives the same object.
 */
export function instantiateQuantKernels(module: WebAssembly.Module, memory: WebAssembly.Memory): QuantKernels {
  if (!(memory instanceof WebAssembly.Memory)) throw new TypeError("memory must be a WebAssembly.Memory");
  if (typeof SharedArrayBuffer === "undefined" || !(memory.buffer instanceof SharedArrayBuffer)) {
    throw new TypeError("memory must be shared (new WebAssembly.Memory({ initial, maximum, shared: true }))");
  }
  let perMem = instances.get(memory);
  const hit = perMem?.get(module);
  if (hit) return hit;
  let instance: WebAssembly.Instance;
  try {
    instance = new WebAssembly.Instance(module, { env: { memory, abort: wasmAbort } });
  } catch (e) {
    throw new Error(`failed to instantiate quant.wasm: ${(e as Error).message}`);
  }
  const exports = instance.exports as unknown as QuantExports;
  const version = typeof exports.tw_abi_version === "function" ? exports.tw_abi_version() : undefined;
  if (version !== ABI_VERSION) {
    throw new Error(`quant.wasm ABI version ${String(version)} does not match this package (${ABI_VERSION}); ` +
      "is this the quant.wasm shipped with this version of @tensorwire/quant-wasm?");
  }
  const missing = REQUIRED_EXPORTS.filter((name) => typeof exports[name] !== "function");
  if (missing.length) throw new Error(`quant.wasm lacks the exports ${missing.join(", ")} (ABI mismatch)`);
  const k: QuantKernels = { memory, module, exports, heapBase: exports.tw_heap_base() };
  if (!perMem) instances.set(memory, (perMem = new Map()));
  perMem.set(module, k);
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

function wasmAbort(): never {
  throw new Error("quant.wasm aborted");
}
