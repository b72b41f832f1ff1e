// Rank function for test/outliers.test.ts: one TensorParallelRegion per case, reduce() of this rank's
// input with the case's policy (compiled tp-model from dist/, as the model's ranks run it).
import { TensorParallelRegion, checkPolicy } from "@tensorwire/tp-model";

/** FNV-1a over the bits of a Float32Array (cross-rank bit-identity). */
export function hashF32(a) {
  const u = new Uint32Array(a.buffer, a.byteOffset, a.length);
  let h = 0x811c9dc5;
  for (let i = 0; i < u.length; i++) {
    h = Math.imul(h ^ (u[i] & 0xffff), 0x01000193);
    h = Math.imul(h ^ (u[i] >>> 16), 0x01000193);
  }
  return (h >>> 0).toString(16) + ":" + a.length;
}

/**
 * Rank q's partial sums, rows × dim: smooth values of magnitude ≤ 1 in ordinary channels; in the
 * `hot` channels multiples of 64 up to ±4032 (exact in bf16 and fp16, and so are their sums over
 * up to 4 ranks), as the row-parallel outputs' outlier channels are.
 */
export function input(rows, dim, q, seed, hot) {
  const x = new Float32Array(rows * dim);
  for (let r = 0; r < rows; r++) for (let c = 0; c < dim; c++) {
    const i = r * dim + c;
    x[i] = hot.includes(c) ? 64 * (((i * 7 + q * 13 + seed * 5) % 127) - 63) : Math.sin(i * 0.37 + q * 1.9 + seed) * (0.25 + 0.75 * ((c * 5 + q) % 4) / 3);
  }
  return x;
}

export default function (comm, { cases }) {
  return cases.map((c) => {
    const region = new TensorParallelRegion(comm, checkPolicy(c.policy, c.nLayers));
    const data = input(c.rows, c.dim, comm.rank, c.seed, c.hot);
    if (c.length !== undefined) return run(region, data.subarray(0, c.length), c);
    return run(region, data, c);
  });
}

function run(region, data, c) {
  try {
    region.reduce(data, c.site ?? "attention", c.layer ?? 0, "prefill");
  } catch (e) {
    return { error: e.message };
  }
  return { values: Array.from(data), hash: hashF32(data), totals: { ...region.totals } };
}
