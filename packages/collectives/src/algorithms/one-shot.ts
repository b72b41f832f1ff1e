// One-shot all-reduce: every rank reads every peer's whole input and sums all p inputs in rank order
// 0..p−1, so every rank computes the identical f32 sum (and the same bits as two-shot).
// Steps: arrive (inputs visible) → sum into dst, or into S(r) when dst is r's own input (its alloc()
// view read in place) → [“done reading” barrier] → copy S(r) to dst in the latter case.
// Bytes per rank: (p−1)·4n received, (p−1)·4n sent. Fewest steps: best for small messages.
// Hazard: peers read r's input after the arrival, until they return. Staged inputs alternate between
// two staging buffers by op parity, and r's next op can only complete its arrival once every peer
// has returned from this one, so no final barrier is needed for them. When some rank works in
// place on its alloc() view (e.inPlace, from the descriptors), that rank may rewrite the view as soon
// as it returns, so every rank passes a final barrier before returning.
import type { AllReduceAlgorithm } from "./types.js";

export const oneShot: AllReduceAlgorithm = {
  run(e, seg) {
    const { len } = seg;
    const p = e.p, r = e.rank;
    e.received((p - 1) * 4 * len);
    e.sent((p - 1) * 4 * len);
    if (seg.dst !== e.I(r)) {
      // no peer reads dst (peers read only the inputs I(q)): sum straight into it
      e.sumRanks(seg.dst, e.I, len);
      if (e.inPlace) e.sync.barrier();
    } else {
      e.sumRanks(e.S(r), e.I, len);
      if (e.inPlace) e.sync.barrier();
      e.copy(seg.dst, e.S(r), len);
    }
  },
};
