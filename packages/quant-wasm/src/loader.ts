// One generic loader for tensorwire's WebAssembly modules (quant.wasm here; tp-model's model.wasm
// reuses it): compile from any source, memoize the bundled module, instantiate on a host-owned
// memory, and check the module's ABI version and exports. No Node-only imports: file: URLs are read
// through node:fs only when given one, so this runs unchanged in browsers, Bun and Deno.

/** Where to take a wasm module from: bytes, a compiled module, a URL (fetched) or a fetch Response. */
export type WasmSource = BufferSource | WebAssembly.Module | URL | string | Response | PromiseLike<Response>;

/** What a package says about its module once; the loader does the rest. */
export interface WasmModuleDef {
  /** file name used in messages, e.g. "quant.wasm" */
  readonly name: string;
  /** the ABI version the host code speaks; the module's `abiExport()` must return it */
  readonly abiVersion: number;
  /** the export returning the module's ABI version, e.g. "tw_abi_version" */
  readonly abiExport: string;
  /** exports that must be functions */
  readonly requiredExports: readonly string[];
  /** the bundled module's bytes as base64 (generated at build time) */
  readonly bundledBase64: () => string;
}

/** A loader bound to one module definition. */
export interface WasmLoader<E> {
  readonly def: WasmModuleDef;
  /** The bundled module, compiled once per realm (memoized; a failed compile is not cached). */
  bundled(): Promise<WebAssembly.Module>;
  /** The bundled bytes (a copy). */
  bundledBytes(): Uint8Array<ArrayBuffer>;
  /** Compile from any source; `undefined` means the bundled module. */
  compile(source?: WasmSource): Promise<WebAssembly.Module>;
  /**
   * Instantiate synchronously on `memory` (imported as env.memory), check the ABI version and the
   * required exports. Memoized per (module, memory) pair: the same pair gives the same exports object.
   */
  instantiate(module: WebAssembly.Module, memory: WebAssembly.Memory): E;
}

function decodeBase64(b64: string, name: string): Uint8Array<ArrayBuffer> {
  if (typeof atob !== "function") throw new Error(`no base64 decoder (atob) in this runtime; pass the ${name} bytes explicitly`);
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
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

async function compileFrom(source: WasmSource): Promise<WebAssembly.Module> {
  if (typeof source === "string" || source instanceof URL) {
    const url = source instanceof URL ? source : tryParseUrl(source);
    if (url?.protocol === "file:") return WebAssembly.compile(await readFileUrl(url));
    const res = await fetch(source);
    if (!res.ok) throw new Error(`HTTP ${res.status} for ${String(source)}`);
    return WebAssembly.compile(await res.arrayBuffer());
  }
  if (ArrayBuffer.isView(source) || source instanceof ArrayBuffer ||
      (typeof SharedArrayBuffer !== "undefined" && (source as unknown) instanceof SharedArrayBuffer)) {
    return WebAssembly.compile(source as BufferSource);
  }
  const res = await (source as PromiseLike<Response>);
  if (!res || typeof (res as Response).arrayBuffer !== "function") throw new TypeError("unsupported wasm source");
  return WebAssembly.compile(await res.arrayBuffer());
}

/** Create the loader of one module. Call once per module, at module scope. */
export function defineWasmModule<E>(def: WasmModuleDef): WasmLoader<E> {
  let bundledPromise: Promise<WebAssembly.Module> | undefined;
  const instances = new WeakMap<WebAssembly.Memory, Map<WebAssembly.Module, E>>();
  const abort = (): never => {
    throw new Error(`${def.name} aborted`);
  };
  const loader: WasmLoader<E> = {
    def,
    bundledBytes: () => decodeBase64(def.bundledBase64(), def.name),
    bundled() {
      if (!bundledPromise) {
        let bytes: Uint8Array<ArrayBuffer>;
        try {
          bytes = loader.bundledBytes();
        } catch (e) {
          return Promise.reject(e);
        }
        bundledPromise = WebAssembly.compile(bytes).catch((e: unknown) => {
          bundledPromise = undefined;
          throw new Error(`failed to compile the bundled ${def.name}: ${(e as Error).message}`);
        });
      }
      return bundledPromise;
    },
    async compile(source) {
      if (source === undefined) return loader.bundled();
      if (source instanceof WebAssembly.Module) return source;
      try {
        return await compileFrom(source);
      } catch (e) {
        throw new Error(`failed to load ${def.name}: ${(e as Error).message}`);
      }
    },
    instantiate(module, memory) {
      if (!(module instanceof WebAssembly.Module)) throw new TypeError(`${def.name}: module must be a WebAssembly.Module`);
      if (!(memory instanceof WebAssembly.Memory)) throw new TypeError(`${def.name}: memory must be a WebAssembly.Memory`);
      let perMem = instances.get(memory);
      const hit = perMem?.get(module);
      if (hit) return hit;
      let instance: WebAssembly.Instance;
      try {
        instance = new WebAssembly.Instance(module, { env: { memory, abort } });
      } catch (e) {
        throw new Error(`failed to instantiate ${def.name}: ${(e as Error).message}`);
      }
      const ex = instance.exports as Record<string, unknown>;
      const versionFn = ex[def.abiExport];
      const version = typeof versionFn === "function" ? (versionFn as () => number)() : undefined;
      if (version !== def.abiVersion) {
        throw new Error(`${def.name} ABI version ${String(version)} does not match this package (${def.abiVersion}); ` +
          `is this the ${def.name} shipped with this version of the package?`);
      }
      const missing = def.requiredExports.filter((n) => typeof ex[n] !== "function");
      if (missing.length) throw new Error(`${def.name} lacks the exports ${missing.join(", ")} (ABI mismatch)`);
      const exports = ex as unknown as E;
      if (!perMem) instances.set(memory, (perMem = new Map()));
      perMem.set(module, exports);
      return exports;
    },
  };
  return loader;
}
