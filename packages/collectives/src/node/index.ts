// @tensorwire/collectives/node — spawning a group of worker_threads (Node only).
export { spawnGroup, runGroup, GroupError } from "./spawn.js";
export type { Group, SpawnOptions } from "./spawn.js";
export type { RankFunction } from "./worker.js";
export * from "../index.js";
