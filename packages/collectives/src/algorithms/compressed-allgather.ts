// Compressed all-reduce, scheme (a) "allgather": quantize once → all-gather packed → decode-sum locally.
// The segment is cut into J pieces (multiples of 128 elements, J ≤ 64), each its own packed tensor
// (for nvfp4: its own tensor scale), and pipelined:
//   for j: quantize piece j of my input into P(r) → publish (step arrive+1+j) → consume piece j−1
//   consume piece j: wait until every peer published piece j, charge the link for the (p−1) packed
//     pieces, then decode P(0) and dequantize-accumulate P(1) … P(p−1) into dst — the same bytes in
//     the same order on every rank → bit-identical; dst's piece stays in cache across the p passes.
// With a link model, piece j's transfer starts when it was published (this rank's own publish time
// of piece j: ranks run the same schedule) or when the wait for it ended, whichever is later, so
// quantization, transfer and decoding overlap as they would on a real pipelined link.
// One quantization per input: the error is Σ_r err(x_r), independent of the order.
// Final "done" barrier: peers read P(r) until they finish; r's next call may rewrite P(r) before
// arriving (compressed two-shot's prepare). dst may be X(r): only r reads its input in this scheme.
// Bytes per rank: (p−1)·B(n) each way, B = packed bytes. Pays over two-shot only when c > p/2.
import { MAX_PIECES } from "../engine.js";
import type { AllReduceAlgorithm } from "./types.js";

const MIN_PIECE = 32768;

/** Piece length for a segment: ≥ MIN_PIECE, a multiple of 128, at most MAX_PIECES pieces. */
export function pieceLength(len: number): number {
  return Math.max(MIN_PIECE, Math.ceil(len / MAX_PIECES / 128) * 128);
}

export const compressedAllgather: AllReduceAlgorithm = {
  name: "compressed-allgather",
  id: 4,
  run(e, seg) {
    const { len, dst, desc, arrive } = seg;
    const p = e.p, r = e.rank;
    const L = pieceLength(len);
    const J = Math.ceil(len / L);
    const fullBytes = J > 0 ? e.k.tw_bytes_for(desc, Math.min(L, len)) : 0;
    const X = e.I(r), P = e.P(r);
    const times = e.pieceTimes;
    const consume = (j: number): void => {
      const start = j * L, m = Math.min(L, len - start), off = j * fullBytes;
      const slow0 = e.sync.slowWaits;
      for (let q = 0; q < p; q++) if (q !== r) e.sync.waitFor(q, arrive + 1 + j);
      const bytes = e.k.tw_bytes_for(desc, m);
      e.received((p - 1) * bytes, e.sync.slowWaits === slow0 ? times[j]! : undefined);
      e.sent((p - 1) * bytes);
      for (let q = 0; q < p; q++) e.dequantize(desc, e.P(q) + off, m, dst + 4 * start, q > 0);
    };
    for (let j = 0; j < J; j++) {
      const start = j * L;
      e.quantize(desc, X + 4 * start, Math.min(L, len - start), P + j * fullBytes, (seg.seed + j) >>> 0);
      e.sync.publish();
      if (e.link) times[j] = performance.now();
      if (j > 0) consume(j - 1);
    }
    if (J > 0) consume(J - 1);
    e.sync.barrier();
  },
};
