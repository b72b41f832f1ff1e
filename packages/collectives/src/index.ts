// @tensorwire/collectives — runtime-neutral core (no Node-only imports; Node spawning is in ./node).
export { createCommunicator, SharedCommunicator } from "./communicator.js";
export { createGroup } from "./group.js";
export type { CreateGroupOptions, GroupHandle } from "./group.js";
export { CollectiveError, AbortReason, reasonName } from "./errors.js";
export { GroupError, GroupRunner } from "./runner.js";
export type { RunTransport } from "./runner.js";
export type { AbortReasonName, CollectiveErrorCode, CollectiveErrorInit } from "./errors.js";
export { computeLayout, capacityFor, LAYOUT_VERSION } from "./layout.js";
export type { Layout } from "./layout.js";
export { LINK_PRESETS, stepSeconds, modelledSeconds } from "./link.js";
export { THRESHOLDS, LOCAL_BYTES_PER_SEC, chooseAlgorithm, chooseScheme, shouldCompress, modelAllReduce, modelCompressed } from "./tuning.js";
export { resolveOptions, toCodecSpec, DEFAULTS } from "./options.js";
export type { AllReducePlan } from "./plan.js";
export { ALGORITHM_NAMES, SCHEME_NAMES, RESERVED_IDS, MAX_ALGORITHM_ID, listAlgorithms, checkRegistry } from "./algorithms/registry.js";
export { describeAbort, readAbort } from "./sync.js";
export type { AbortInfo } from "./sync.js";
export type {
  Algorithm, AlgorithmName, AllReduceOptions, AllReducePlanOptions, CallStats, CodecArg, CollectiveOptions, CommStats, Communicator, TrafficStats,
  CompressionScheme, CompressWhen, GroupOptions, LinkModel, OpName, RankInit, ResolvedOptions, WaitMode,
} from "./types.js";
