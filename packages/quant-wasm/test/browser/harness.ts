// Browser test harness (Node side), shared by quant-wasm's and collectives' browser suites:
// - a static HTTP server on 127.0.0.1 (random port) serving the monorepo root, cross-origin isolated
//   (COOP same-origin + COEP require-corp: SharedArrayBuffer and shared WebAssembly.Memory need it);
// - a page that maps the packages' bare specifiers to their dist/ files with an import map (no bundler);
// - Debian's Chromium driven by playwright-core, with a fresh profile.
//
// Import maps apply to documents only: a module Web Worker resolves bare specifiers with no map (Chromium
// fails to load it; whatwg/html#10858 / WICG/import-maps#2 are still open). Worker scripts are therefore
// loaded under WORKER_PREFIX, where this server applies the page's import map itself to every JavaScript
// file it serves (`from "@tensorwire/x"` → `from "/__workers__/packages/x/dist/index.js"`), as a dev server
// (or a bundler) does. Everything else, and everything the page itself imports, is served byte for byte.
import { createServer, type Server } from "node:http";
import { existsSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { extname, join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { AddressInfo } from "node:net";
import { chromium, type Browser, type Page } from "playwright-core";

/** The monorepo root (this file is packages/quant-wasm/test/browser/harness.ts). */
export const REPO_ROOT = fileURLToPath(new URL("../../../../", import.meta.url));

/** Bare specifier → URL path, used by the page's import map and, under WORKER_PREFIX, by the server. */
export const IMPORT_MAP: Readonly<Record<string, string>> = {
  "@tensorwire/quant-wasm": "/packages/quant-wasm/dist/index.js",
  "@tensorwire/quant-wasm/reference": "/packages/quant-wasm/dist/reference/index.js",
  "@tensorwire/collectives": "/packages/collectives/dist/index.js",
  "@tensorwire/collectives/web": "/packages/collectives/dist/web/index.js",
};

/** URL path prefix under which JavaScript is served with the import map applied (for module workers). */
export const WORKER_PREFIX = "/__workers__";
/** The blank, import-mapped page every test starts from. */
export const PAGE_PATH = "/__browser-test__/page.html";
/** The same page served without COOP/COEP (not cross-origin isolated: no SharedArrayBuffer). */
export const PLAIN_PAGE_PATH = "/__browser-test__/plain.html";

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const CI = process.env.CI === "true" || process.env.CI === "1";

const CHROMIUM_ARGS = [
  "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

const MIME: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".wasm": "application/wasm",
  ".html": "text/html; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".ts": "text/plain; charset=utf-8",
  ".md": "text/plain; charset=utf-8",
};

const ISOLATION_HEADERS = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
  "Cross-Origin-Resource-Policy": "same-origin",
  "Cache-Control": "no-store",
};

/**
 * Why the browser suites cannot run here, or undefined when Chromium is present. Outside CI a missing
 * Chromium skips the suites with this reason; with CI=true the suites run and fail on it.
 */
export function chromiumMissingReason(): string | undefined {
  if (existsSync(CHROMIUM_PATH)) return undefined;
  return `Chromium not found at ${CHROMIUM_PATH} (apt-get install chromium, or set CHROMIUM_PATH); ` +
    ".ci/run installs it, and with CI=true its absence is a failure";
}

function pageHtml(): string {
  const map = JSON.stringify({ imports: IMPORT_MAP }, null, 2);
  return `<!doctype html>\n<meta charset="utf-8">\n<title>tensorwire browser test</title>\n` +
    `<link rel="icon" href="data:,">\n<script type="importmap">\n${map}\n</script>\n<p>tensorwire browser test page</p>\n`;
}

/** Apply IMPORT_MAP to the static and dynamic import specifiers of a module served under WORKER_PREFIX. */
export function applyImportMap(source: string, prefix = WORKER_PREFIX): string {
  return source.replace(/(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(["'])([^"'\n]+)\2/g, (m, lead: string, q: string, spec: string) => {
    const target = IMPORT_MAP[spec];
    return target === undefined ? m : `${lead}${q}${prefix}${target}${q}`;
  });
}

export interface StaticServer {
  readonly origin: string;
  /** Paths that answered 404 (diagnostics for failed page or worker loads). */
  readonly notFound: string[];
  close(): Promise<void>;
}

/** Serve REPO_ROOT on 127.0.0.1:<random port>, cross-origin isolated. GET and HEAD only. */
export async function startStaticServer(root = REPO_ROOT): Promise<StaticServer> {
  const notFound: string[] = [];
  const server: Server = createServer((req, res) => {
    void (async () => {
      const send = (status: number, type: string, body: string | Uint8Array) => {
        res.writeHead(status, { ...ISOLATION_HEADERS, "Content-Type": type, "Content-Length": Buffer.byteLength(body) });
        res.end(req.method === "HEAD" ? undefined : body);
      };
      if (req.method !== "GET" && req.method !== "HEAD") return send(405, "text/plain", "method not allowed");
      let path = decodeURIComponent(new URL(req.url ?? "/", "http://127.0.0.1").pathname);
      if (path === PAGE_PATH) return send(200, MIME[".html"]!, pageHtml());
      if (path === PLAIN_PAGE_PATH) {
        res.writeHead(200, { "Content-Type": MIME[".html"]!, "Cache-Control": "no-store" });
        return res.end(req.method === "HEAD" ? undefined : pageHtml());
      }
      const mapped = path.startsWith(WORKER_PREFIX + "/");
      if (mapped) path = path.slice(WORKER_PREFIX.length);
      const file = normalize(join(root, path));
      if (!file.startsWith(normalize(root + sep))) return send(403, "text/plain", "outside the served root");
      try {
        if (!(await stat(file)).isFile()) throw new Error("not a file");
      } catch {
        notFound.push(req.url ?? path);
        return send(404, "text/plain", `not found: ${path}`);
      }
      const ext = extname(file);
      const type = MIME[ext] ?? "application/octet-stream";
      const body = await readFile(file);
      if (mapped && (ext === ".js" || ext === ".mjs")) return send(200, type, applyImportMap(body.toString("utf8")));
      return send(200, type, body);
    })().catch((e: unknown) => {
      if (!res.headersSent) res.writeHead(500, { "Content-Type": "text/plain" });
      res.end(String(e));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    notFound,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** Launch Debian's Chromium (headless, fresh temporary profile). */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, timeout: 30_000 });
}

export interface TestPage {
  readonly page: Page;
  /** Console errors, page errors and failed requests seen so far (for assertion messages). */
  readonly problems: string[];
}

/**
 * Open the import-mapped page and check that it is cross-origin isolated (or, with `isolated: false`,
 * the same page without COOP/COEP, and check that it is not).
 */
export async function openTestPage(browser: Browser, server: StaticServer, { isolated = true } = {}): Promise<TestPage> {
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on("console", (m) => { if (m.type() === "error") problems.push(`console: ${m.text()}`); });
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ""}`));
  await page.goto(server.origin + (isolated ? PAGE_PATH : PLAIN_PAGE_PATH));
  const got = await page.evaluate(() => globalThis.crossOriginIsolated && typeof SharedArrayBuffer === "function");
  if (got !== isolated) throw new Error(`the test page is ${got ? "" : "not "}cross-origin isolated (COOP/COEP headers?)`);
  return { page, problems };
}

/**
 * Import `modulePath` (a path on the server, resolved by the page's import map rules) in the page and call
 * its export `fn` with `arg` (JSON-serializable); resolves to the (structured-cloned) result. The call is
 * a source string, so the test runner's transform of import() cannot touch it.
 */
export async function runInPage<R>(tp: TestPage, modulePath: string, fn = "run", arg: unknown = undefined): Promise<R> {
  const expr = `import(${JSON.stringify(modulePath)}).then((m) => m[${JSON.stringify(fn)}](${JSON.stringify(arg) ?? ""}))`;
  try {
    return (await tp.page.evaluate(expr)) as R;
  } catch (e) {
    throw new Error(`${modulePath} ${fn}() failed in the page: ${(e as Error).message}` +
      (tp.problems.length ? `\n${tp.problems.join("\n")}` : ""));
  }
}
