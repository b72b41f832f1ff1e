// Runs in the Chromium page (imported by test/browser.test.ts through the page's import map): loads the
// kernels four ways and round-trips every case of cases.mjs with each, plus the scalar reference.
import * as qw from "@tensorwire/quant-wasm";
import * as ref from "@tensorwire/quant-wasm/reference";
import { roundTrip, referenceRoundTrip } from "./cases.mjs";

const WASM_PATH = "/packages/quant-wasm/dist/quant.wasm";

export async function run() {
  const bundled = await qw.loadQuantKernels();
  const loads = {
    bundled,
    // a relative URL string (fetched, resolved against the page)
    urlString: await qw.loadQuantKernels(WASM_PATH),
    // an absolute URL object
    url: await qw.loadQuantKernels(new URL(WASM_PATH, location.href)),
    // a Response, and our own shared memory
    response: await qw.loadQuantKernels(fetch(WASM_PATH), { memory: qw.createSharedMemory(32, 1024) }),
  };
  const results = {};
  const heapBase = {};
  for (const [name, k] of Object.entries(loads)) {
    heapBase[name] = k.heapBase;
    results[name] = await roundTrip(qw, k);
  }
  // the bundled module is compiled once per realm; an explicit source is not the bundled one
  const memoized = (await qw.bundledModule()) === bundled.module && (await qw.bundledModule()) === bundled.module;
  let notShared = null;
  try {
    qw.instantiateQuantKernels(bundled.module, new WebAssembly.Memory({ initial: 1, maximum: 1 }));
  } catch (e) {
    notShared = `${e.name}: ${e.message}`;
  }
  let http404 = null;
  try {
    await qw.loadQuantKernels("/packages/quant-wasm/dist/no-such.wasm");
  } catch (e) {
    http404 = e.message;
  }
  return {
    userAgent: navigator.userAgent,
    crossOriginIsolated: globalThis.crossOriginIsolated,
    abi: bundled.exports.tw_abi_version(),
    heapBase,
    memoized,
    notShared,
    http404,
    results,
    reference: await referenceRoundTrip(qw, ref),
  };
}
