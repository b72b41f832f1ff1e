// Two-shot all-reduce = reduce-scatter + all-gather, both through shared memory.
// Step 0 (after arrival): rank r owns chunk r (boundaries multiples of 16 elements) and sums chunk r
//   of all p inputs in rank order into S(r) — the same f32 operations, in the same order, as one-shot.
// Step 1 (after a barrier: every owner done): rank r copies every owner's chunk c from S(c) to dst.
// Bytes per rank: 2(p−1)/p·4n each way (bandwidth-optimal). Hazards: peers read X(r) only in step 0,
// which ends at the barrier, so writing dst = X(r) in step 1 is safe; peers read S(r) in step 1
// until they return, and S(r) is next written only after the next call's arrival barrier.
import type { AllReduceAlgorithm } from "./types.js";

export const CHUNK_ALIGN = 16;

export const twoShot: AllReduceAlgorithm = {
  name: "two-shot",
  id: 2,
  run(e, seg) {
    const { len, dst } = seg;
    const p = e.p, r = e.rank;
    const cs = e.chunkStarts(len, CHUNK_ALIGN);
    const a = cs[r]!, mine = cs[r + 1]! - a;
    // reduce-scatter: sum my chunk of every rank's input
    e.received((p - 1) * 4 * mine);
    e.sent(4 * (len - mine));
    e.sumRanks(e.S(r) + 4 * a, (q) => e.I(q) + 4 * a, mine);
    e.sync.barrier();
    // all-gather: copy each owner's summed chunk
    e.received(4 * (len - mine));
    e.sent((p - 1) * 4 * mine);
    for (let c = 0; c < p; c++) {
      const s = cs[c]!, n = cs[c + 1]! - s;
      e.copy(dst + 4 * s, e.S(c) + 4 * s, n);
    }
  },
};
