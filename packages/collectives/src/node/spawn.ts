// Node adapter: a group of N worker_threads sharing one memory. The host watches every worker and
// turns a crash, an uncaught error or an exit into an abort of the group (all ranks' pending and
// future calls then throw a CollectiveError naming the rank), and shutdown() always terminates.
import { availableParallelism } from "node:os";
import { resolve as resolvePath } from "node:path";
import { pathToFileURL } from "node:url";
import { Worker, type ResourceLimits } from "node:worker_threads";
import type { AbortReasonName } from "../errors.js";
import { type CreateGroupOptions, type GroupHandle, createGroup } from "../group.js";
import { GroupError, GroupRunner } from "../runner.js";
import type { AbortInfo } from "../sync.js";
import { type SerializedError, deserializeError } from "../wire-errors.js";

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

export { GroupError };

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
  const runner = new GroupRunner(handle, worldSize, grace, {
    send: (r, id, data) => workers[r]!.postMessage({ type: "run", id, data }),
    alive: (r) => alive[r]!,
  });
  const fail = (rank: number, reason: AbortReasonName, detail: number, err: Error) => runner.fail(rank, reason, err, detail);

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
          runner.settle(r, m.id, m.type === "result" ? { value: m.value } : { error: deserializeError(m.error!) });
        }
      });
      w.on("error", (e: Error) => {
        fail(r, "threw", 0, Object.assign(e, { message: `rank ${r}: uncaught error in its worker: ${e.message}` }));
        rejectReady(e);
      });
      w.on("messageerror", (e: Error) => fail(r, "messageError", 0, e));
      w.on("exit", (code: number) => {
        alive[r] = false;
        if (!runner.isClosed) {
          fail(r, "exited", code, new Error(`rank ${r}: worker exited with code ${code}`));
          rejectReady(new Error(`rank ${r}: worker exited with code ${code} during start-up`));
        }
      });
    }
  });

  const shutdown = async (): Promise<void> => {
    if (!runner.close()) return;
    await Promise.all(workers.map((w) => w.terminate().catch(() => undefined)));
  };

  try {
    await ready;
  } catch (e) {
    await shutdown();
    throw e;
  }

  const run = <R>(data?: unknown): Promise<R[]> => runner.run<R>(data);

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
