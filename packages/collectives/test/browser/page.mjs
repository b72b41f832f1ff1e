// Runs in the Chromium page (imported by test/browser.test.ts through the page's import map): spawns
// groups of module Web Workers with spawnWebGroup and returns what every rank reported, for Node to check.
import { spawnWebGroup, runWebGroup, GroupError, CollectiveError } from "@tensorwire/collectives/web";

function groupErrorInfo(e) {
  if (!(e instanceof GroupError)) return { notGroupError: true, name: e?.name, message: String(e?.message ?? e) };
  return {
    name: e.name, message: e.message, failedRank: e.failedRank, reason: e.reason,
    errors: e.errors.map((x) => (x ? { name: x.name, message: x.message, code: x.code, failedRank: x.failedRank, isCollectiveError: x instanceof CollectiveError } : null)),
    results: e.results,
  };
}

/** Spawn `worldSize` workers, run each scenario in order on the same group, shut down. */
export async function run({ worldSize, workerUrl, runs, options = {} }) {
  const t0 = performance.now();
  const group = await spawnWebGroup({ worldSize, workerUrl, ...options });
  const spawnMs = performance.now() - t0;
  try {
    const out = [];
    for (const data of runs) {
      const t = performance.now();
      try {
        out.push({ ok: true, results: await group.run(data), ms: performance.now() - t });
      } catch (e) {
        out.push({ ok: false, error: groupErrorInfo(e), failure: group.failure(), ms: performance.now() - t });
      }
    }
    return {
      spawnMs, out,
      hardwareConcurrency: navigator.hardwareConcurrency,
      waitMode: group.handle.options.waitMode,
      sharedMemory: group.handle.memory.buffer instanceof SharedArrayBuffer,
      workers: group.workers.length,
    };
  } finally {
    const t = performance.now();
    await group.shutdown();
    // shutdown is idempotent and terminates at once
    await group.shutdown();
    if (performance.now() - t > 5000) throw new Error("shutdown took more than 5 s");
  }
}

/** spawnWebGroup must reject (never hang) when a worker cannot start; returns the messages. */
export async function startFailures({ worldSize, missingUrl, silentUrl }) {
  const outcome = async (options) => {
    try {
      const g = await spawnWebGroup({ worldSize, ...options });
      await g.shutdown();
      return { rejected: false };
    } catch (e) {
      return { rejected: true, message: String(e?.message ?? e) };
    }
  };
  return {
    missing: await outcome({ workerUrl: missingUrl }),
    silent: await outcome({ workerUrl: silentUrl, startTimeoutMs: 1000 }),
  };
}

/** runWebGroup: spawn, one run, shutdown, in one call. */
export async function once({ worldSize, workerUrl, data }) {
  return runWebGroup({ worldSize, workerUrl }, data);
}

/** On a page that is not cross-origin isolated: spawnWebGroup must refuse, naming the headers. */
export async function notIsolated({ workerUrl }) {
  try {
    const g = await spawnWebGroup({ worldSize: 2, workerUrl });
    await g.shutdown();
    return { rejected: false };
  } catch (e) {
    return { rejected: true, message: String(e?.message ?? e), sab: typeof SharedArrayBuffer };
  }
}
