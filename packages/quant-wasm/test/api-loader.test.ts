// Loading quant.wasm from every kind of source, idempotent instantiation, and the loader's errors.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  loadQuantKernels, instantiateQuantKernels, compileQuantModule, bundledModule, bundledWasmBytes,
  createSharedMemory, createCodec, ABI_VERSION, type QuantKernels, type WasmSource,
} from "../src/index.js";

const wasmPath = fileURLToPath(new URL("../dist/quant.wasm", import.meta.url));
const wasmBytes = readFileSync(wasmPath);

let server: Server;
let base: string;
beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === "/quant.wasm") {
      res.writeHead(200, { "content-type": "application/wasm" });
      res.end(wasmBytes);
    } else {
      res.writeHead(404);
      res.end("not found");
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** A loaded instance answers the ABI queries the way FORMATS.md section 6 says. */
function checkInstance(k: QuantKernels): void {
  expect(k.exports.tw_abi_version()).toBe(ABI_VERSION);
  expect(k.heapBase).toBe(k.exports.tw_heap_base());
  expect(k.heapBase % 16).toBe(0);
  expect(k.memory.buffer).toBeInstanceOf(SharedArrayBuffer);
  const q8 = 8 | (32 << 8) | (1 << 16);
  expect(k.exports.tw_bytes_for(q8, 100)).toBe(136);
  expect(k.exports.tw_bytes_for(0xff, 100)).toBe(-1);
}

/** A minimal module importing a shared env.memory and exporting one i32 function per entry. */
function tinyModule(exportsI32: Record<string, number>, sharedMemory = true): Uint8Array {
  const names = Object.keys(exportsI32);
  const bytes: number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  const section = (id: number, content: number[]) => bytes.push(id, content.length, ...content);
  const str = (s: string) => [s.length, ...Array.from(s, (c) => c.charCodeAt(0))];
  section(1, [1, 0x60, 0, 1, 0x7f]); // one type: () -> i32
  // memory limits: flags 3 = shared with a maximum (1..65536 pages), flags 1 = plain with a maximum
  section(2, [1, ...str("env"), ...str("memory"), 0x02, sharedMemory ? 0x03 : 0x01, 0x01, 0x80, 0x80, 0x04]);
  section(3, [names.length, ...names.map(() => 0)]);
  section(7, [names.length, ...names.flatMap((n, i) => [...str(n), 0x00, i])]);
  section(10, [names.length, ...names.flatMap((n) => [4, 0, 0x41, exportsI32[n]! & 0x3f, 0x0b])]);
  return new Uint8Array(bytes);
}

describe("sources", () => {
  const sources: Array<[string, () => WasmSource | undefined]> = [
    ["bundled (no source)", () => undefined],
    ["Uint8Array", () => new Uint8Array(wasmBytes)],
    ["ArrayBuffer", () => wasmBytes.buffer.slice(wasmBytes.byteOffset, wasmBytes.byteOffset + wasmBytes.byteLength)],
    ["WebAssembly.Module", () => new WebAssembly.Module(wasmBytes)],
    ["http URL object", () => new URL(`${base}/quant.wasm`)],
    ["http URL string", () => `${base}/quant.wasm`],
    ["file URL", () => pathToFileURL(wasmPath)],
    ["file URL string", () => pathToFileURL(wasmPath).href],
    ["data: URL", () => `data:application/wasm;base64,${wasmBytes.toString("base64")}`],
    ["Response", () => new Response(wasmBytes)],
    ["Promise<Response>", () => fetch(`${base}/quant.wasm`)],
  ];
  for (const [name, make] of sources) {
    it(`loads from ${name}`, async () => {
      const k = await loadQuantKernels(make());
      checkInstance(k);
    });
  }

  it("embeds exactly dist/quant.wasm", () => {
    expect(Buffer.from(bundledWasmBytes()).equals(wasmBytes)).toBe(true);
  });
});

describe("instantiation", () => {
  it("is idempotent per (module, memory) and memoizes the bundled module", async () => {
    const memory = createSharedMemory();
    const a = await loadQuantKernels(undefined, { memory });
    const b = await loadQuantKernels(undefined, { memory });
    expect(b).toBe(a);
    expect(await bundledModule()).toBe(await bundledModule());
    expect(instantiateQuantKernels(a.module, memory)).toBe(a);
    // another module on the same memory is another instance, with the same heap base
    const other = instantiateQuantKernels(await compileQuantModule(wasmBytes), memory);
    expect(other).not.toBe(a);
    expect(other.heapBase).toBe(a.heapBase);
    // another memory: another instance
    expect(await loadQuantKernels(undefined, { memory: createSharedMemory() })).not.toBe(a);
  });

  it("honours initialPages and maximumPages", async () => {
    const k = await loadQuantKernels(undefined, { initialPages: 20, maximumPages: 40 });
    expect(k.memory.buffer.byteLength).toBe(20 * 65536);
    expect(() => k.memory.grow(21)).toThrow();
    expect(() => createSharedMemory(1, 65537)).toThrow(/maximumPages/);
  });

  it("runs codecs of two instances on one memory side by side", async () => {
    const memory = createSharedMemory();
    const a = instantiateQuantKernels(await bundledModule(), memory);
    const b = instantiateQuantKernels(await compileQuantModule(wasmBytes), memory);
    const x = new Float32Array(300).map((_, i) => Math.sin(i) * 3);
    const ca = createCodec(a, "bf16");
    const cb = createCodec(b, "bf16");
    expect(cb.encode(x).bytes).toEqual(ca.encode(x).bytes);
  });
});

describe("errors", () => {
  it("refuses a non-shared memory and non-memories", async () => {
    const plain = new WebAssembly.Memory({ initial: 17, maximum: 100 });
    const m = await bundledModule();
    expect(() => instantiateQuantKernels(m, plain)).toThrow(/memory must be shared/);
    await expect(loadQuantKernels(undefined, { memory: plain })).rejects.toThrow(/memory must be shared/);
    expect(() => instantiateQuantKernels(m, {} as WebAssembly.Memory)).toThrow(/must be a WebAssembly.Memory/);
  });

  it("reports garbage bytes, HTTP errors and unsupported sources", async () => {
    await expect(loadQuantKernels(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]))).rejects.toThrow(/failed to load quant.wasm/);
    await expect(loadQuantKernels(new Uint8Array(0))).rejects.toThrow(/failed to load quant.wasm/);
    await expect(loadQuantKernels(`${base}/missing.wasm`)).rejects.toThrow(/HTTP 404/);
    await expect(loadQuantKernels(new URL("file:///nonexistent/quant.wasm"))).rejects.toThrow(/failed to load quant.wasm.*ENOENT/);
    await expect(loadQuantKernels(42 as unknown as WasmSource)).rejects.toThrow(/unsupported wasm source/);
  });

  it("reports an ABI mismatch", async () => {
    await expect(loadQuantKernels(tinyModule({ tw_abi_version: 1 }))).rejects.toThrow(/ABI version 1 does not match this package \(2\)/);
    await expect(loadQuantKernels(tinyModule({}))).rejects.toThrow(/ABI version undefined/);
    await expect(loadQuantKernels(tinyModule({ tw_abi_version: 2, tw_heap_base: 16 }))).rejects.toThrow(/lacks the exports tw_bytes_for, tw_quantize/);
  });

  it("reports a module built for a non-shared memory", async () => {
    await expect(loadQuantKernels(tinyModule({ tw_abi_version: 2 }, false))).rejects.toThrow(/failed to instantiate quant.wasm/);
  });
});
