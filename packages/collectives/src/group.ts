// Creating a group (host side, any runtime): compile quant.wasm, size and initialise the shared
// memory, and hand out one structured-cloneable RankInit per rank. A browser host posts
// `group.rankInit(r)` to Web Worker r, which calls createCommunicator(init); a Node host uses
// node/spawn.ts, which does exactly this with worker_threads.
import { type WasmSource, compileQuantModule, instantiateQuantKernels } from "@tensorwire/quant-wasm";
import { AbortReason } from "./errors.js";
import { type Layout, capacityFor, computeLayout, writeHeader } from "./layout.js";
import { resolveOptions } from "./options.js";
import { type AbortInfo, HOST, abortGroupMemory, readAbort } from "./sync.js";
import type { GroupOptions, RankInit, ResolvedOptions } from "./types.js";

export interface CreateGroupOptions extends GroupOptions {
  /** quant.wasm to use (bytes, Module, URL, Response); default: the bundled module. */
  wasm?: WasmSource;
}

export interface GroupHandle {
  readonly worldSize: number;
  readonly memory: WebAssembly.Memory;
  readonly module: WebAssembly.Module;
  readonly layout: Layout;
  readonly options: ResolvedOptions;
  /** The init object for rank r (post it to the rank's worker). */
  rankInit(rank: number): RankInit;
  /**
   * Record that `rank` failed and wake every waiting rank: all their pending and future calls throw a
   * CollectiveError naming `rank`. Call it from worker error/exit handlers. First failure wins.
   */
  abort(rank: number, reason?: keyof typeof AbortReason, detail?: number): boolean;
  /** The recorded failure, or null. */
  failure(): AbortInfo | null;
}

/** Create a group's shared memory and init objects. */
export async function createGroup(worldSize: number, options: CreateGroupOptions = {}): Promise<GroupHandle> {
  const opts = resolveOptions(options, worldSize);
  const module = await compileQuantModule(options.wasm);
  // heapBase is a property of the module: read it from a throwaway instance on a one-page memory.
  const probeMem = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
  const heapBase = instantiateQuantKernels(module, probeMem).heapBase;
  const layout = computeLayout(heapBase, worldSize, capacityFor(opts.maxMessageBytes));
  const memory = new WebAssembly.Memory({ initial: layout.pages, maximum: layout.pages, shared: true });
  const i32 = new Int32Array(memory.buffer);
  writeHeader(i32, layout);
  return {
    worldSize, memory, module, layout, options: opts,
    rankInit: (rank) => {
      if (!Number.isInteger(rank) || rank < 0 || rank >= worldSize) throw new RangeError(`rank ${rank} out of range 0..${worldSize - 1}`);
      return { rank, worldSize, memory, module, layout, options: opts };
    },
    abort: (rank, reason = "external", detail = 0) => abortGroupMemory(i32, layout, rank, AbortReason[reason], HOST, detail),
    failure: () => readAbort(i32, layout),
  };
}
