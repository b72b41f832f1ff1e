// Builds dist/browser/tensorwire-collectives.js: @tensorwire/collectives/web (page and worker side, the
// core, and @tensorwire/quant-wasm with its embedded quant.wasm) as one self-contained ES module, for
// pages without a bundler. Browsers do not apply a page's import map to module workers, so a worker
// cannot `import "@tensorwire/collectives/web"`; it can import this file by URL.
import { build } from "esbuild";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const pkg = join(dirname(fileURLToPath(import.meta.url)), "..");
const result = await build({
  entryPoints: [join(pkg, "dist", "web", "index.js")],
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  outfile: join(pkg, "dist", "browser", "tensorwire-collectives.js"),
  sourcemap: true,
  legalComments: "none",
  metafile: true,
  logLevel: "warning",
});
const out = Object.entries(result.metafile.outputs).find(([f]) => f.endsWith(".js"));
console.log(`dist/browser/tensorwire-collectives.js: ${out[1].bytes} bytes`);
