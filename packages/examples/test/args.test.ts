// The declarative option parser: values, defaults, limits, errors (UsageError, exit code 2) and help.
import { describe, expect, it } from "vitest";
import { formatHelp, parseArgs, closest, type CommandSpec } from "../src/cli/args.js";
import { UsageError, reportError } from "../src/cli/errors.js";
import { runCli, defineCommand, CliError } from "../src/cli/command.js";
import { parseLink } from "../src/cli/units.js";

const spec = {
  name: "t",
  summary: "test command",
  options: {
    n: { type: "int", min: 1, max: 8, default: 2, description: "count" },
    x: { type: "number", min: 0, max: 1, description: "fraction" },
    seed: { type: "int", min: -5, max: 5, description: "may be negative" },
    mode: { type: "string", choices: ["a", "b"], default: "a", description: "mode" },
    name: { type: "string", short: "o", description: "a name" },
    codec: { type: "list", description: "codecs" },
    link: { type: "custom", parse: parseLink, default: "none", limits: "none | <bw>", description: "link" },
    json: { type: "boolean", description: "json" },
  },
  positionals: [{ name: "what", description: "thing", required: true }],
} as const satisfies CommandSpec;

describe("parseArgs", () => {
  it("parses values, applies defaults (custom defaults through their parser)", () => {
    const a = parseArgs(spec, ["thing", "--n", "3", "--x=0.5", "--seed", "-2", "-o", "z", "--codec", "a,b", "--codec", "c", "--link", "1Gbit/s", "--json"]);
    expect(a.positionals).toEqual(["thing"]);
    expect(a.options).toEqual({ n: 3, x: 0.5, seed: -2, mode: "a", name: "z", codec: ["a", "b", "c"], link: { bandwidthBytesPerSec: 125e6, latencySec: 50e-6 }, json: true });
    const d = parseArgs(spec, ["thing"]);
    expect(d.options).toEqual({ n: 2, x: undefined, seed: undefined, mode: "a", name: undefined, codec: [], link: null, json: false });
    expect(parseArgs(spec, ["--", "--n"]).positionals).toEqual(["--n"]);
    expect(parseArgs(spec, ["thing", "-oz"]).options.name).toBe("z");
  });

  it("throws UsageError naming the flag for every kind of bad input", () => {
    const bad: Array<[string[], RegExp]> = [
      [["thing", "--n", "9"], /--n: expected an integer from 1 to 8, got "9"/],
      [["thing", "--n", "1.5"], /--n: expected an integer/],
      [["thing", "--n", "abc"], /--n: expected an integer/],
      [["thing", "--n", ""], /--n: expected an integer/],
      [["thing", "--x", "2"], /--x: expected a number from 0 to 1/],
      [["thing", "--x", "NaN"], /--x: expected a number/],
      [["thing", "--mode", "c"], /--mode: unknown value "c" \(one of: a, b\)/],
      [["thing", "--link", "warp"], /--link: bad bandwidth "warp"/],
      [["thing", "--n"], /--n needs a value/],
      [["thing", "--n", "--json"], /--n needs a value/],
      [["thing", "--json=1"], /--json takes no value/],
      [["thing", "--n", "2", "--n", "3"], /--n given more than once/],
      [["thing", "--nope"], /unknown option "--nope"/],
      [["thing", "--jsn"], /did you mean "--json"/],
      [["thing", "-q"], /unknown option "-q"/],
      [["thing", "--codec", "a,,b"], /--codec: expected a comma-separated list/],
      [[], /missing <what>/],
      [["a", "b"], /unexpected argument "b"/],
    ];
    for (const [argv, re] of bad) {
      let err: unknown;
      try { parseArgs(spec, argv); } catch (e) { err = e; }
      expect(err, argv.join(" ")).toBeInstanceOf(UsageError);
      expect((err as UsageError).message, argv.join(" ")).toMatch(re);
      expect((err as UsageError).exitCode).toBe(2);
      expect((err as UsageError).hint).toBe('Run "tensorwire t --help" for usage.');
    }
  });

  it("--help and --version skip the positional check", () => {
    expect(parseArgs(spec, ["--help"]).global.help).toBe(true);
    expect(parseArgs(spec, ["-V"]).global.version).toBe(true);
  });

  it("help lists every option with its limits and default, and the global options", () => {
    const h = formatHelp(spec);
    for (const s of ["Usage: tensorwire t <what> [options]", "--n N", "integer 1–8; default 2", "0–1", "one of a | b; default a", "-o, --name", "none | <bw>; default none", "--json", "-h, --help", "-V, --version", "--debug"]) {
      expect(h).toContain(s);
    }
  });

  it("closest suggests near names only", () => {
    expect(closest("wrld", ["world", "size"])).toBe("world");
    expect(closest("xyz", ["world", "size"])).toBeUndefined();
    expect(closest("tem", ["temperature", "topp"])).toBe("temperature");
  });
});

describe("error reporting and the dispatcher", () => {
  it("reportError: CliError → message + hint + its exit code; other errors → exit 1, stack only with debug", () => {
    let s = "";
    expect(reportError(new CliError("boom", { hint: "do this", exitCode: 3 }), false, (t) => { s += t; })).toBe(3);
    expect(s).toBe("tensorwire: boom\ndo this\n");
    s = "";
    expect(reportError(new TypeError("oops"), false, (t) => { s += t; })).toBe(1);
    expect(s).toMatch(/^tensorwire: oops\n\(run with --debug/);
    expect(s).not.toMatch(/\n\s+at /);
    s = "";
    reportError(new TypeError("oops"), true, (t) => { s += t; });
    expect(s).toMatch(/TypeError: oops\n\s+at /);
  });

  it("runCli wraps commands: exit codes, thrown errors, --debug anywhere, default command", async () => {
    const calls: string[] = [];
    const cmds = [
      defineCommand({ name: "ok", summary: "ok", options: { k: { type: "int", min: 0, max: 9, default: 1, description: "k" } } }, ({ options }) => { calls.push(`ok ${options.k}`); }),
      defineCommand({ name: "bad", summary: "throws", options: {} }, () => { throw new Error("internal"); }),
      defineCommand({ name: "three", summary: "exit 3", options: {} }, () => 3),
    ];
    let out = "", err = "";
    const o = { defaultCommand: "ok", banner: "B", out: (t: string) => { out += t; }, err: (t: string) => { err += t; }, env: {} };
    expect(await runCli(cmds, [], o)).toBe(0);
    expect(await runCli(cmds, ["--k", "4"], o)).toBe(0);
    expect(await runCli(cmds, ["--debug", "ok", "--k", "5"], o)).toBe(0);
    expect(calls).toEqual(["ok 1", "ok 4", "ok 5"]);
    expect(await runCli(cmds, ["three"], o)).toBe(3);
    expect(await runCli(cmds, ["bad"], o)).toBe(1);
    expect(err).toMatch(/^tensorwire: internal\n/);
    expect(err).not.toMatch(/\n\s+at /);
    err = "";
    expect(await runCli(cmds, ["bad"], { ...o, env: { TENSORWIRE_DEBUG: "1" } })).toBe(1);
    expect(err).toMatch(/\n\s+at /);
    err = "";
    expect(await runCli(cmds, ["ok", "--k", "x"], o)).toBe(2);
    expect(err).toBe('tensorwire: --k: expected an integer from 0 to 9, got "x"\nRun "tensorwire ok --help" for usage.\n');
    out = "";
    expect(await runCli(cmds, ["--help"], o)).toBe(0);
    expect(out).toMatch(/B\n[\s\S]*ok\s+ok \[default\][\s\S]*bad\s+throws/);
  });
});
