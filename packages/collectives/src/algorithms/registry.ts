// The algorithm registry: the one list of all-reduce algorithms. The public names (`AlgorithmName`,
// `CompressionScheme`), option validation (options.ts, the communicator), the cost model's candidates
// (tuning.ts) and the descriptor ids every rank compares at the arrival (layout.ts D_ALGORITHM) all
// derive from it. Adding an algorithm = one file under algorithms/ plus one entry here.
//
// Ids are part of the shared-memory protocol: never renumber an entry. Algorithm ids live in
// 1..MAX_ALGORITHM_ID; the reserved ids (RESERVED_IDS) lie outside that range, so no algorithm can
// ever collide with the fixed-schedule collectives' id or with the "rejected" marker.
import { compressedAllgather } from "./compressed-allgather.js";
import { compressedTwoShot } from "./compressed-two-shot.js";
import { oneShot } from "./one-shot.js";
import { ring } from "./ring.js";
import { twoShot } from "./two-shot.js";
import type { AllReduceAlgorithm } from "./types.js";

/** Largest id an algorithm may have. */
export const MAX_ALGORITHM_ID = 255;

/** Descriptor ids that are not algorithms (outside 1..MAX_ALGORITHM_ID). */
export const RESERVED_IDS = {
  /** a call the rank rejected (invalid arguments): peers fail with a mismatch naming that rank */
  rejected: -1,
  /** reduceScatter, allGather, broadcast, barrier: collectives with a single fixed schedule */
  fixed: 256,
} as const;

/** One registered all-reduce algorithm. */
export interface AlgorithmEntry {
  /** the name in `stats.last.algorithm`, in options (uncompressed ones) and in mismatch messages */
  readonly name: string;
  /** descriptor id (1..MAX_ALGORITHM_ID), compared across ranks; never renumbered */
  readonly id: number;
  /** null: uncompressed (selectable with `algorithm`); else the compression scheme it implements */
  readonly scheme: string | null;
  /** the D_SCHEME descriptor word of compressed calls (0 for uncompressed) */
  readonly schemeId: number;
  readonly impl: AllReduceAlgorithm;
}

/** Every algorithm, in the order the cost model tries them. */
export const ALGORITHMS = [
  { name: "one-shot", id: 1, scheme: null, schemeId: 0, impl: oneShot },
  { name: "two-shot", id: 2, scheme: null, schemeId: 0, impl: twoShot },
  { name: "ring", id: 3, scheme: null, schemeId: 0, impl: ring },
  { name: "compressed-allgather", id: 4, scheme: "allgather", schemeId: 1, impl: compressedAllgather },
  { name: "compressed-two-shot", id: 5, scheme: "two-shot", schemeId: 2, impl: compressedTwoShot },
] as const satisfies readonly AlgorithmEntry[];

type Entry = (typeof ALGORITHMS)[number];
/** Names of the uncompressed all-reduce algorithms (the `algorithm` option). */
export type AlgorithmName = Extract<Entry, { scheme: null }>["name"];
/** Compressed all-reduce schemes (the `scheme` option). */
export type CompressionScheme = NonNullable<Entry["scheme"]>;

/** The uncompressed algorithms: the `algorithm` option's values and the cost model's candidates. */
export const UNCOMPRESSED: readonly (Entry & { scheme: null })[] = ALGORITHMS.filter((a): a is Entry & { scheme: null } => a.scheme === null);
/** The compressed algorithms, one per scheme. */
export const COMPRESSED: readonly (Entry & { scheme: CompressionScheme })[] = ALGORITHMS.filter((a): a is Entry & { scheme: CompressionScheme } => a.scheme !== null);
export const ALGORITHM_NAMES: readonly AlgorithmName[] = UNCOMPRESSED.map((a) => a.name);
export const SCHEME_NAMES: readonly CompressionScheme[] = COMPRESSED.map((a) => a.scheme);

const BY_NAME = new Map<string, AlgorithmEntry>(UNCOMPRESSED.map((a) => [a.name, a]));
const BY_SCHEME = new Map<string, AlgorithmEntry>(COMPRESSED.map((a) => [a.scheme, a]));
const BY_ID = new Map<number, AlgorithmEntry>(ALGORITHMS.map((a) => [a.id, a]));

/** The uncompressed algorithm of that name, or undefined. */
export function algorithmByName(name: string): AlgorithmEntry | undefined {
  return BY_NAME.get(name);
}
/** The compressed algorithm of that scheme, or undefined. */
export function algorithmByScheme(scheme: string): AlgorithmEntry | undefined {
  return BY_SCHEME.get(scheme);
}
/** A descriptor's algorithm word as a name (reserved ids included). */
export function algorithmIdName(id: number): string {
  if (id === RESERVED_IDS.rejected) return "(rejected)";
  if (id === RESERVED_IDS.fixed) return "fixed";
  return BY_ID.get(id)?.name ?? String(id);
}
/** A descriptor's scheme word as a name. */
export function schemeIdName(id: number): string {
  if (id === 0) return "none";
  return COMPRESSED.find((a) => a.schemeId === id)?.scheme ?? String(id);
}

/** The registry without the implementations: name, descriptor id, scheme (null: uncompressed). */
export function listAlgorithms(): Array<{ name: string; id: number; scheme: CompressionScheme | null; schemeId: number }> {
  return ALGORITHMS.map(({ name, id, scheme, schemeId }) => ({ name, id, scheme, schemeId }));
}

/** Check the registry's invariants (ids in range, unique; names and scheme ids unique). Throws on a violation. */
export function checkRegistry(list: ReadonlyArray<Omit<AlgorithmEntry, "impl">> = ALGORITHMS): void {
  const ids = new Set<number>(), names = new Set<string>(), schemes = new Set<number>();
  for (const a of list) {
    if (!Number.isInteger(a.id) || a.id < 1 || a.id > MAX_ALGORITHM_ID) {
      throw new Error(`algorithm ${a.name}: id ${a.id} outside 1..${MAX_ALGORITHM_ID} (reserved ids: ${Object.values(RESERVED_IDS).join(", ")})`);
    }
    if (ids.has(a.id)) throw new Error(`algorithm ${a.name}: id ${a.id} used twice`);
    if (names.has(a.name)) throw new Error(`algorithm name ${a.name} used twice`);
    if ((a.scheme === null) !== (a.schemeId === 0)) throw new Error(`algorithm ${a.name}: scheme and schemeId disagree`);
    if (a.schemeId !== 0 && schemes.has(a.schemeId)) throw new Error(`algorithm ${a.name}: scheme id ${a.schemeId} used twice`);
    ids.add(a.id); names.add(a.name); schemes.add(a.schemeId);
  }
}
checkRegistry();
