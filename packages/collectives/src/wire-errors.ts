// Errors crossing the worker boundary: structured clone drops Error subclasses and extra fields,
// so they travel as plain objects and are rebuilt on the other side.
import { CollectiveError, type CollectiveErrorCode, type AbortReasonName } from "./errors.js";

export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  code?: CollectiveErrorCode;
  failedRank?: number;
  reason?: AbortReasonName;
  reporter?: number;
  ranks?: number[];
  rank?: number;
}

export function serializeError(e: unknown): SerializedError {
  if (e instanceof CollectiveError) {
    return {
      name: e.name, message: e.message, stack: e.stack, code: e.code, failedRank: e.failedRank, reason: e.reason,
      reporter: e.reporter, ranks: e.ranks, rank: e.rank,
    };
  }
  if (e instanceof Error) return { name: e.name, message: e.message, stack: e.stack };
  return { name: "Error", message: `non-Error value thrown: ${String(e)}` };
}

export function deserializeError(s: SerializedError): Error {
  let e: Error;
  if (s.name === "CollectiveError" && s.code) {
    e = new CollectiveError(s.message, {
      code: s.code, failedRank: s.failedRank, reason: s.reason, reporter: s.reporter, ranks: s.ranks, rank: s.rank,
    });
  } else {
    e = new Error(s.message);
    e.name = s.name;
  }
  if (s.stack) e.stack = s.stack;
  return e;
}
