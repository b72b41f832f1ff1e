// The invalid-argument matrix, at world sizes 2, 3 and 5 on real worker threads: for every
// collective with arguments and every kind of bad argument (null, undefined, plain arrays, wrong
// element types, bad options objects, outputs too short / too long / overlapping the input / in the
// group's memory outside the rank's alloc() region, bad roots, unknown algorithm / codec / compress /
// scheme / seed values, fake, foreign and over-specified plans), the rank with the bad argument
// throws CollectiveError "invalid" naming the argument, every peer throws "mismatch" naming that
// rank — at the same arrival, not after a timeout (the group's timeout is 60 s: a hung peer would
// report "aborted") — and a following valid call of the same collective is correct on every rank.
import { describe, expect, it } from "vitest";
import { spawnGroup } from "@tensorwire/collectives/node";

const worker = new URL("./workers/arguments.mjs", import.meta.url);

interface Err { name: string; code: string; ranks?: number[]; rank?: number; message: string }
interface Rec { id: string; op: string; victim: number; error: Err | null; ms: number; ok: boolean }

/** What the victim's message must say, by case id (the argument is named in every one). */
function expected(id: string): RegExp {
  const [op, kind] = id.split("/") as [string, string];
  const input = op === "allReduce" || op === "broadcast" ? "data" : "input";
  const got: Record<string, string> = {
    "input-null": "null", "input-undefined": "undefined", "input-array": "Array\\(3\\)",
    "input-float64": "Float64Array\\(100\\)", "input-int32": "Int32Array\\(100\\)", "input-string": '"abc"',
  };
  if (kind.startsWith("input-")) return new RegExp(`${op}: ${input} must be a Float32Array, got ${got[kind]}`);
  if (kind.startsWith("options-")) return new RegExp(`${op}: options must be an object, got (null|"fast")`);
  if (kind === "output-short" || kind === "output-long") return new RegExp(`${op}: options.output length \\d+ (differs from input length|expected)`);
  if (kind === "output-array") return new RegExp(`${op}: options.output must be a Float32Array, got Array\\(\\d+\\)`);
  if (kind === "output-float64") return new RegExp(`${op}: options.output must be a Float32Array, got Float64Array`);
  if (kind === "output-overlap" || kind === "output-is-input-prefix") return new RegExp(`${op}: options.output \\(bytes .*\\) overlaps the input`);
  if (kind === "output-shared-outside") return new RegExp(`${op}: options.output lies in the group's shared memory outside this rank's alloc\\(\\) region`);
  if (kind.startsWith("root-")) return /broadcast: root .* is not a rank of this group \(an integer in 0\.\.\d\)/;
  if (kind.startsWith("algorithm-")) return /allReduce: options.algorithm: unknown algorithm .* \(known: auto, one-shot, two-shot, ring\)/;
  if (kind === "codec-unknown") return /allReduce: options.codec: unknown format "q5_1"/;
  if (kind === "codec-bad-block") return /allReduce: options.codec: format mxfp4: block 16 not allowed/;
  if (kind.startsWith("codec-")) return /allReduce: options.codec: must be a format name, a codec spec/;
  if (kind === "compress-string") return /allReduce: options.compress: must be true, false or "auto", got "yes"/;
  if (kind === "scheme-unknown") return /allReduce: options.scheme: unknown compression scheme "ring"/;
  if (kind.startsWith("seed-")) return /allReduce: options.seed: must be an integer/;
  if (kind === "plan-fake") return /allReduce: options.plan must be a plan from comm.prepare\(\), got Object/;
  if (kind === "plan-foreign") return /allReduce: options.plan was prepared by another communicator/;
  if (kind.startsWith("plan-with-")) return new RegExp(`allReduce: options.${kind.slice(10)} must be absent when options.plan is given`);
  throw new Error(`no expectation for case ${id}`);
}

describe("an invalid argument on any rank: that rank throws invalid, its peers mismatch, at once; the group keeps working", () => {
  for (const p of [2, 3, 5]) {
    it(`world size ${p}: every collective, every kind of bad argument`, async () => {
      const g = await spawnGroup({ worldSize: p, module: worker, waitMode: p > 2 ? "wait" : "auto", timeoutMs: 60_000 });
      try {
        const perRank = await g.run<Rec[]>();
        const cases = perRank[0]!;
        expect(cases.length).toBeGreaterThan(80);
        const ops = new Set(cases.map((c) => c.op));
        expect([...ops].sort()).toEqual(["allGather", "allReduce", "broadcast", "reduceScatter"]);
        for (let i = 0; i < cases.length; i++) {
          const { id, victim } = cases[i]!;
          const re = expected(id);
          for (let r = 0; r < p; r++) {
            const rec = perRank[r]![i]!;
            expect(rec.id).toBe(id);
            const where = `${id}, victim ${victim}, rank ${r}`;
            expect(rec.error, where).not.toBeNull();
            expect(rec.error!.name, where).toBe("CollectiveError");
            if (victim === -1 || victim === r) {
              expect(rec.error!.code, where).toBe("invalid");
              expect(rec.error!.rank, where).toBe(r);
              expect(rec.error!.message, where).toMatch(re);
              expect(rec.error!.message, where).toMatch(new RegExp(`^rank ${r}: `));
            } else {
              expect(rec.error!.code, where).toBe("mismatch");
              expect(rec.error!.ranks, where).toEqual([victim]);
              expect(rec.error!.message, where).toContain(`rejected by rank ${victim}`);
            }
            expect(rec.ok, `${where}: the following valid call`).toBe(true);
          }
        }
        // every case had a single victim in turn, including the last rank; some had every rank invalid
        expect(new Set(cases.map((c) => c.victim))).toEqual(new Set([...Array.from({ length: p }, (_, q) => q), -1]));
      } finally {
        await g.shutdown();
      }
    });
  }
});
