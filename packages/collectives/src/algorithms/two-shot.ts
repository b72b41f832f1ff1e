// Two-shot all-reduce = reduce-scatter + all-gather, both through shared memory.
// Step 0 (after arrival): rank r owns chunk r (boundaries multiples of 16 elements) and sums chunk r
//   of all p inputs in rank order — the same f32 operations, in the same order, as one-shot.
//   Where the sum goes ("sum site" of owner c, known to every rank from the descriptors):
//   - in place, into the owner's own input chunk I(c)[chunk c], when the summation order allows it
//     (c = 0: I(0) += I(1) += …; p = 2: I(1) += I(0), exact since f32 addition is commutative) and
//     the owner's input may be overwritten (staged, or the alloc() view it all-reduces in place; not
//     FLAG_KEEP_INPUT). One pass over the chunk (an add) instead of two (a copy, then an add), and
//     the owner's own chunk is already at its destination when that is its alloc() view;
//   - else into the owner's scratch S(c)[chunk c].
// Step 1 (after a barrier: every owner done): rank r copies every owner's chunk c from its sum site
//   to dst (nothing to copy where the sum site is dst itself), or straight into the caller's array
//   when the call's output lies outside X(r) (seg.out: one copy fewer).
// Owner push, when every rank all-reduces its alloc() view in place (descriptor flags: zero-copy, not
//   keep-input; then every rank's dst is its input X(q)): after arrival, owner r sums chunk r block by
//   block (Engine.sumPush: in place in X(r) under the same order rule, else via S(r)) and writes each
//   summed block straight into every peer's X(q)[chunk r] while it is in L1; then one barrier. One
//   pass and one barrier instead of two; peers' lines of the chunk were just read, so the stores find
//   them in cache, and a peer's next sum reads back the blocks it pushed itself. Hazards: only owner r
//   reads or writes any rank's [chunk r] during the op; the final barrier keeps r from returning (the
//   user may rewrite X(r)) before every peer finished writing X(r).
// Bytes per rank: 2(p−1)/p·4n each way (bandwidth-optimal). Hazards: peers read I(r)[chunk q ≠ r]
// only in step 0, which ends at the barrier, so writing dst = X(r) in step 1 and I(r)[chunk r] in
// step 0 is safe. Peers read r's sum site in step 1 until they return: S(r) is next written only
// after the next call's arrival; a staging buffer only two ops later (parity), after the next
// arrival too; an alloc() view can be rewritten by the user as soon as r returns, so when some sum
// site is an alloc() view every rank passes a final barrier.
import { FLAG_KEEP_INPUT, FLAG_ZERO_COPY } from "../layout.js";
import type { Engine } from "../engine.js";
import type { AllReduceAlgorithm } from "./types.js";

export const CHUNK_ALIGN = 16;

/** Does owner c leave its chunk sum in its own input (else in its scratch)? Same answer on every rank. */
function sumInInput(e: Engine, c: number): boolean {
  return (c === 0 || e.p === 2) && (e.flags[c]! & FLAG_KEEP_INPUT) === 0;
}

/** Does every rank all-reduce its alloc() view in place (input = dst = X(q))? */
function allInPlace(e: Engine): boolean {
  for (let q = 0; q < e.p; q++) if ((e.flags[q]! & (FLAG_ZERO_COPY | FLAG_KEEP_INPUT)) !== FLAG_ZERO_COPY) return false;
  return true;
}

export const twoShot: AllReduceAlgorithm = {
  run(e, seg) {
    const { len, dst } = seg;
    const p = e.p, r = e.rank;
    const cs = e.chunkStarts(len, CHUNK_ALIGN);
    const a = cs[r]!, mine = cs[r + 1]! - a;
    if (allInPlace(e)) {
      // owner push: one pass, one barrier (peers finished writing my view) — see the header
      // accounted (and charged to a link model) as the two steps of the pull version
      e.received((p - 1) * 4 * mine);
      e.sent(4 * (len - mine));
      e.sumPush(4 * a, mine);
      e.received(4 * (len - mine));
      e.sent((p - 1) * 4 * mine);
      e.sync.barrier();
      return;
    }
    // reduce-scatter: sum my chunk of every rank's input
    e.received((p - 1) * 4 * mine);
    e.sent(4 * (len - mine));
    if (sumInInput(e, r)) {
      const d = e.I(r) + 4 * a;
      if (r === 0) {
        for (let q = 1; q < p; q++) e.accumulate(d, e.I(q) + 4 * a, mine);
      } else {
        e.accumulate(d, e.I(0) + 4 * a, mine); // p = 2, r = 1: x1 + x0 = x0 + x1 exactly
      }
    } else {
      e.sumRanks(e.S(r) + 4 * a, (q) => e.I(q) + 4 * a, mine);
    }
    e.sync.barrier();
    // all-gather: copy each owner's summed chunk
    e.received(4 * (len - mine));
    e.sent((p - 1) * 4 * mine);
    let finalBarrier = false;
    // straight into the caller's array when it is outside X(r) (saves the copy dst → array)
    const out = seg.out;
    for (let c = 0; c < p; c++) {
      const s = cs[c]!, n = cs[c + 1]! - s;
      const site = (sumInInput(e, c) ? e.I(c) : e.S(c)) + 4 * s;
      if (sumInInput(e, c) && (e.flags[c]! & FLAG_ZERO_COPY) !== 0) finalBarrier = true;
      if (out) e.copyToArray(out, seg.outOff + s, site, n);
      else e.copy(dst + 4 * s, site, n);
    }
    if (out) seg.delivered = true;
    if (finalBarrier) e.sync.barrier(); // peers are done reading an alloc() view's chunk sum
  },
};
