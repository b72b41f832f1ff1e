// quant-wasm in a real browser: Debian's Chromium (playwright-core) loads the built package through an import
// map on a cross-origin-isolated page, loads quant.wasm four ways (bundled, URL string, URL, Response) and
// round-trips mxfp4, nvfp4, q8_0, fp5-e2m2 and int4. The oracle is Node: the same calls (test/browser/cases.mjs)
// on the same built package here must give byte-identical packed data and bit-identical decoded values.
// Needs `tsc -b` and the wasm build first (turbo's test task depends on build). Outside CI a missing Chromium
// skips the suite with its reason; with CI=true it fails.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import * as qw from "@tensorwire/quant-wasm";
import { CASES, N, referenceRoundTrip, roundTrip } from "./browser/cases.mjs";
import * as ref from "@tensorwire/quant-wasm/reference";
import {
  CI, type StaticServer, type TestPage, chromiumMissingReason, launchChromium, openTestPage, runInPage, startStaticServer,
} from "./browser/harness.js";

type CaseResult = Awaited<ReturnType<typeof roundTrip>>;
interface PageResult {
  userAgent: string;
  crossOriginIsolated: boolean;
  abi: number;
  heapBase: Record<string, number>;
  memoized: boolean;
  notShared: string | null;
  http404: string | null;
  results: Record<string, CaseResult>;
  reference: Awaited<ReturnType<typeof referenceRoundTrip>>;
}

const missing = chromiumMissingReason();
const skip = missing !== undefined && !CI;
if (skip) console.warn(`quant-wasm browser suite skipped: ${missing}`);

describe.skipIf(skip)(`quant-wasm in Chromium${skip ? ` (skipped: ${missing})` : ""}`, () => {
  let server: StaticServer | undefined;
  let browser: Browser | undefined;
  let tp: TestPage;
  let got: PageResult;
  let expected: CaseResult;
  let heapBase: number;

  beforeAll(async () => {
    if (missing) throw new Error(missing); // CI: a missing browser is a failure, not a skip
    server = await startStaticServer();
    browser = await launchChromium();
    tp = await openTestPage(browser, server);
    got = await runInPage<PageResult>(tp, "/packages/quant-wasm/test/browser/page.mjs");
    const k = await qw.loadQuantKernels();
    heapBase = k.heapBase;
    expected = await roundTrip(qw, k);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("runs on a cross-origin-isolated page in Chromium, with the same ABI and heap base as Node", () => {
    expect(got.userAgent).toMatch(/Chrome\/\d+/);
    expect(got.crossOriginIsolated).toBe(true);
    expect(got.abi).toBe(qw.ABI_VERSION);
    expect(got.heapBase).toEqual({ bundled: heapBase, urlString: heapBase, url: heapBase, response: heapBase });
    // the only expected console error is the deliberate 404 of the loader-error check
    expect(tp.problems.filter((m) => !m.includes("404")), "console errors / failed requests").toEqual([]);
  });

  const loads = ["bundled", "urlString", "url", "response"] as const;
  for (const load of loads) {
    it(`${load === "bundled" ? "the bundled module" : `quant.wasm loaded from a ${load}`}: every case byte-identical to Node`, () => {
      const r = got.results[load]!;
      expect(Object.keys(r)).toEqual(CASES.map((c) => c[0]));
      for (const [label] of CASES) {
        const e = expected[label]!;
        // the sizes are the format's arithmetic, not a snapshot: sanity-check them before comparing bytes
        expect(e.bytes.length / 2, label).toBe(qw.bytesFor(e.spec, N));
        expect(r[label], `${load} ${label}`).toEqual(e);
      }
    });
  }

  it("exercises the clipping path: FP16-scaled formats report the clipped huge block in both runtimes", () => {
    expect(expected["q8_0"]!.clipped).toBeGreaterThan(0);
    expect(expected["int4"]!.clipped).toBeGreaterThan(0);
    expect(got.results["bundled"]!["int4"]!.clipped).toBe(expected["int4"]!.clipped);
  });

  it("the scalar reference in the page encodes and decodes exactly as the kernels do in Node", async () => {
    const nodeRef = await referenceRoundTrip(qw, ref);
    for (const [label] of CASES) {
      expect(got.reference[label]!.bytes, label).toBe(expected[label]!.bytes);
      expect(got.reference[label]!.clipped, label).toBe(expected[label]!.clipped);
      expect(got.reference[label]!.decoded, label).toBe(expected[label]!.decoded);
      expect(got.reference[label], label).toEqual(nodeRef[label]);
    }
  });

  it("loader behaviour in the page: memoized bundled module, non-shared memory and HTTP errors rejected", () => {
    expect(got.memoized).toBe(true);
    expect(got.notShared).toMatch(/TypeError: memory must be shared/);
    expect(got.http404).toMatch(/failed to load quant\.wasm: .*HTTP 404/);
  });
});
