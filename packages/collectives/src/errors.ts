// Errors raised by collectives. Every failure of a group is reported as a CollectiveError that names
// the rank at fault, so a caller on any rank can tell "my peer died" from "my own input was wrong".

/**
 * Why a group was aborted. Stored in the abort word of the control block (layout.ts), so the numbers
 * are part of the shared-memory protocol: never renumber them.
 */
export const AbortReason = {
  /** user code on the rank threw (uncaught in the rank's function) */
  threw: 1,
  /** the rank's worker/thread exited or crashed */
  exited: 2,
  /** a peer waited longer than the configured timeout for the rank */
  timeout: 3,
  /** the rank closed its communicator while peers were still waiting for it */
  closed: 4,
  /** the host could not deliver a message to the rank (structured clone failed) */
  messageError: 5,
  /** the host shut the group down */
  shutdown: 6,
  /** any other host-side abort (abortGroup called by an embedding) */
  external: 7,
} as const;
export type AbortReasonName = keyof typeof AbortReason;

const REASON_NAMES: Record<number, AbortReasonName> = Object.fromEntries(
  Object.entries(AbortReason).map(([k, v]) => [v, k as AbortReasonName]),
) as Record<number, AbortReasonName>;

export function reasonName(code: number): AbortReasonName {
  return REASON_NAMES[code] ?? "external";
}

/** What kind of collective failure this is. */
export type CollectiveErrorCode =
  /** the group was aborted because `failedRank` failed (see `reason`) */
  | "aborted"
  /** ranks called the same collective step with different arguments (length, op, codec, root...) */
  | "mismatch"
  /** a call on a communicator that was closed on this rank */
  | "closed"
  /** an argument that is wrong on this rank alone (too long, bad root, bad codec) */
  | "invalid";

export interface CollectiveErrorInit {
  code: CollectiveErrorCode;
  /** the rank at fault (aborted), when known */
  failedRank?: number;
  /** abort reason name (aborted only) */
  reason?: AbortReasonName;
  /** the rank that detected/reported the failure (e.g. the rank whose wait timed out) */
  reporter?: number;
  /** ranks involved in a mismatch */
  ranks?: number[];
  /** the rank that raised the error */
  rank?: number;
}

/** The one error type thrown by communicator calls. */
export class CollectiveError extends Error {
  readonly code: CollectiveErrorCode;
  readonly failedRank: number | undefined;
  readonly reason: AbortReasonName | undefined;
  readonly reporter: number | undefined;
  readonly ranks: number[] | undefined;
  readonly rank: number | undefined;
  constructor(message: string, init: CollectiveErrorInit) {
    super(message);
    this.name = "CollectiveError";
    this.code = init.code;
    this.failedRank = init.failedRank;
    this.reason = init.reason;
    this.reporter = init.reporter;
    this.ranks = init.ranks;
    this.rank = init.rank;
  }
}
