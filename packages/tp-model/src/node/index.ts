// @tensorwire/tp-model/node: the Node host (worker_threads ranks) and Node file access.
export { TensorParallelModel, loadModel } from "./engine.js";
export type { LoadModelOptions, GenerateOptions, GenerateResult, ScoreResult, RunMetrics } from "./engine.js";
export { openFileSource, openFileSink, writeSyntheticModelFile } from "../format/node-source.js";
export { measureLatency, syntheticPrompt, spread } from "./latency.js";
export type { LatencyVariant, LatencyOptions, LatencyRow, Spread } from "./latency.js";
