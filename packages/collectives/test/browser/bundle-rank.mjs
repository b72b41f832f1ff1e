// Worker side of the no-bundler check: a module Web Worker importing the browser bundle by URL. It is
// NOT served under the harness's import-map-rewriting prefix, so a bare import here would fail.
import { serveRank } from "../../dist/browser/tensorwire-collectives.js";

serveRank((comm, { n }) => {
  const r = comm.rank, p = comm.worldSize;
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = i * 3 + r;
  const exact = comm.allReduce(x.slice(), { algorithm: "two-shot" });
  let wrong = 0;
  for (let i = 0; i < n; i++) if (exact[i] !== p * 3 * i + (p * (p - 1)) / 2) wrong++;
  const compressed = comm.allReduce(x.slice(), { codec: "mxfp4" });
  let sum = 0;
  for (let i = 0; i < n; i++) sum += compressed[i];
  return { rank: r, wrong, compressedSum: sum, codec: comm.stats.last.codec };
});
