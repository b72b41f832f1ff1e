// Entry point of every rank's worker_thread (spawned by spawn.ts). Joins the group, imports the
// user's module and runs its exported function once per group.run(), reporting results and errors.
import { parentPort, workerData } from "node:worker_threads";
import { createCommunicator } from "../communicator.js";
import { AbortReason, CollectiveError } from "../errors.js";
import { abortGroupMemory } from "../sync.js";
import type { Communicator, RankInit } from "../types.js";
import { serializeError } from "../wire-errors.js";

/** The signature of the function a worker module exports. */
export type RankFunction = (comm: Communicator, data: unknown, ctx: { rank: number; worldSize: number }) => unknown;

interface WorkerData {
  init: RankInit;
  moduleUrl: string;
  exportName: string;
}

const port = parentPort!;
const { init, moduleUrl, exportName } = workerData as WorkerData;

let comm: Communicator;
let fn: RankFunction;
try {
  comm = createCommunicator(init);
  const mod = (await import(moduleUrl)) as Record<string, unknown>;
  const f = mod[exportName];
  if (typeof f !== "function") throw new TypeError(`module ${moduleUrl} does not export a function "${exportName}"`);
  fn = f as RankFunction;
  port.postMessage({ type: "ready" });
} catch (e) {
  port.postMessage({ type: "init-error", error: serializeError(e) });
}

port.on("message", (m: { type: string; id: number; data: unknown }) => {
  if (m.type !== "run") return;
  void (async () => {
    let value: unknown;
    try {
      value = await fn(comm, m.data, { rank: init.rank, worldSize: init.worldSize });
    } catch (e) {
      // This rank's code failed: fail the group now so peers stop waiting for it (unless the error is
      // itself the consequence of an earlier failure, which is already recorded).
      if (!(e instanceof CollectiveError && e.code === "aborted")) {
        abortGroupMemory(new Int32Array(init.memory.buffer), init.layout, init.rank, AbortReason.threw, init.rank);
      }
      port.postMessage({ type: "error", id: m.id, error: serializeError(e) });
      return;
    }
    try {
      port.postMessage({ type: "result", id: m.id, value });
    } catch (e) {
      abortGroupMemory(new Int32Array(init.memory.buffer), init.layout, init.rank, AbortReason.threw, init.rank);
      port.postMessage({ type: "error", id: m.id, error: serializeError(new Error(`rank ${init.rank}: result could not be sent to the host: ${(e as Error).message}`)) });
    }
  })();
});
