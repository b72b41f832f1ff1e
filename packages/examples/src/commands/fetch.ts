// `tensorwire fetch <name>`: downloads a known model's files from their upstream locations (or a
// mirror), verifies each file's pinned size and SHA-256 while streaming it into a temporary file in
// the destination directory, and renames it into place only when both match. Files already present
// with the right hash are skipped.
import { createHash } from "node:crypto";
import { createReadStream, mkdirSync, renameSync, rmSync, statSync } from "node:fs";
import { open } from "node:fs/promises";
import { join, resolve } from "node:path";
import { defineCommand } from "../cli/command.js";
import { CliError, UsageError } from "../cli/errors.js";
import { createProgress } from "../cli/progress.js";
import { formatBytes } from "../cli/units.js";
import { KNOWN_MODELS, modelsDir, type KnownModel, type ModelFile } from "../models.js";

/** SHA-256 (hex) of a file, or null when it does not exist. */
export async function sha256File(path: string): Promise<string | null> {
  try { if (!statSync(path).isFile()) return null; } catch { return null; }
  const h = createHash("sha256");
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest("hex");
}

/** The URL of a file: `<mirror>/<model>/<file>` with a mirror, else the upstream URL. */
export function fileUrl(model: KnownModel, f: ModelFile, mirror: string | undefined): string {
  return mirror ? `${mirror.replace(/\/+$/, "")}/${model.name}/${f.file}` : f.url;
}

function networkReason(e: unknown): string {
  const c = (e as { cause?: { code?: string; message?: string } }).cause;
  const code = c?.code ?? (e as { code?: string }).code;
  const msg = c?.message ?? (e as Error).message;
  switch (code) {
    case "ENOTFOUND": case "EAI_AGAIN": return `the host name could not be resolved (${code}): offline, or no DNS`;
    case "ECONNREFUSED": return "the connection was refused (ECONNREFUSED): nothing listens there";
    case "ECONNRESET": return "the connection was reset (ECONNRESET)";
    case "ETIMEDOUT": case "UND_ERR_CONNECT_TIMEOUT": return `the connection timed out (${code})`;
    case "ENETUNREACH": case "EHOSTUNREACH": return `the network is unreachable (${code}): offline?`;
    default: return code ? `${msg} (${code})` : msg;
  }
}

interface Ctx { timeoutMs: number }

/** Downloads one file to `dest` through a temporary file; throws CliError naming the URL on any failure. */
async function download(url: string, f: ModelFile, dest: string, ctx: Ctx): Promise<void> {
  const tmp = `${dest}.part-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const manual = `Download it yourself from ${url} to ${dest}, or use a mirror (--mirror URL or TENSORWIRE_FETCH_BASE, serving <mirror>/<model>/<file>).`;
  const ac = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const arm = () => { clearTimeout(timer); timer = setTimeout(() => ac.abort(new Error(`no data for ${ctx.timeoutMs / 1000} s`)), ctx.timeoutMs); };
  const progress = createProgress({ label: `${f.file}`, total: f.bytes, unit: "bytes" });
  let fh: Awaited<ReturnType<typeof open>> | undefined;
  try {
    arm();
    let res: Response;
    try {
      res = await fetch(url, { signal: ac.signal, redirect: "follow" });
    } catch (e) {
      throw new CliError(`cannot download ${url}: ${ac.signal.aborted ? String((ac.signal.reason as Error)?.message ?? "timed out") : networkReason(e)}`, {
        hint: `Check the internet connection (and proxy settings). ${manual}`, cause: e,
      });
    }
    if (!res.ok || !res.body) {
      throw new CliError(`cannot download ${url}: HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ""}`, {
        hint: res.status === 404 ? `The file is not at that address (a wrong --mirror?). ${manual}` : manual,
      });
    }
    const hash = createHash("sha256");
    let got = 0;
    fh = await open(tmp, "w");
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        arm();
        got += chunk.length;
        if (got > f.bytes) {
          throw new CliError(`download of ${url} is larger than the expected ${f.bytes} bytes: not the right file; nothing was saved`, { hint: manual });
        }
        hash.update(chunk);
        await fh.write(chunk);
        progress.update(got);
      }
    } catch (e) {
      if (e instanceof CliError) throw e;
      throw new CliError(`download of ${url} broke off after ${formatBytes(got)}: ${ac.signal.aborted ? String((ac.signal.reason as Error)?.message) : networkReason(e)}`, { hint: `Try again. ${manual}`, cause: e });
    }
    await fh.close();
    fh = undefined;
    const digest = hash.digest("hex");
    if (got !== f.bytes || digest !== f.sha256) {
      throw new CliError(
        `download of ${url} is corrupt: ${got} bytes with sha256 ${digest}, expected ${f.bytes} bytes with sha256 ${f.sha256}; nothing was saved`,
        { hint: `Try again; if it persists the upstream file changed or the download is being altered. ${manual}` },
      );
    }
    try {
      renameSync(tmp, dest);
    } catch (e) {
      throw new CliError(`cannot move the verified download to ${dest}: ${(e as Error).message}`, { cause: e });
    }
  } finally {
    clearTimeout(timer);
    progress.done();
    if (fh) await fh.close().catch(() => undefined);
    rmSync(tmp, { force: true });
  }
}

export const fetchCommand = defineCommand(
  {
    name: "fetch",
    summary: "download a model (stories260K) into the models directory and verify its SHA-256",
    description:
      `Known models: ${Object.values(KNOWN_MODELS).map((m) => `${m.name} — ${m.description}; files ${m.files.map((f) => f.file).join(", ")}`).join("\n")}.
Files go to <models dir>/<name>/. The models directory is --dir, else TENSORWIRE_MODELS, else the
per-user cache: $XDG_CACHE_HOME/tensorwire/models or ~/.cache/tensorwire/models
(%LOCALAPPDATA%\\tensorwire\\models on Windows). Each file is checked against its pinned size and
SHA-256 while downloading and only then moved into place; files already present with the right hash
are kept. Other commands find the model by name (--model ${Object.keys(KNOWN_MODELS)[0]}).
A mirror (--mirror URL, or TENSORWIRE_FETCH_BASE) must serve <URL>/<name>/<file>, the same layout as
the models directory, so a models directory served over HTTP is a mirror.`,
    positionals: [{ name: "name", description: `model to download (${Object.keys(KNOWN_MODELS).join(", ")})`, required: true }],
    options: {
      dir: { type: "string", placeholder: "DIR", description: "models directory (default: TENSORWIRE_MODELS, else the per-user cache)" },
      mirror: { type: "string", placeholder: "URL", description: "download from <URL>/<name>/<file> instead of the upstream locations (default: TENSORWIRE_FETCH_BASE, else upstream)" },
      force: { type: "boolean", description: "download again even when a file with the right hash is present" },
      timeout: { type: "number", placeholder: "SEC", min: 1, max: 3600, default: 60, description: "give up when no data arrives for this long, seconds" },
    },
    examples: [
      "tensorwire fetch stories260K",
      "tensorwire fetch stories260K --dir ./models && TENSORWIRE_MODELS=./models tensorwire run",
      "tensorwire fetch stories260K --mirror http://127.0.0.1:8000",
    ],
  },
  async ({ options: o, positionals }, { out, err, env }) => {
    const want = positionals[0]!;
    const model = Object.values(KNOWN_MODELS).find((m) => m.name.toLowerCase() === want.toLowerCase());
    if (!model) throw new UsageError(`unknown model "${want}"`, `Known models: ${Object.keys(KNOWN_MODELS).join(", ")}.`);
    const mirrorRaw = o.mirror ?? (env.TENSORWIRE_FETCH_BASE || undefined);
    if (mirrorRaw !== undefined) {
      let u: URL | undefined;
      try { u = new URL(mirrorRaw); } catch { /* reported below */ }
      if (!u || (u.protocol !== "http:" && u.protocol !== "https:")) {
        throw new UsageError(`${o.mirror !== undefined ? "--mirror" : "TENSORWIRE_FETCH_BASE"}: not an http(s) URL: "${mirrorRaw}"`, 'Run "tensorwire fetch --help" for usage.');
      }
    }
    const root = o.dir !== undefined ? resolve(o.dir) : modelsDir({ env });
    const dir = join(root, model.name);
    try {
      mkdirSync(dir, { recursive: true });
    } catch (e) {
      throw new CliError(`cannot create the models directory ${dir}: ${(e as Error).message}`, {
        hint: "Choose another directory with --dir DIR or TENSORWIRE_MODELS.", exitCode: 1, cause: e,
      });
    }
    for (const f of model.files) {
      const dest = join(dir, f.file);
      const url = fileUrl(model, f, mirrorRaw);
      if (!o.force && (await sha256File(dest)) === f.sha256) {
        out(`${f.file}: present, sha256 verified (${dest})\n`);
        continue;
      }
      err(`downloading ${url}\n`);
      await download(url, f, dest, { timeoutMs: o.timeout * 1000 });
      out(`${f.file}: downloaded ${formatBytes(f.bytes)}, sha256 verified (${dest})\n`);
    }
    out(`${model.name} is ready in ${dir}${o.dir !== undefined ? ` (use it with TENSORWIRE_MODELS=${root})` : ""}\n`);
  },
);
