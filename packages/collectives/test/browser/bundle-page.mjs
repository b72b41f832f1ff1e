// Page side of the no-bundler check: imports the self-contained browser bundle by relative URL (no
// import map involved) and spawns module workers that do the same (test/browser/bundle-rank.mjs).
import { spawnWebGroup, CollectiveError, LINK_PRESETS } from "../../dist/browser/tensorwire-collectives.js";

export async function run({ worldSize, workerUrl, n }) {
  const group = await spawnWebGroup({ worldSize, workerUrl, timeoutMs: 20_000 });
  try {
    const results = await group.run({ n });
    return { results, hasCollectiveError: typeof CollectiveError === "function", presets: Object.keys(LINK_PRESETS) };
  } finally {
    await group.shutdown();
  }
}
