// Node adapter: a group of N worker_threads sharing one memory. The host watches every worker and
// turns a crash, an uncaught error or an exit into an abort of the group (all ranks' pending and
// future calls then throw a CollectiveError naming the rank), and shutdown() always terminates.
import { availableParallelism } from "node:os";
import { resolve as resolvePath } from "node:path";
import { pathToFileURL } from "node:url";
import { Worker, type ResourceLimits } from "node:worker_threads";
import { reasonName, type AbortReasonName } from "../errors.js";
import { type CreateGroupOptions, type GroupHandle, createGroup } from "../group.js";
import { type AbortInfo, describeAbort } from "../sync.js";
import { type SerializedError, deserializeError } from "./errors.js";

export interface SpawnOptions extends CreateGroupOptions {
  worldSize: number;
  /** The module every rank runs: a path, a file: URL or URL string. It exports the rank function. */
  module: string | URL;
  /** Name of the exported rank function (default "default"). */
  export?: string;
  /** After a failure, how long run() waits for the other ranks to report before giving up (ms, default 2000). */
  abortGraceMs?: number;
  execArgv?: string[];
  resourceLimits?: ResourceLimits;
}

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

export interface Group {
  readonly worldSize: number;
  readonly handle: GroupHandle;
  /**
   * Run the module's function on every rank with `data` (or `data(rank)`), resolving to the ranks'
   * return values in rank order, or rejecting with a GroupError. One run at a time.
   */
  run<R = unknown>(data?: unknown): Promise<R[]>;
  /** The recorded failure, or null. */
  failure(): AbortInfo | null;
  /** Terminate every worker (aborting any call still in flight). Idempotent; never hangs. */
  shutdown(): Promise<void>;
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
}

function toModuleUrl(m: string | URL): string {
  if (m instanceof URL) return m.href;
  if (/^[a-z][a-z0-9+.-]*:/i.test(m) && !/^[a-z]:[\\/]/i.test(m)) return m;
  return pathToFileURL(resolvePath(m)).href;
}

/** Spawn `worldSize` worker_threads that each join the group and import `module`. */
export async function spawnGroup(options: SpawnOptions): Promise<Group> {
  const { worldSize } = options;
  const handle = await createGroup(worldSize, { cores: availableParallelism(), ...options });
  const moduleUrl = toModuleUrl(options.module);
  const exportName = options.export ?? "default";
  const grace = options.abortGraceMs ?? 2000;
  const workerUrl = new URL("./worker.js", import.meta.url);
  const workers: Worker[] = [];
  const alive: boolean[] = new Array(worldSize).fill(true);
  const pending: (Pending | undefined)[] = new Array(worldSize).fill(undefined);
  let shuttingDown = false;
  let runId = 0;
  let running = false;

  const fail = (rank: number, reason: AbortReasonName, detail: number, err: Error) => {
    if (!shuttingDown) handle.abort(rank, reason, detail);
    const p = pending[rank];
    pending[rank] = undefined;
    p?.reject(err);
  };

  const ready = new Promise<void>((resolveReady, rejectReady) => {
    let nReady = 0;
    for (let r = 0; r < worldSize; r++) {
      const w = new Worker(workerUrl, {
        workerData: { init: handle.rankInit(r), moduleUrl, exportName },
        execArgv: options.execArgv,
        resourceLimits: options.resourceLimits,
      });
      workers.push(w);
      w.on("message", (m: { type: string; id?: number; value?: unknown; error?: SerializedError }) => {
        if (m.type === "ready") {
          if (++nReady === worldSize) resolveReady();
        } else if (m.type === "init-error") {
          rejectReady(Object.assign(deserializeError(m.error!), { message: `rank ${r} could not start: ${m.error!.message}` }));
        } else if (m.type === "result" || m.type === "error") {
          const p = pending[r];
          if (!p || m.id !== runId) return;
          pending[r] = undefined;
          if (m.type === "result") p.resolve(m.value);
          else p.reject(deserializeError(m.error!));
        }
      });
      w.on("error", (e: Error) => {
        fail(r, "threw", 0, Object.assign(e, { message: `rank ${r}: uncaught error in its worker: ${e.message}` }));
        rejectReady(e);
      });
      w.on("messageerror", (e: Error) => fail(r, "messageError", 0, e));
      w.on("exit", (code: number) => {
        alive[r] = false;
        if (!shuttingDown) {
          fail(r, "exited", code, new Error(`rank ${r}: worker exited with code ${code}`));
          rejectReady(new Error(`rank ${r}: worker exited with code ${code} during start-up`));
        }
      });
    }
  });

  const shutdown = async (): Promise<void> => {
    if (shuttingDown) return;
    shuttingDown = true;
    handle.abort(0, "shutdown");
    for (let r = 0; r < worldSize; r++) {
      const p = pending[r];
      pending[r] = undefined;
      p?.reject(new Error(`rank ${r}: the group was shut down`));
    }
    await Promise.all(workers.map((w) => w.terminate().catch(() => undefined)));
  };

  try {
    await ready;
  } catch (e) {
    await shutdown();
    throw e;
  }

  const run = async <R>(data?: unknown): Promise<R[]> => {
    if (shuttingDown) throw new Error("the group was shut down");
    if (running) throw new Error("run() is already in progress on this group");
    const prior = handle.failure();
    if (prior) throw new GroupError(`the group already failed: ${describeAbort(prior)}`, prior.failedRank, reasonName(prior.reason), []);
    running = true;
    const id = ++runId;
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
      const perRank = workers.map((w, r) => new Promise<void>((res) => {
        if (!alive[r]) {
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
          w.postMessage({ type: "run", id, data: d });
        } catch (e) {
          fail(r, "messageError", 0, new Error(`rank ${r}: could not send its data: ${(e as Error).message}`));
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
      running = false;
    }
  };

  return { worldSize, handle, run, shutdown, failure: () => handle.failure() };
}

/** Spawn a group, run `module`'s function once with `data`, shut down (always). */
export async function runGroup<R = unknown>(worldSize: number, module: string | URL, data?: unknown, options: Omit<SpawnOptions, "worldSize" | "module"> = {}): Promise<R[]> {
  const g = await spawnGroup({ ...options, worldSize, module });
  try {
    return await g.run<R>(data);
  } finally {
    await g.shutdown();
  }
}
