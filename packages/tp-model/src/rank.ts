// The code every tensor-parallel rank runs (a worker module for @tensorwire/collectives' groups).
// The host (engine.ts) sends one command per group.run(); every rank runs it with the same arguments
// and answers with its part (its vocabulary slice of the logits, its metrics). No Node-only API here:
// a model file path is opened through format/node-source.ts only when the source is a path, so the
// same ranks run in Web Workers given bytes or a Blob.
import type { Communicator } from "@tensorwire/collectives";
import { openCheckpoint } from "./format/checkpoint.js";
import { blobSource, bytesSource } from "./format/source.js";
import type { ByteSource } from "./format/types.js";
import { type ForwardResult, RankModel } from "./model.js";
import { type CompressionPolicy, checkPolicy } from "./policy.js";
import type { Phase } from "./policy.js";

/** Where a rank reads the model from (structured-cloneable). */
export type ModelSource =
  | { readonly kind: "path"; readonly path: string }
  | { readonly kind: "bytes"; readonly bytes: Uint8Array; readonly name: string }
  | { readonly kind: "blob"; readonly blob: Blob; readonly name: string };

export type RankCommand =
  | { cmd: "load"; source: ModelSource; policy: CompressionPolicy; maxBatch?: number; maxSeqLen?: number }
  | { cmd: "forward"; tokens: Int32Array; pos0: number; all?: boolean; hidden?: boolean; phase?: Phase }
  | { cmd: "policy"; policy: CompressionPolicy }
  | { cmd: "unload" };

export interface LoadReply {
  memoryBytes: number;
  loadMs: number;
  maxSeqLen: number;
  maxBatch: number;
}

const models = new WeakMap<Communicator, RankModel>();

async function openSource(s: ModelSource): Promise<ByteSource> {
  switch (s?.kind) {
    case "path": {
      const { openFileSource } = await import("./format/node-source.js");
      return openFileSource(s.path);
    }
    case "bytes": return bytesSource(s.bytes, s.name);
    case "blob": return blobSource(s.blob, s.name);
    default: throw new TypeError("model source must be { kind: \"path\" | \"bytes\" | \"blob\", … }");
  }
}

function modelOf(comm: Communicator): RankModel {
  const m = models.get(comm);
  if (!m) throw new Error(`rank ${comm.rank}: no model is loaded`);
  return m;
}

/** The rank function (run once per command by every rank). */
export default async function rank(comm: Communicator, command: RankCommand): Promise<LoadReply | ForwardResult | null> {
  switch (command?.cmd) {
    case "load": {
      const t0 = performance.now();
      const source = await openSource(command.source);
      try {
        const ckpt = await openCheckpoint(source);
        const policy = checkPolicy(command.policy, ckpt.config.nLayers);
        const model = await RankModel.load(ckpt, comm, { policy, maxBatch: command.maxBatch, maxSeqLen: command.maxSeqLen });
        models.set(comm, model);
        return { memoryBytes: model.memoryBytes, loadMs: performance.now() - t0, maxSeqLen: model.maxSeqLen, maxBatch: model.maxBatch };
      } finally {
        await source.close?.();
      }
    }
    case "forward": {
      const r = modelOf(comm).forward(command.tokens, command.pos0, { all: command.all, hidden: command.hidden && comm.rank === 0, phase: command.phase });
      return r;
    }
    case "policy": {
      const m = modelOf(comm);
      m.setPolicy(checkPolicy(command.policy, m.config.nLayers));
      return null;
    }
    case "unload":
      models.delete(comm);
      return null;
    default:
      throw new TypeError(`unknown rank command ${JSON.stringify((command as { cmd?: unknown })?.cmd)}`);
  }
}
