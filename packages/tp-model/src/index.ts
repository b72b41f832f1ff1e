// @tensorwire/tp-model public API (runtime-neutral). The Node host that spawns the ranks is the
// "./node" subpath; the scalar oracle (kernels and the whole forward pass) is "./reference".
export { checkConfig } from "./config.js";
export type { ModelConfig } from "./config.js";
export { splitRange, planShard, planShards, checkTpDegree } from "./shard.js";
export type { ShardPlan } from "./shard.js";
export { Sampler, XorShiftRng, argmax, softmaxF32, sampleMult } from "./sampler.js";
export type { SamplerOptions } from "./sampler.js";
export { UNCOMPRESSED, paperPolicy, checkPolicy, matchRule } from "./policy.js";
export type { CallSite, Phase, CompressionRule, CompressionPolicy } from "./policy.js";
export { ropeTables } from "./rope.js";
export type { RopeTables } from "./rope.js";
export { TensorParallelRegion, emptyReduceTotals } from "./mappings.js";
export type { ReduceTotals } from "./mappings.js";
export { RankModel } from "./model.js";
export type { RankModelOptions, RankMetrics, ForwardResult } from "./model.js";
export { default as rankMain } from "./rank.js";
export type { ModelSource, RankCommand, LoadReply } from "./rank.js";
export * from "./format/index.js";
export { Tokenizer, readLlama2cTokenizer, parseBytePiece, safePiece } from "./tokenizer.js";
export type { TextStream } from "./tokenizer.js";
export { writeSyntheticModel, syntheticConfig, SYNTHETIC_BYTE_TOKENS_MIN_VOCAB } from "./synthetic.js";
export type { SyntheticModelOptions } from "./synthetic.js";
export {
  loadModelKernels, instantiateModelKernels, compileModelModule, bundledModelWasmBytes, MODEL_ABI_VERSION,
  FMA_PEAK_FLOPS_PER_ITER, fmaPeakExpected,
} from "./kernels.js";
export type { ModelKernels, ModelExports } from "./kernels.js";
