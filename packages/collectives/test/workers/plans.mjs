// Rank function for test/plans.test.ts. mode "options": every call passes its choices per call;
// mode "plan": the same calls through plans prepared once (and reused for every size). Both modes
// make the same sequence of calls on a fresh group, so every call's stochastic-rounding seed is
// the same in both, and the results must be bit-identical.
import { hashF32, noisyInput } from "./common.mjs";

export const CONFIGS = [
  {},
  { algorithm: "ring" },
  { algorithm: "two-shot" },
  { algorithm: "one-shot" },
  { codec: "mxfp4" },
  { codec: "nvfp4", scheme: "two-shot" },
  { codec: { format: "int8", block: 64, scale: "f32", rounding: "stochastic" }, seed: 5 },
  { codec: "q8_0", compress: false },
  { codec: "mxfp4", compress: "auto" },
  { codec: "none" },
];
const SIZES = [0, 1, 1000, 4099, 40_003];

export default function (comm, { mode }) {
  const r = comm.rank;
  const plans = mode === "plan" ? CONFIGS.map((c) => comm.prepare(c)) : null;
  const out = [];
  for (let c = 0; c < CONFIGS.length; c++) {
    for (const n of SIZES) {
      for (const withOutput of [false, true]) {
        const x = noisyInput(n, r, c + 1);
        const output = withOutput ? new Float32Array(n) : undefined;
        const o = plans ? { plan: plans[c], output } : { ...CONFIGS[c], output };
        const res = comm.allReduce(x, o);
        const last = comm.stats.last;
        out.push({ c, n, withOutput, hash: hashF32(res), inPlace: res === x, algorithm: last.algorithm, codec: last.codec, scheme: last.scheme });
      }
    }
  }
  return out;
}

/** Plan objects: frozen options, rank, local validation (no arrival: the group stays in step). */
export function props(comm) {
  const p = comm.prepare({ codec: "mxfp4", seed: 3 });
  const errors = [];
  for (const bad of [{ codec: "q5_1" }, { algorithm: "x" }, { output: new Float32Array(1) }, { plan: p }, null, 5]) {
    try {
      comm.prepare(bad);
      errors.push(null);
    } catch (e) {
      errors.push({ name: e.name, code: e.code, message: e.message });
    }
  }
  const x = new Float32Array(64).fill(comm.rank + 1);
  comm.allReduce(x, { plan: comm.prepare() });
  return {
    rank: p.rank, options: p.options, frozen: Object.isFrozen(p) && Object.isFrozen(p.options), keys: Object.keys(p),
    errors, sum: x[0], expected: (comm.worldSize * (comm.worldSize + 1)) / 2,
  };
}
