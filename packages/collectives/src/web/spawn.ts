// Browser adapter, page side: a group of N module Web Workers sharing one WebAssembly.Memory (the page
// must be cross-origin isolated: COOP same-origin + COEP require-corp, else there is no shared memory).
// Mirrors the Node adapter (../node/spawn.ts): the page watches every worker and turns an uncaught error
// (`error` event), an undeliverable message (`messageerror`) or a rank's fatal report into an abort of the
// group with the core's GroupHandle.abort, so every rank's pending and future calls throw a
// CollectiveError naming the rank; shutdown() always terminates. Browsers have no worker `exit` event:
// a worker that closes itself is detected by its peers' timeout (`timeoutMs`).
import type { AbortReasonName } from "../errors.js";
import { type CreateGroupOptions, type GroupHandle, createGroup } from "../group.js";
import { type SerializedError, deserializeError } from "../wire-errors.js";
import { GroupError, GroupRunner } from "../runner.js";
import type { AbortInfo } from "../sync.js";
import { type HostMessage, type RankMessage, WEB_PROTOCOL } from "./protocol.js";

export interface WebSpawnOptions extends CreateGroupOptions {
  worldSize: number;
  /**
   * The worker module every rank runs, started with `new Worker(workerUrl, { type: "module" })`. It must
   * call `serveRank(fn)` from `@tensorwire/collectives/web` at top level.
   */
  workerUrl: string | URL;
  /** Worker names shown in devtools: `${name} ${rank}` (default "tensorwire rank"). */
  name?: string;
  /** After a failure, how long run() waits for the other ranks to report before giving up (ms, default 2000). */
  abortGraceMs?: number;
  /** How long every worker may take to load and join the group (ms, default 30 000). */
  startTimeoutMs?: number;
}

export { GroupError };

export interface WebGroup {
  readonly worldSize: number;
  readonly handle: GroupHandle;
  readonly workers: readonly Worker[];
  /**
   * Run the workers' rank function on every rank with `data` (or `data(rank)`), resolving to the ranks'
   * return values in rank order, or rejecting with a GroupError. One run at a time.
   */
  run<R = unknown>(data?: unknown): Promise<R[]>;
  /** The recorded failure, or null. */
  failure(): AbortInfo | null;
  /** Terminate every worker (aborting any call still in flight). Idempotent; never hangs. */
  shutdown(): Promise<void>;
}

function errorEventMessage(e: Event): string {
  const ee = e as ErrorEvent;
  if (typeof ee.message === "string" && ee.message) {
    return ee.filename ? `${ee.message} (${ee.filename}:${ee.lineno}:${ee.colno})` : ee.message;
  }
  return "the worker script failed to load (network error, a non-JavaScript MIME type, a syntax error or an unresolvable import)";
}

/** Start `worldSize` module Web Workers that each join one new group. */
export async function spawnWebGroup(options: WebSpawnOptions): Promise<WebGroup> {
  const { worldSize } = options;
  if (typeof Worker !== "function") throw new Error("spawnWebGroup needs Web Workers (call it from a page or a worker)");
  if (typeof SharedArrayBuffer !== "function" || (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === false) {
    throw new Error("spawnWebGroup needs shared memory: serve the page cross-origin isolated " +
      "(Cross-Origin-Opener-Policy: same-origin, Cross-Origin-Embedder-Policy: require-corp)");
  }
  const handle = await createGroup(worldSize, options);
  const workerUrl = options.workerUrl instanceof URL ? options.workerUrl.href : options.workerUrl;
  const grace = options.abortGraceMs ?? 2000;
  const startTimeout = options.startTimeoutMs ?? 30_000;
  const name = options.name ?? "tensorwire rank";
  const workers: Worker[] = [];
  const ready: boolean[] = new Array(worldSize).fill(false);
  const runner = new GroupRunner(handle, worldSize, grace, {
    send: (r, id, data) => workers[r]!.postMessage({ type: "run", id, data } satisfies HostMessage),
  });
  const fail = (rank: number, reason: AbortReasonName, err: Error) => runner.fail(rank, reason, err);

  let startTimer: ReturnType<typeof setTimeout> | undefined;
  const started = new Promise<void>((resolveReady, rejectReady) => {
    let nReady = 0;
    startTimer = setTimeout(() => {
      const late = ready.flatMap((ok, r) => (ok ? [] : [r]));
      rejectReady(new Error(`rank(s) ${late.join(", ")} did not join within ${startTimeout} ms ` +
        `(does ${workerUrl} call serveRank() from @tensorwire/collectives/web?)`));
    }, startTimeout);
    for (let r = 0; r < worldSize; r++) {
      const w = new Worker(workerUrl, { type: "module", name: `${name} ${r}` });
      workers.push(w);
      const post = (m: HostMessage) => w.postMessage(m);
      w.addEventListener("message", (e: MessageEvent<RankMessage>) => {
        const m = e.data;
        switch (m.type) {
          case "hello":
            try {
              post({ type: "init", protocol: WEB_PROTOCOL, init: handle.rankInit(r) });
            } catch (err) {
              rejectReady(new Error(`rank ${r}: could not send its init object: ${(err as Error).message}`));
            }
            break;
          case "ready":
            ready[r] = true;
            if (++nReady === worldSize) resolveReady();
            break;
          case "init-error":
            rejectReady(Object.assign(deserializeError(m.error), { message: `rank ${r} could not start: ${m.error.message}` }));
            break;
          case "result":
          case "error": {
            runner.settle(r, m.id, m.type === "result" ? { value: m.value } : { error: deserializeError(m.error) });
            break;
          }
          case "fatal": {
            const err = deserializeError(m.error);
            fail(r, m.reason, Object.assign(err, { message: `rank ${r}: ${m.reason === "threw" ? "unhandled error in its worker" : "message error"}: ${err.message}` }));
            break;
          }
        }
      });
      // An uncaught error in the worker (or a script that failed to load): fail the rank, and the group.
      w.addEventListener("error", (e: Event) => {
        e.preventDefault();
        const msg = errorEventMessage(e);
        if (!ready[r]) {
          rejectReady(new Error(`rank ${r}: worker ${workerUrl} failed during start-up: ${msg}`));
          return;
        }
        fail(r, "threw", new Error(`rank ${r}: uncaught error in its worker: ${msg}`));
      });
      // A message from the worker that cannot be deserialized on the page.
      w.addEventListener("messageerror", () => {
        fail(r, "messageError", new Error(`rank ${r}: a message from its worker could not be deserialized`));
      });
    }
  });

  const shutdown = async (): Promise<void> => {
    if (startTimer !== undefined) clearTimeout(startTimer);
    if (!runner.close()) return;
    for (const w of workers) w.terminate();
  };

  try {
    await started;
  } catch (e) {
    await shutdown();
    throw e;
  } finally {
    if (startTimer !== undefined) clearTimeout(startTimer);
  }

  const run = <R>(data?: unknown): Promise<R[]> => runner.run<R>(data);

  return { worldSize, handle, workers, run, shutdown, failure: () => handle.failure() };
}

/** Spawn a group, run the workers' function once with `data`, shut down (always). */
export async function runWebGroup<R = unknown>(options: WebSpawnOptions, data?: unknown): Promise<R[]> {
  const g = await spawnWebGroup(options);
  try {
    return await g.run<R>(data);
  } finally {
    await g.shutdown();
  }
}
