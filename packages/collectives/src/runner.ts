// Running one function on every rank of a spawned group and collecting the results. Shared by the Node
// adapter (node/spawn.ts) and the browser adapter (web/spawn.ts): they differ only in how a run request
// reaches a worker and how a worker's death is noticed, which they pass in as a RunTransport.
import { reasonName, type AbortReasonName } from "./errors.js";
import type { GroupHandle } from "./group.js";
import { describeAbort } from "./sync.js";

/** run() failed: which rank failed first, why, and what every rank reported. */
export class GroupError extends Error {
  constructor(
    message: string,
    /** the rank at fault (from the group's abort record, else the first rank that reported an error) */
    readonly failedRank: number,
    readonly reason: AbortReasonName | "error",
    /** per rank: its error, or undefined if it completed */
    readonly errors: (Error | undefined)[],
    /** per rank: its return value when it completed (undefined otherwise) */
    readonly results: unknown[] = [],
  ) {
    super(message);
    this.name = "GroupError";
  }
}

/** How the runner reaches the workers. */
export interface RunTransport {
  /** Post run request `id` with `data` to `rank`'s worker; throw if it cannot be sent. */
  send(rank: number, id: number, data: unknown): void;
  /** False when the rank's worker is known to be gone (default: always alive). */
  alive?(rank: number): boolean;
}

interface PendingRun {
  resolve(v: unknown): void;
  reject(e: Error): void;
}

/** One run at a time over a group's workers; settles runs from worker answers and failures. */
export class GroupRunner {
  private readonly pending: (PendingRun | undefined)[];
  private runId = 0;
  private running = false;
  private closed = false;

  constructor(
    private readonly handle: GroupHandle,
    private readonly worldSize: number,
    /** after a failure, how long run() waits for the other ranks to report (ms) */
    private readonly graceMs: number,
    private readonly transport: RunTransport,
  ) {
    this.pending = new Array(worldSize).fill(undefined);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** A worker answered run `id` (a stale answer from an earlier run is ignored). */
  settle(rank: number, id: number | undefined, outcome: { value: unknown } | { error: Error }): void {
    const p = this.pending[rank];
    if (!p || id !== this.runId) return;
    this.pending[rank] = undefined;
    if ("error" in outcome) p.reject(outcome.error);
    else p.resolve(outcome.value);
  }

  /** A rank failed outside a run answer: abort the group naming it (unless closing) and fail its run. */
  fail(rank: number, reason: AbortReasonName, err: Error, detail = 0): void {
    if (!this.closed) this.handle.abort(rank, reason, detail);
    const p = this.pending[rank];
    this.pending[rank] = undefined;
    p?.reject(err);
  }

  /** Abort the group and reject every pending run; false when already closed. */
  close(): boolean {
    if (this.closed) return false;
    this.closed = true;
    this.handle.abort(0, "shutdown");
    for (let r = 0; r < this.worldSize; r++) {
      const p = this.pending[r];
      this.pending[r] = undefined;
      p?.reject(new Error(`rank ${r}: the group was shut down`));
    }
    return true;
  }

  /**
   * Run the rank function on every rank with `data` (or `data(rank)`), resolving to the ranks' return
   * values in rank order, or rejecting with a GroupError.
   */
  async run<R>(data?: unknown): Promise<R[]> {
    if (this.closed) throw new Error("the group was shut down");
    if (this.running) throw new Error("run() is already in progress on this group");
    const { handle, worldSize, graceMs: grace, pending, transport } = this;
    const prior = handle.failure();
    if (prior) throw new GroupError(`the group already failed: ${describeAbort(prior)}`, prior.failedRank, reasonName(prior.reason), []);
    this.running = true;
    const id = ++this.runId;
    const results: unknown[] = new Array(worldSize);
    const errors: (Error | undefined)[] = new Array(worldSize).fill(undefined);
    let graceTimer: ReturnType<typeof setTimeout> | undefined;
    let onStuck: (() => void) | undefined;
    const stuck = new Promise<void>((res) => { onStuck = res; });
    const startGrace = () => {
      if (graceTimer === undefined) graceTimer = setTimeout(() => onStuck!(), grace);
    };
    // A rank may record a failure (e.g. a timeout) and then return normally: watch the abort record,
    // so a rank that never comes back (stuck outside collectives) cannot hold run() forever.
    const watch = setInterval(() => { if (handle.failure()) startGrace(); }, 50);
    try {
      const perRank = Array.from({ length: worldSize }, (_, r) => new Promise<void>((res) => {
        if (transport.alive && !transport.alive(r)) {
          errors[r] = new Error(`rank ${r}: worker is not running`);
          startGrace();
          res();
          return;
        }
        pending[r] = {
          resolve: (v) => { results[r] = v; res(); },
          reject: (e) => { errors[r] = e; startGrace(); res(); },
        };
        const d = typeof data === "function" ? (data as (rank: number) => unknown)(r) : data;
        try {
          transport.send(r, id, d);
        } catch (e) {
          this.fail(r, "messageError", new Error(`rank ${r}: could not send its data: ${(e as Error).message}`));
        }
      }));
      await Promise.race([Promise.all(perRank), stuck]);
      for (let r = 0; r < worldSize; r++) {
        if (pending[r]) {
          errors[r] = new Error(`rank ${r}: still running ${grace} ms after the group failed (not calling collectives?)`);
          pending[r] = undefined;
        }
      }
      if (errors.every((e) => e === undefined)) return results as R[];
      const f = handle.failure();
      const first = errors.findIndex((e) => e !== undefined);
      const failedRank = f ? f.failedRank : first;
      const reason = f ? reasonName(f.reason) : "error";
      const cause = f ? describeAbort(f) : errors[first]!.message;
      const own = errors[failedRank]?.message;
      throw new GroupError(`group run failed: ${cause}${own && own !== cause ? ` — rank ${failedRank}: ${own}` : ""}`, failedRank, reason, errors, results);
    } finally {
      if (graceTimer !== undefined) clearTimeout(graceTimer);
      clearInterval(watch);
      this.running = false;
    }
  }
}
