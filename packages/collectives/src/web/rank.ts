// Worker side of the browser adapter: the module given to spawnWebGroup as `workerUrl` calls
// serveRank(fn) once at top level. It joins the group from the RankInit the page posts, then runs
// `fn` once per group.run(). A failure of this rank is recorded in the group's shared memory with the
// core's abortGroupMemory (as the Node adapter's worker does), so peers blocked in a collective wake at
// once and throw a CollectiveError naming this rank.
import { createCommunicator } from "../communicator.js";
import { AbortReason, CollectiveError } from "../errors.js";
import { serializeError } from "../wire-errors.js";
import { abortGroupMemory } from "../sync.js";
import type { Communicator, RankInit } from "../types.js";
import { type HostMessage, type RankMessage, WEB_PROTOCOL } from "./protocol.js";

/** The function every rank runs (the same signature as the Node adapter's RankFunction). */
export type WebRankFunction = (comm: Communicator, data: unknown, ctx: { rank: number; worldSize: number }) => unknown;

/** The parts of DedicatedWorkerGlobalScope used here (the package compiles against the DOM lib). */
interface WorkerScope {
  postMessage(message: RankMessage): void;
  addEventListener(type: "message", listener: (e: MessageEvent<HostMessage>) => void): void;
  addEventListener(type: "messageerror", listener: (e: MessageEvent) => void): void;
  addEventListener(type: "unhandledrejection", listener: (e: PromiseRejectionEvent) => void): void;
}

let served = false;

/**
 * Serve this worker as one rank of a group spawned by spawnWebGroup. Call it once, at the top level
 * of the worker module (a module Web Worker). Returns at once; everything else is message driven.
 */
export function serveRank(fn: WebRankFunction): void {
  if (typeof fn !== "function") throw new TypeError("serveRank(fn): fn must be a function");
  const scope = globalThis as unknown as WorkerScope;
  if (typeof (globalThis as { document?: unknown }).document !== "undefined" || typeof scope.postMessage !== "function") {
    throw new Error("serveRank() must be called inside a Web Worker started by spawnWebGroup");
  }
  if (served) throw new Error("serveRank() was already called in this worker");
  served = true;

  let init: RankInit | undefined;
  let comm: Communicator | undefined;

  /** Record this rank's failure in shared memory (first failure wins; no-op before init). */
  const failGroup = (reason: number) => {
    if (init) abortGroupMemory(new Int32Array(init.memory.buffer), init.layout, init.rank, reason, init.rank);
  };

  scope.addEventListener("message", (e) => {
    const m = e.data;
    if (m.type === "init") {
      if (comm) return;
      try {
        if (m.protocol !== WEB_PROTOCOL) {
          throw new Error(`the page speaks web protocol ${m.protocol}, this worker ${WEB_PROTOCOL}: load both from the same build`);
        }
        init = m.init;
        comm = createCommunicator(m.init);
        scope.postMessage({ type: "ready" });
      } catch (err) {
        scope.postMessage({ type: "init-error", error: serializeError(err) });
      }
      return;
    }
    if (m.type !== "run" || !comm || !init) return;
    const rankInit = init, c = comm;
    void (async () => {
      let value: unknown;
      try {
        value = await fn(c, m.data, { rank: rankInit.rank, worldSize: rankInit.worldSize });
      } catch (err) {
        // This rank's code failed: fail the group now so peers stop waiting for it (unless the error is
        // itself the consequence of an earlier failure, which is already recorded).
        if (!(err instanceof CollectiveError && err.code === "aborted")) failGroup(AbortReason.threw);
        scope.postMessage({ type: "error", id: m.id, error: serializeError(err) });
        return;
      }
      try {
        scope.postMessage({ type: "result", id: m.id, value });
      } catch (err) {
        failGroup(AbortReason.threw);
        const msg = `rank ${rankInit.rank}: result could not be sent to the page: ${(err as Error).message}`;
        scope.postMessage({ type: "error", id: m.id, error: serializeError(new Error(msg)) });
      }
    })();
  });

  // A message from the page that cannot be deserialized here: the rank cannot take part.
  scope.addEventListener("messageerror", () => {
    failGroup(AbortReason.messageError);
    const rank = init ? `rank ${init.rank}` : "a rank";
    scope.postMessage({ type: "fatal", reason: "messageError", error: serializeError(new Error(`${rank}: a message from the page could not be deserialized`)) });
  });

  // An unhandled rejection outside fn (which is awaited) fails the rank, as it would a Node worker.
  // (Synchronous uncaught errors reach the page as the Worker's `error` event; spawn.ts handles those.)
  scope.addEventListener("unhandledrejection", (e) => {
    failGroup(AbortReason.threw);
    const err = e.reason instanceof Error ? e.reason : new Error(`unhandled rejection: ${String(e.reason)}`);
    scope.postMessage({ type: "fatal", reason: "threw", error: serializeError(err) });
  });

  scope.postMessage({ type: "hello", protocol: WEB_PROTOCOL });
}
