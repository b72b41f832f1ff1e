// One-shot all-reduce: every rank reads every peer's whole input and sums all p inputs in rank order
// 0..p−1, so every rank computes the identical f32 sum (and the same bits as two-shot).
// Steps: arrive (inputs visible) → sum into S(r) → [“done reading” barrier] → copy to dst.
// Bytes per rank: (p−1)·4n received, (p−1)·4n sent. Fewest steps: best for small messages.
// Hazard: peers read r's input after the arrival, until they return. Staged inputs alternate between
// two staging buffers by op parity, and r's next op can only complete its arrival once every peer
// has returned from this one, so no final barrier is needed for them. When some rank works in
// place on its alloc() view (e.inPlace, from the descriptors), that rank may rewrite the view as soon
// as it returns, so every rank passes a final barrier before returning.
import type { AllReduceAlgorithm } from "./types.js";

export const oneShot: AllReduceAlgorithm = {
  name: "one-shot",
  id: 1,
  run(e, seg) {
    const { len } = seg;
    const p = e.p, r = e.rank;
    e.received((p - 1) * 4 * len);
    e.sent((p - 1) * 4 * len);
    e.sumRanks(e.S(r), (q) => e.I(q), len);
    if (e.inPlace) e.sync.barrier();
    e.copy(seg.dst, e.S(r), len);
  },
};
