// `tensorwire fetch` against a local HTTP server on 127.0.0.1 that serves the real model files from
// TENSORWIRE_MODELS (good copy, corrupted copy, 404) and against a closed port. Never the internet.
// Without TENSORWIRE_MODELS the suite is skipped — except with CI=true, where it fails.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KNOWN_MODELS, resolveModel } from "../src/models.js";

const cli = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
const SRC = process.env.TENSORWIRE_MODELS;
const model = KNOWN_MODELS.stories260K!;
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

interface Result { code: number; stdout: string; stderr: string }
function tw(args: string[], env: Record<string, string>): Promise<Result> {
  return new Promise((res) => {
    execFile(process.execPath, [cli, ...args], { encoding: "utf8", env: { ...process.env, TENSORWIRE_FETCH_BASE: "", TENSORWIRE_DEBUG: "", ...env } }, (e, stdout, stderr) => {
      res({ code: e ? (typeof e.code === "number" ? e.code : 1) : 0, stdout, stderr });
    });
  });
}

const listen = (s: Server) => new Promise<number>((r) => s.listen(0, "127.0.0.1", () => r((s.address() as AddressInfo).port)));

describe.skipIf(!SRC && process.env.CI !== "true")("tensorwire fetch (local server)", () => {
  let server: Server;
  let base = "";
  let closedPort = 0;
  const requests: string[] = [];

  beforeAll(async () => {
    if (!SRC) throw new Error("TENSORWIRE_MODELS is not set: the fetch tests need the real stories260K files (CI=true makes this a failure)");
    server = createServer((req, res) => {
      requests.push(req.url ?? "");
      const m = /^\/(good|corrupt|missing)\/([^/]+)\/([^/]+)$/.exec(req.url ?? "");
      const file = m ? join(SRC, m[2]!, m[3]!) : "";
      if (!m || m[1] === "missing" || !existsSync(file)) { res.writeHead(404, "Not Found"); res.end("no"); return; }
      const body = Buffer.from(readFileSync(file));
      if (m[1] === "corrupt") body[body.length >> 1] ^= 0x40; // same length, one bit flipped
      res.writeHead(200, { "content-length": body.length, "content-type": "application/octet-stream" });
      res.end(body);
    });
    base = `http://127.0.0.1:${await listen(server)}`;
    const probe = createServer();
    closedPort = await listen(probe);
    await new Promise<void>((r) => probe.close(() => r()));
  });
  afterAll(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

  it("has the real files to serve", () => {
    expect(SRC, "TENSORWIRE_MODELS").toBeTruthy();
    for (const f of model.files) expect(sha(readFileSync(join(SRC!, model.name, f.file))), f.file).toBe(f.sha256);
  });

  it("downloads and verifies every file (mirror from TENSORWIRE_FETCH_BASE), then skips them when present", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tw-fetch-"));
    const r = await tw(["fetch", "stories260K"], { TENSORWIRE_MODELS: dir, TENSORWIRE_FETCH_BASE: `${base}/good` });
    expect(r.stderr).not.toMatch(/tensorwire:/);
    expect(r.code).toBe(0);
    for (const f of model.files) {
      const got = readFileSync(join(dir, "stories260K", f.file));
      expect(got.length, f.file).toBe(f.bytes);
      expect(sha(got), f.file).toBe(f.sha256);
      expect(r.stdout).toContain(`${f.file}: downloaded`);
      expect(requests).toContain(`/good/stories260K/${f.file}`);
    }
    expect(readdirSync(join(dir, "stories260K")).sort()).toEqual(model.files.map((f) => f.file).sort()); // no temp files left
    // resolvable by name afterwards
    expect(resolveModel("stories260K", { env: { TENSORWIRE_MODELS: dir } })).toMatchObject({ format: "llama2c", name: "stories260K" });
    // second run: nothing downloaded
    const before = requests.length;
    const again = await tw(["fetch", "stories260K"], { TENSORWIRE_MODELS: dir, TENSORWIRE_FETCH_BASE: `${base}/good` });
    expect(again.code).toBe(0);
    expect(requests.length).toBe(before);
    for (const f of model.files) expect(again.stdout).toContain(`${f.file}: present, sha256 verified`);
  });

  it("replaces a present file whose hash is wrong (--dir, --mirror)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tw-fetch-"));
    const r0 = await tw(["fetch", "stories260K", "--dir", dir, "--mirror", `${base}/good/`], {});
    expect(r0.code).toBe(0);
    const tok = join(dir, "stories260K", "tok512.bin");
    writeFileSync(tok, "garbage");
    const r = await tw(["fetch", "stories260K", "--dir", dir, "--mirror", `${base}/good`], {});
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("tok512.bin: downloaded");
    expect(r.stdout).toContain("stories260K.bin: present");
    expect(sha(readFileSync(tok))).toBe(model.files.find((f) => f.file === "tok512.bin")!.sha256);
  });

  it("a corrupt download fails naming the URL and both hashes, and saves nothing", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tw-fetch-"));
    const r = await tw(["fetch", "stories260K", "--mirror", `${base}/corrupt`], { TENSORWIRE_MODELS: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`tensorwire: download of ${base}/corrupt/stories260K/stories260K.bin is corrupt`);
    expect(r.stderr).toContain(model.files[0]!.sha256);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(readdirSync(join(dir, "stories260K"))).toEqual([]);
  });

  it("a 404 fails naming the URL and the status", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tw-fetch-"));
    const r = await tw(["fetch", "stories260K", "--mirror", `${base}/missing`], { TENSORWIRE_MODELS: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^tensorwire: cannot download ${base}/missing/stories260K/stories260K.bin: HTTP 404 Not Found\n`, "m"));
    expect(r.stderr).toMatch(/Download it yourself from .* to .*stories260K\.bin/);
    expect(readdirSync(join(dir, "stories260K"))).toEqual([]);
  });

  it("an unreachable server fails naming the URL and the reason", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tw-fetch-"));
    const url = `http://127.0.0.1:${closedPort}`;
    const r = await tw(["fetch", "stories260K"], { TENSORWIRE_MODELS: dir, TENSORWIRE_FETCH_BASE: url });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`tensorwire: cannot download ${url}/stories260K/stories260K.bin: the connection was refused (ECONNREFUSED)`);
    expect(r.stderr).toMatch(/Check the internet connection/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe("tensorwire fetch usage errors", () => {
  it("unknown model, bad mirror, missing name: exit 2 with a message", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tw-fetch-"));
    const a = await tw(["fetch", "gpt5"], { TENSORWIRE_MODELS: dir });
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/^tensorwire: unknown model "gpt5"\nKnown models: stories260K\.\n$/);
    const b = await tw(["fetch", "stories260K", "--mirror", "ftp://x"], { TENSORWIRE_MODELS: dir });
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/--mirror: not an http\(s\) URL: "ftp:\/\/x"/);
    const c = await tw(["fetch"], { TENSORWIRE_MODELS: dir });
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/missing <name>/);
    const d = await tw(["fetch", "--help"], {});
    expect(d.code).toBe(0);
    for (const s of ["--mirror URL", "TENSORWIRE_FETCH_BASE", "--dir DIR", "TENSORWIRE_MODELS", "stories260K.gguf", "default 60"]) expect(d.stdout).toContain(s);
  });
});
