// Ring all-reduce: a reduce-scatter ring then an all-gather ring; each step reads one chunk from the
// left neighbour only (Gloo/NCCL ring). Chunk boundaries are multiples of 16 elements.
//
// Reduce-scatter, step s = 0..p−2 (left = r−1 mod p):
//   step 0: push data to the next rank — rank r computes chunk c = r−1 mod p as X(left)[c] + X(r)[c]
//           into S(r)[c] and publishes;
//   step s: wait for left's step s−1, then S(r)[c] = S(left)[c] + X(r)[c] for c = r−s−1 mod p.
//   After p−1 steps rank r holds the complete sum of chunk f = r+1 mod p, summed in the order
//   X_c + X_{c+1} + … + X_{c+p−1} (indices mod p) — a rotation of rank order, so the ring's bits
//   may differ from one-shot/two-shot; every rank still gets the owner's bits.
// All-gather: rank r copies chunk f into its gather buffer G(r) (the packed region) and publishes;
//   step t = 0..p−2: wait for left's previous publish, copy chunk g = r−t mod p from G(left) to G(r).
// Then G(r) is copied to dst. No final barrier: to finish its last all-gather step rank r needs the
// chain left, left-left, … back to its right neighbour r+1 to have started the all-gather, so r+1 no
// longer reads X(r) or S(r) (reduce-scatter) when r returns; G(r) = P(r) is read by r+1 until it
// returns, and the packed region alternates by op parity, so the next writer of this G(r) is two ops
// away, after every rank arrived at the op in between.
// Bytes per rank: 2(p−1)/p·4n each way, in 2(p−1) steps (one link latency each).
import type { AllReduceAlgorithm } from "./types.js";
import { CHUNK_ALIGN } from "./two-shot.js";

export const ring: AllReduceAlgorithm = {
  run(e, seg) {
    const { len, dst, arrive } = seg;
    const p = e.p, r = e.rank;
    const left = (r - 1 + p) % p;
    const cs = e.chunkStarts(len, CHUNK_ALIGN);
    const n = (c: number) => cs[c + 1]! - cs[c]!;
    const S = e.S(r), X = e.I(r);
    for (let s = 0; s < p - 1; s++) {
      const c = (r - s - 1 + 2 * p) % p;
      if (s > 0) e.sync.waitFor(left, arrive + s);
      const off = 4 * cs[c]!;
      e.received(4 * n(c));
      e.sent(4 * n((r - s + p) % p));
      e.copy(S + off, (s === 0 ? e.I(left) : e.S(left)) + off, n(c));
      e.accumulate(S + off, X + off, n(c));
      e.sync.publish();
    }
    const G = e.P(r);
    const f = (r + 1) % p;
    e.copy(G + 4 * cs[f]!, S + 4 * cs[f]!, n(f));
    e.sync.publish();
    for (let t = 0; t < p - 1; t++) {
      const g = (r - t + p) % p;
      e.sync.waitFor(left, arrive + p + t);
      e.received(4 * n(g));
      e.sent(4 * n((r + 1 - t + p) % p));
      e.copy(G + 4 * cs[g]!, e.P(left) + 4 * cs[g]!, n(g));
      e.sync.publish();
    }
    e.copy(dst, G, len);
  },
};
