// @tensorwire/collectives/web — a group of module Web Workers on a cross-origin-isolated page.
// Page side: spawnWebGroup / runWebGroup. Worker side: serveRank(fn) in the module given as `workerUrl`.
export { spawnWebGroup, runWebGroup, GroupError } from "./spawn.js";
export type { WebGroup, WebSpawnOptions } from "./spawn.js";
export { serveRank } from "./rank.js";
export type { WebRankFunction } from "./rank.js";
export { WEB_PROTOCOL } from "./protocol.js";
export * from "../index.js";
