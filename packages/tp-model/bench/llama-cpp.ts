// The peer engine: llama.cpp through node-llama-cpp (pinned exactly as a dev dependency of this
// benchmark). Prompt processing and generation speed of a GGUF file at a given thread count.
import { getLlama } from "node-llama-cpp";
import { spread } from "@tensorwire/tp-model/node";

export interface LlamaCppRow {
  threads: number;
  /** prompt processing of the whole prompt (ms), median of repetitions */
  promptMs: number;
  promptTokPerSec: number;
  /** generation tokens/s after the prompt */
  genTokPerSec: number;
  version: string;
}

/** node-llama-cpp's version, from the package.json above its resolved entry point (it exports no ./package.json). */
async function packageVersion(): Promise<string> {
  const { readFile } = await import("node:fs/promises");
  const { dirname, join } = await import("node:path");
  const { fileURLToPath } = await import("node:url");
  let dir = dirname(fileURLToPath(import.meta.resolve("node-llama-cpp")));
  for (let i = 0; i < 6; i++) {
    try {
      const pkg = JSON.parse(await readFile(join(dir, "package.json"), "utf8")) as { name?: string; version?: string };
      if (pkg.name === "node-llama-cpp" && pkg.version) return pkg.version;
    } catch { /* keep walking up */ }
    dir = dirname(dir);
  }
  return "unknown";
}


export async function runLlamaCpp(path: string, prompt: number[], genTokens: number, threads: number[], reps: number): Promise<LlamaCppRow[]> {
  const llama = await getLlama({ gpu: false, build: "never", logLevel: "error" as never });
  const model = await llama.loadModel({ modelPath: path });
  const version = await packageVersion();
  const rows: LlamaCppRow[] = [];
  try {
    for (const t of threads) {
      const ctx = await model.createContext({ contextSize: Math.max(1024, prompt.length + genTokens + 8), batchSize: Math.max(512, prompt.length), threads: t });
      try {
        const seq = ctx.getSequence();
        const run = async (): Promise<number> => {
          await seq.clearHistory();
          const t0 = performance.now();
          await seq.evaluateWithoutGeneratingNewTokens(prompt as never);
          return performance.now() - t0;
        };
        await run(); // warm-up
        const pp: number[] = [];
        for (let i = 0; i < reps; i++) pp.push(await run());
        // generation: greedy tokens after the prompt
        await seq.clearHistory();
        await seq.evaluateWithoutGeneratingNewTokens(prompt.slice(0, -1) as never);
        let n = 0;
        let tFirst = 0;
        const t0 = performance.now();
        for await (const _ of seq.evaluate([prompt[prompt.length - 1]!] as never, { temperature: 0 })) {
          if (n === 0) tFirst = performance.now();
          if (++n > genTokens) break;
        }
        const genMs = performance.now() - (tFirst || t0);
        const ppMs = spread(pp).median;
        rows.push({ threads: t, promptMs: ppMs, promptTokPerSec: (prompt.length * 1000) / ppMs, genTokPerSec: ((n - 1) * 1000) / genMs, version });
      } finally {
        await ctx.dispose();
      }
    }
  } finally {
    await model.dispose();
  }
  return rows;
}
