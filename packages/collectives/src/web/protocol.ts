// Messages between the page (spawn.ts) and each rank's Web Worker (rank.ts). Plain structured-cloneable
// objects; errors travel serialized (../wire-errors.ts, shared with the Node adapter).
//
//   page                                   worker (user module that calls serveRank(fn))
//    | new Worker(workerUrl, {type:module}) |
//    |<------------- hello ------------------|  serveRank() installed its listener
//    |-------------- init {init} ----------->|  createCommunicator(init)
//    |<------ ready | init-error {error} ----|
//    |-------------- run {id, data} -------->|  fn(comm, data, ctx)
//    |<--- result {id, value} | error {id} --|
//    |<------ fatal {error} -----------------|  uncaught rejection / undeliverable message (group aborted)
import type { RankInit } from "../types.js";
import type { SerializedError } from "../wire-errors.js";

/** Bumped when a message changes shape: page and worker must come from the same build. */
export const WEB_PROTOCOL = 1;

export type HostMessage =
  | { type: "init"; protocol: number; init: RankInit }
  | { type: "run"; id: number; data: unknown };

export type RankMessage =
  | { type: "hello"; protocol: number }
  | { type: "ready" }
  | { type: "init-error"; error: SerializedError }
  | { type: "result"; id: number; value: unknown }
  | { type: "error"; id: number; error: SerializedError }
  | { type: "fatal"; reason: "threw" | "messageError"; error: SerializedError };
