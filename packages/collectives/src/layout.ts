/**
 * The group's shared memory: one shared `WebAssembly.Memory`, laid out once when the group is created
 * and never reallocated (thousands of calls reuse the same bytes). Every rank instantiates quant.wasm
 * on this memory, so the codec kernels read and write the slots below in place.
 *
 * ```
 *  byte 0                                                                 (all offsets 64-byte aligned)
 *  ┌──────────────────────────────┐
 *  │ quant.wasm static data       │ [0, heapBase): owned by the module; never touched by the host
 *  ├──────────────────────────────┤ ctrlBase
 *  │ header line (64 B)           │ MAGIC, LAYOUT_VERSION, worldSize, capacity (elements)
 *  │ abort line  (64 B)           │ ABORT word (0 = healthy), ABORT_LOCK, ABORT_DETAIL
 *  ├──────────────────────────────┤ + per rank r (128 B = two cache lines, so ranks never share one):
 *  │ rank 0 sync line             │   FLAG     step counter: rank r has completed step FLAG
 *  │ rank 1 sync line             │   SLEEPERS number of peers parked in Atomics.wait on FLAG
 *  │ ...                          │   CLOSED   1 once rank r closed its communicator
 *  ├──────────────────────────────┤
 *  │ op descriptors               │ per rank × 2 (parity of the op sequence number) × 16 words:
 *  │                              │   seq, op, algorithm, codec, scheme, root, total n, segment, seg n
 *  │                              │   (compared across ranks), then input offset and flags (not compared)
 *  ├──────────────────────────────┤
 *  │ srcs arrays                  │ per rank: worldSize u32 pointers (srcs of tw_reduce_quantize, tw_dequantize_sum)
 *  ├──────────────────────────────┤ slotBase
 *  │ slot 0                       │ ┌ input    capacity f32   send buffer: the comm.alloc() view, read in place
 *  │                              │ │ stage0   capacity f32   staging of other inputs, ops with even sequence no.
 *  │                              │ │ stage1   capacity f32   … odd sequence no. (one-shot then needs no final barrier)
 *  │                              │ │ scratch  capacity f32   partial sums, owner chunks (two-shot, ring)
 *  │                              │ │ packed0  ≥ capacity×4 B quantized input (pieces or chunks), ops with even seq. no.;
 *  │                              │ │                         ring: gather buffer
 *  │                              │ │ packed1  capacity×4 B   … odd seq. no. (compressed allgather needs no final barrier)
 *  │                              │ └ reduced  ⌈cap/p⌉+128 f32 owner's requantized chunk (compressed two-shot)
 *  │ slot 1 ...  slot p−1         │
 *  └──────────────────────────────┘ totalBytes (= pages × 64 KiB; memory.maximum = pages: never grows)
 * ```
 *
 * The layout is a plain object of numbers, computed identically by the host and every rank from
 * (heapBase, worldSize, capacity); it travels inside the structured-cloneable init object.
 * The word indices below are the protocol: MUST MATCH across every rank of a group (they are one file).
 */

import { MAX_BLOCK, maxPackedBytes } from "@tensorwire/quant-wasm";

/** Bump when any index or region below changes meaning. */
export const LAYOUT_VERSION = 2;
export const MAGIC = 0x74777263; // "twrc"

/** Bytes per cache line; every region and every per-rank sync line starts on one. */
export const LINE = 64;
const WORDS_PER_LINE = LINE / 4;

// Word indices relative to ctrlBase / 4.
export const W_MAGIC = 0;
export const W_VERSION = 1;
export const W_WORLD = 2;
export const W_CAPACITY = 3;
export const W_ABORT = WORDS_PER_LINE; // line 1
export const W_ABORT_LOCK = WORDS_PER_LINE + 1;
export const W_ABORT_DETAIL = WORDS_PER_LINE + 2;
const W_RANKS = 2 * WORDS_PER_LINE;
/** Words per rank sync area (two cache lines). */
export const RANK_WORDS = 2 * WORDS_PER_LINE;
export const R_FLAG = 0;
export const R_SLEEPERS = 1;
export const R_CLOSED = 2;
/** Words per op descriptor. */
export const DESC_WORDS = 16;
export const D_SEQ = 0;
export const D_OP = 1;
export const D_ALGORITHM = 2;
export const D_CODEC = 3;
export const D_SCHEME = 4;
export const D_ROOT = 5;
export const D_TOTAL = 6;
export const D_SEGMENT = 7;
export const D_LENGTH = 8;
/** byte offset of this rank's input for the op (input, stage0 or stage1 region) */
export const D_INPUT = 9;
/** bit 0: this rank reads or writes its alloc() view in place (peers must finish before it returns) */
export const D_FLAGS = 10;
export const FLAG_ZERO_COPY = 1;
/**
 * The rank's input must stay intact (an allReduce of its alloc() view into a separate output): two-shot
 * may not leave the owner's chunk sum in that rank's input, so it leaves it in the scratch region.
 */
export const FLAG_KEEP_INPUT = 2;
/** Number of descriptor words compared across ranks (D_OP .. D_LENGTH). */
export const D_COMPARED = 8;

/** Element alignment of chunk boundaries: quant-wasm's largest block size, a multiple of every codec's (128). */
export const CAPACITY_ALIGN = MAX_BLOCK;
/** Upper bound on the pieces of a pipelined op (algorithms/compressed-allgather.ts); the packed regions fit that many packed tensors. */
export const MAX_PIECES = 64;

export interface Layout {
  readonly version: number;
  readonly worldSize: number;
  /** First byte the quant module leaves to the host. */
  readonly heapBase: number;
  /** Byte offset of the control block. */
  readonly ctrlBase: number;
  /** Max elements per segment (per rank input); longer calls are processed in segments. */
  readonly capacity: number;
  /** Byte offsets of the per-rank areas. */
  readonly descBase: number;
  readonly srcsBase: number;
  readonly srcsStride: number;
  readonly slotBase: number;
  readonly slotBytes: number;
  /** Region offsets inside a slot, and their sizes in bytes. */
  readonly input: number;
  readonly stage0: number;
  readonly stage1: number;
  readonly scratch: number;
  /** packed region of ops with an even sequence number (packed1: odd) */
  readonly packed: number;
  readonly packed1: number;
  readonly packedBytes: number;
  readonly reduced: number;
  readonly reducedBytes: number;
  readonly totalBytes: number;
  readonly pages: number;
}

const alignUp = (x: number, a: number): number => Math.ceil(x / a) * a;

/** Capacity (elements) for a maximum message size in bytes: rounded down to CAPACITY_ALIGN, min one. */
export function capacityFor(maxMessageBytes: number): number {
  const c = Math.floor(maxMessageBytes / 4 / CAPACITY_ALIGN) * CAPACITY_ALIGN;
  return Math.max(CAPACITY_ALIGN, c);
}

export function computeLayout(heapBase: number, worldSize: number, capacity: number): Layout {
  if (!Number.isInteger(worldSize) || worldSize < 1 || worldSize > 4095) {
    throw new RangeError(`worldSize must be an integer in 1..4095, got ${worldSize}`);
  }
  if (!Number.isInteger(capacity) || capacity < CAPACITY_ALIGN || capacity % CAPACITY_ALIGN !== 0) {
    throw new RangeError(`capacity must be a positive multiple of ${CAPACITY_ALIGN}, got ${capacity}`);
  }
  const p = worldSize;
  const ctrlBase = alignUp(Math.max(heapBase, 8), LINE);
  const descBase = ctrlBase + (W_RANKS + p * RANK_WORDS) * 4;
  const srcsBase = descBase + p * 2 * DESC_WORDS * 4;
  const srcsStride = alignUp(4 * p, LINE);
  const slotBase = alignUp(srcsBase + p * srcsStride, 4096);
  const input = 0;
  const stage0 = input + alignUp(4 * capacity, LINE);
  const stage1 = stage0 + alignUp(4 * capacity, LINE);
  const scratch = stage1 + alignUp(4 * capacity, LINE);
  const packed = scratch + alignUp(4 * capacity, LINE);
  // quant-wasm's bound over every codec (f32 passthrough, 4 B/value, is the widest; nvfp4 adds its
  // tensor header per packed tensor): a segment is cut into at most max(p, MAX_PIECES) packed tensors
  // (two-shot chunks, pipeline pieces of algorithms/compressed-allgather.ts); one more for slack.
  const packedBytes = alignUp(maxPackedBytes(capacity, Math.max(p, MAX_PIECES) + 1), LINE);
  const packed1 = packed + packedBytes;
  const reduced = packed1 + packedBytes;
  // one owner chunk (≤ ⌈capacity/p⌉ rounded up to a block) as one packed tensor, plus a line of slack
  const reducedBytes = alignUp(maxPackedBytes(Math.ceil(capacity / p) + CAPACITY_ALIGN) + LINE, LINE);
  const slotBytes = alignUp(reduced + reducedBytes, 4096);
  const totalBytes = alignUp(slotBase + p * slotBytes, 65536);
  const pages = totalBytes / 65536;
  if (pages > 65536) {
    throw new RangeError(
      `shared memory of ${totalBytes} bytes exceeds 4 GiB: lower maxMessageBytes (${4 * capacity}) or worldSize (${p})`,
    );
  }
  return {
    version: LAYOUT_VERSION, worldSize: p, heapBase, ctrlBase, capacity, descBase, srcsBase, srcsStride,
    slotBase, slotBytes, input, stage0, stage1, scratch, packed, packed1, packedBytes, reduced, reducedBytes, totalBytes, pages,
  };
}

/** Int32 index of a rank's word (R_FLAG, R_SLEEPERS, R_CLOSED). */
export function rankWord(l: Layout, rank: number, word: number): number {
  return l.ctrlBase / 4 + W_RANKS + rank * RANK_WORDS + word;
}
/** Int32 index of a header/abort word. */
export function ctrlWord(l: Layout, word: number): number {
  return l.ctrlBase / 4 + word;
}
/** Int32 index of word 0 of a rank's descriptor for the op with sequence number `seq`. */
export function descWord(l: Layout, rank: number, seq: number): number {
  return l.descBase / 4 + (rank * 2 + (seq & 1)) * DESC_WORDS;
}
/** Byte offset of a rank's region. */
export function slotOffset(l: Layout, rank: number, region: number): number {
  return l.slotBase + rank * l.slotBytes + region;
}

/** Write the header words (the host does this once; ranks check them). */
export function writeHeader(i32: Int32Array, l: Layout): void {
  Atomics.store(i32, ctrlWord(l, W_MAGIC), MAGIC);
  Atomics.store(i32, ctrlWord(l, W_VERSION), LAYOUT_VERSION);
  Atomics.store(i32, ctrlWord(l, W_WORLD), l.worldSize);
  Atomics.store(i32, ctrlWord(l, W_CAPACITY), l.capacity);
}

/** Check that the memory holds a group with this layout (a mismatch means a mixed-version group). */
export function checkHeader(i32: Int32Array, l: Layout): void {
  const got = [W_MAGIC, W_VERSION, W_WORLD, W_CAPACITY].map((w) => Atomics.load(i32, ctrlWord(l, w)));
  const want = [MAGIC, LAYOUT_VERSION, l.worldSize, l.capacity];
  if (got.some((g, i) => g !== want[i])) {
    throw new Error(`shared memory header ${got.join(",")} does not match the layout ${want.join(",")} (memory not initialised by createGroup, or a different version)`);
  }
}
