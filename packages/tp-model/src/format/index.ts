// @tensorwire/tp-model format barrel: checkpoint readers, tensor reads, byte sources (runtime-neutral).
// The Node file source and file sinks are in ./node-source.js (not re-exported here, so that this
// barrel stays free of Node imports for Web Workers).
export type { ByteSource, TensorType, TensorInfo, TokenizerData, Checkpoint } from "./types.js";
export { bytesSource, blobSource, checkRange } from "./source.js";
export { readLlama2cCheckpoint, LLAMA2C_MAGIC, LLAMA2C_HEADER_BYTES } from "./llama2c.js";
export { readTensorRows, readTensor, tensorDataBytes, matrixShape, TENSOR_TYPE_LAYOUT } from "./tensor-read.js";
export {
  readGgufHeader, readGgufCheckpoint, llamaTensorShapes, spaceFromSentencePiece,
  GGUF_MAGIC, GGUF_DEFAULT_ALIGNMENT, GGUF_VALUE_TYPE, GGML_TYPE, GGML_TYPE_ID,
} from "./gguf.js";
export type { GgufArray, GgufValue, GgufMetadataEntry, GgufHeader, GgufTensorEntry } from "./gguf.js";
export { openCheckpoint, detectFormat } from "./checkpoint.js";
export { writeGguf, memorySink, gguf } from "./gguf-writer.js";
export type { ByteSink, GgufTensorSpec, WriteProgress } from "./gguf-writer.js";
