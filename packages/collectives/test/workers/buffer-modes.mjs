// Rank function for test/buffer-modes.test.ts: every rank picks its own buffer mode per call (alloc()
// view or plain array, in place or into a separate output), so ranks mix modes within one call.
import { countDiff, noisyInput, rankOrderSum } from "./common.mjs";

const MODES = ["view in place", "view → output", "array in place", "array → output"];

export default function (comm, { algorithms, lengths }) {
  const p = comm.worldSize, r = comm.rank;
  const failures = [];
  const combos = MODES.length ** p;
  let call = 0;
  for (const alg of algorithms) {
    for (const n of lengths) {
      for (let combo = 0; combo < combos; combo++) {
        const mode = Math.floor(combo / MODES.length ** r) % MODES.length;
        call++;
        const inputs = [];
        for (let q = 0; q < p; q++) inputs.push(noisyInput(n, q, call));
        const want = rankOrderSum(inputs);
        const x = mode < 2 ? comm.alloc(n) : new Float32Array(n);
        x.set(inputs[r]);
        const out = mode % 2 === 1 ? new Float32Array(n) : undefined;
        const y = comm.allReduce(x, { algorithm: alg, output: out });
        const what = `${alg} n=${n} combo ${combo} (rank ${r}: ${MODES[mode]})`;
        const d = countDiff(y, want);
        if (d.bad) failures.push(`${what}: ${d.bad} wrong, first at ${d.first}: got ${d.got}, want ${d.want}`);
        if (out) {
          const e = countDiff(x, inputs[r]);
          if (e.bad) failures.push(`${what}: input changed (${e.bad} elements, first at ${e.first})`);
        }
        if (failures.length > 8) return failures;
      }
    }
  }
  return failures;
}
