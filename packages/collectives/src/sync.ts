/**
 * Synchronization between the ranks of a group, entirely through Int32 words of the shared memory
 * (layout.ts). Runtime-neutral: only Atomics and performance.now().
 *
 * Protocol
 * - Every rank owns one monotonically increasing step counter FLAG[r]. A collective is a fixed
 *   sequence of steps (the same on every rank for the same call); after writing the data a step
 *   produces, rank r publishes FLAG[r] = step (Atomics.store: everything written before it, by JS
 *   or by the wasm kernels, is visible to a rank that observes the new value with Atomics.load).
 * - A rank that needs peer q's data of step s waits until FLAG[q] ≥ s (wrap-safe comparison; the
 *   counter never repeats a value within 2^31 steps, so a wake-up is never confused with an old one).
 * - Waiting: poll with Atomics.load up to `spinCount` times (checking the abort word every 4096
 *   polls), then park: SLEEPERS[q] += 1, re-check FLAG[q], Atomics.wait(FLAG[q], lastSeen, slice),
 *   SLEEPERS[q] −= 1, and re-check the abort word, the peer's CLOSED word and the timeout after every
 *   slice. The publisher stores FLAG then reads SLEEPERS and notifies only when someone is parked;
 *   both sides use sequentially consistent atomics, so either the publisher sees the sleeper or the
 *   sleeper sees the new FLAG: no lost wake-ups, and no notify cost (~60 ns) when nobody sleeps.
 * - Abort: one word ABORT = reason << 24 | (reporter + 1) << 12 | failedRank (0 = healthy), written
 *   once under ABORT_LOCK (first failure wins), with ABORT_DETAIL written before it; then every FLAG
 *   and the ABORT word are notified, so parked ranks wake at once. Every wait and every call checks
 *   it and throws a CollectiveError naming the failed rank.
 */
import { AbortReason, CollectiveError, reasonName } from "./errors.js";
import {
  type Layout, R_CLOSED, R_FLAG, R_SLEEPERS, W_ABORT, W_ABORT_DETAIL, W_ABORT_LOCK, ctrlWord, rankWord,
} from "./layout.js";

/** Host (not a rank) as the reporter of an abort. */
export const HOST = -1;

export interface AbortInfo {
  failedRank: number;
  reason: number;
  /** rank that reported it, or HOST */
  reporter: number;
  detail: number;
}

export function decodeAbort(word: number, detail: number): AbortInfo {
  return {
    failedRank: word & 0xfff,
    reporter: ((word >>> 12) & 0xfff) - 1,
    reason: (word >>> 24) & 0x7f,
    detail,
  };
}

/**
 * Abort the group: record (failedRank, reason) unless a failure is already recorded, and wake every
 * waiter. Safe from any thread that holds the memory (a rank, a Node host, a browser main thread).
 * Returns false when an earlier failure was already recorded (that one stays the reported cause).
 */
export function abortGroupMemory(
  i32: Int32Array, layout: Layout, failedRank: number, reason: number, reporter: number = HOST, detail = 0,
): boolean {
  const won = Atomics.compareExchange(i32, ctrlWord(layout, W_ABORT_LOCK), 0, 1) === 0;
  if (won) {
    Atomics.store(i32, ctrlWord(layout, W_ABORT_DETAIL), detail | 0);
    const word = ((reason & 0x7f) << 24) | (((reporter + 1) & 0xfff) << 12) | (failedRank & 0xfff);
    Atomics.store(i32, ctrlWord(layout, W_ABORT), word);
  }
  Atomics.notify(i32, ctrlWord(layout, W_ABORT));
  for (let r = 0; r < layout.worldSize; r++) Atomics.notify(i32, rankWord(layout, r, R_FLAG));
  return won;
}

/** The recorded failure, or null while the group is healthy. */
export function readAbort(i32: Int32Array, layout: Layout): AbortInfo | null {
  const w = Atomics.load(i32, ctrlWord(layout, W_ABORT));
  if (w === 0) return null;
  return decodeAbort(w, Atomics.load(i32, ctrlWord(layout, W_ABORT_DETAIL)));
}

export function describeAbort(a: AbortInfo): string {
  const who = a.reporter === HOST ? "the host" : `rank ${a.reporter}`;
  switch (a.reason) {
    case AbortReason.threw: return `rank ${a.failedRank} failed: its code threw (reported by ${who})`;
    case AbortReason.exited: return `rank ${a.failedRank} failed: its worker exited${a.detail ? ` with code ${a.detail}` : ""} (reported by ${who})`;
    case AbortReason.timeout: return `rank ${a.failedRank} stopped answering: rank ${a.reporter} waited ${a.detail} ms for it`;
    case AbortReason.closed: return `rank ${a.failedRank} closed its communicator while rank ${a.reporter} was waiting for it`;
    case AbortReason.messageError: return `rank ${a.failedRank} failed: a message to it could not be deserialized (reported by ${who})`;
    case AbortReason.shutdown: return `the group was shut down by the host`;
    default: return `the group was aborted (rank ${a.failedRank}, reported by ${who})`;
  }
}

export function abortError(a: AbortInfo, rank: number): CollectiveError {
  return new CollectiveError(`collective aborted on rank ${rank}: ${describeAbort(a)}`, {
    code: "aborted", failedRank: a.failedRank, reason: reasonName(a.reason), reporter: a.reporter, rank,
  });
}

export interface SyncConfig {
  spinCount: number;
  /**
   * Adaptive spinning (waitMode "auto"): a wait that exhausts its polls halves the poll budget (down to
   * 64), a wait satisfied while polling doubles it (up to spinCount). When the peers are not running
   * at the same time (other processes share the cores), ranks then park instead of burning the time
   * slices their peers need.
   */
  adaptive: boolean;
  waitSliceMs: number;
  timeoutMs: number;
  timing: boolean;
}

/** One rank's view of the synchronization words. */
export class Sync {
  readonly i32: Int32Array;
  private readonly flag: Int32Array;
  private readonly sleepers: Int32Array;
  private readonly closed: Int32Array;
  private readonly abortIdx: number;
  private readonly myFlag: number;
  private readonly mySleepers: number;
  /** last published step of this rank */
  step: number;
  /** accumulated time spent waiting (ms), when timing is on */
  waitMs = 0;
  /** number of waits that found the peer not yet there (slow path) */
  slowWaits = 0;
  /** current poll budget (spinCount, or less when adaptive) */
  private spinBudget: number;

  constructor(
    i32: Int32Array, readonly layout: Layout, readonly rank: number, readonly cfg: SyncConfig,
  ) {
    this.i32 = i32;
    const p = layout.worldSize;
    this.flag = new Int32Array(p);
    this.sleepers = new Int32Array(p);
    this.closed = new Int32Array(p);
    for (let r = 0; r < p; r++) {
      this.flag[r] = rankWord(layout, r, R_FLAG);
      this.sleepers[r] = rankWord(layout, r, R_SLEEPERS);
      this.closed[r] = rankWord(layout, r, R_CLOSED);
    }
    this.abortIdx = ctrlWord(layout, W_ABORT);
    this.myFlag = this.flag[rank]!;
    this.mySleepers = this.sleepers[rank]!;
    this.step = Atomics.load(i32, this.myFlag);
    this.spinBudget = cfg.spinCount;
  }

  /** Throw if the group has been aborted. */
  checkAbort(): void {
    if (Atomics.load(this.i32, this.abortIdx) !== 0) this.throwAborted();
  }

  throwAborted(): never {
    throw abortError(readAbort(this.i32, this.layout)!, this.rank);
  }

  /** Record a failure of `failedRank` detected by this rank and wake everyone. */
  abort(failedRank: number, reason: number, detail = 0): void {
    abortGroupMemory(this.i32, this.layout, failedRank, reason, this.rank, detail);
  }

  /** Advance this rank's step counter and wake peers parked on it. */
  publish(): number {
    const s = (this.step + 1) | 0;
    this.step = s;
    Atomics.store(this.i32, this.myFlag, s);
    if (Atomics.load(this.i32, this.mySleepers) !== 0) Atomics.notify(this.i32, this.myFlag);
    return s;
  }

  /** Wait until peer q has published step `target`. */
  waitFor(q: number, target: number): void {
    const idx = this.flag[q]!;
    const v = Atomics.load(this.i32, idx);
    if (((v - target) | 0) >= 0) return;
    this.slowWait(q, idx, target);
  }

  /** Wait until every peer has published step `target`. */
  waitAll(target: number): void {
    const p = this.layout.worldSize;
    for (let q = 0; q < p; q++) if (q !== this.rank) this.waitFor(q, target);
  }

  /** publish() then waitAll(): a full barrier. Returns the step. */
  barrier(): number {
    const s = this.publish();
    this.waitAll(s);
    return s;
  }

  /** Mark this rank closed and wake anyone waiting for it. */
  markClosed(): void {
    Atomics.store(this.i32, this.closed[this.rank]!, 1);
    Atomics.notify(this.i32, this.myFlag);
  }

  private slowWait(q: number, idx: number, target: number): void {
    const i32 = this.i32;
    this.slowWaits++;
    const t0 = this.cfg.timing ? performance.now() : 0;
    const spin = this.spinBudget;
    let v = 0;
    for (let i = 1; i <= spin; i++) {
      v = Atomics.load(i32, idx);
      if (((v - target) | 0) >= 0) {
        if (this.cfg.adaptive) this.spinBudget = Math.min(this.cfg.spinCount, 2 * spin);
        if (this.cfg.timing) this.waitMs += performance.now() - t0;
        return;
      }
      if ((i & 4095) === 0 && Atomics.load(i32, this.abortIdx) !== 0) this.throwAborted();
    }
    if (this.cfg.adaptive) this.spinBudget = Math.max(Math.min(64, this.cfg.spinCount), spin >> 1);
    const start = performance.now();
    const sl = this.sleepers[q]!;
    for (;;) {
      if (Atomics.load(i32, this.abortIdx) !== 0) this.throwAborted();
      Atomics.add(i32, sl, 1);
      v = Atomics.load(i32, idx);
      if (((v - target) | 0) >= 0) {
        Atomics.sub(i32, sl, 1);
        break;
      }
      Atomics.wait(i32, idx, v, this.cfg.waitSliceMs);
      Atomics.sub(i32, sl, 1);
      v = Atomics.load(i32, idx);
      if (((v - target) | 0) >= 0) break;
      if (Atomics.load(i32, this.abortIdx) !== 0) this.throwAborted();
      if (Atomics.load(i32, this.closed[q]!) !== 0) {
        this.abort(q, AbortReason.closed);
        this.throwAborted();
      }
      const waited = performance.now() - start;
      if (waited > this.cfg.timeoutMs) {
        this.abort(q, AbortReason.timeout, Math.round(waited));
        const lagging: number[] = [];
        for (let r = 0; r < this.layout.worldSize; r++) {
          if (r !== this.rank && ((Atomics.load(i32, this.flag[r]!) - target) | 0) < 0) lagging.push(r);
        }
        const e = abortError(readAbort(i32, this.layout)!, this.rank);
        if (lagging.length > 1) e.message += ` (ranks ${lagging.join(", ")} had not reached step ${target})`;
        throw e;
      }
    }
    if (this.cfg.timing) this.waitMs += performance.now() - t0;
  }

  /**
   * Sleep/spin until performance.now() ≥ deadline (link emulation). Delays over 0.3 ms park on the
   * abort word for all but the last 0.2 ms (so an abort still interrupts them and the core is free for
   * the peers), then spin to the deadline.
   */
  delayUntil(deadline: number): void {
    for (;;) {
      const left = deadline - performance.now();
      if (left <= 0) return;
      if (left > 0.3) {
        Atomics.wait(this.i32, this.abortIdx, 0, left - 0.2);
        this.checkAbort();
      }
    }
  }
}
