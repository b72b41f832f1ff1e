// Commands and the dispatcher: `tensorwire <command> [options]`, per-command `--help`, `--version`,
// and one error boundary (CliError → its message and exit code; anything else → `tensorwire: <message>`,
// exit 1; stacks only with --debug / TENSORWIRE_DEBUG=1).
import { readFileSync } from "node:fs";
import { formatHelp, parseArgs, closest, type CommandSpec, type ParsedArgs } from "./args.js";
import { CliError, UsageError, debugEnabled, reportError } from "./errors.js";

/** What a command's run function gets besides its arguments. */
export interface CommandContext {
  /** Write to stdout (results). */
  readonly out: (text: string) => void;
  /** Write to stderr (progress, notes, warnings). */
  readonly err: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
  /** Whether --debug / TENSORWIRE_DEBUG is on. */
  readonly debug: boolean;
}

/** A command: its spec and its run function (returns the exit code, default 0). */
export interface Command<S extends CommandSpec = CommandSpec> {
  readonly spec: S;
  run(args: ParsedArgs<S>, ctx: CommandContext): Promise<number | void> | number | void;
}

/** Declares a command; `const` keeps the option table's literal types so `args.options` is typed. */
export function defineCommand<const S extends CommandSpec>(
  spec: S,
  run: (args: ParsedArgs<S>, ctx: CommandContext) => Promise<number | void> | number | void,
): Command<S> {
  return { spec, run };
}

/** The version in packages/examples/package.json. */
export function cliVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

/** Options of runCli. */
export interface CliOptions {
  /** Command run when none is named (e.g. `demo`). */
  defaultCommand?: string;
  /** First lines of the top-level help. */
  banner: string;
  /** Examples for the top-level help. */
  examples?: readonly string[];
  env?: NodeJS.ProcessEnv;
  out?: (text: string) => void;
  err?: (text: string) => void;
}

/** The top-level help: every command with its summary. */
export function formatTopHelp(commands: readonly Command[], opts: CliOptions): string {
  const w = Math.max(...commands.map((c) => c.spec.name.length)) + 2;
  const lines = [
    opts.banner,
    "",
    "Usage: tensorwire <command> [options]",
    "       tensorwire <command> --help     options of one command, with limits and defaults",
    "       tensorwire --version",
    "",
    "Commands:",
    ...commands.map((c) => {
      const alias = c.spec.aliases?.length ? ` (alias: ${c.spec.aliases.join(", ")})` : "";
      const dflt = c.spec.name === opts.defaultCommand ? " [default]" : "";
      return `  ${c.spec.name.padEnd(w)}${c.spec.summary}${alias}${dflt}`;
    }),
    `  ${"help".padEnd(w)}show this help, or "tensorwire help <command>"`,
  ];
  if (opts.examples?.length) lines.push("", "Examples:", ...opts.examples.map((e) => `  ${e}`));
  return lines.join("\n") + "\n";
}

let guarded = false;

/**
 * Process-wide guards of the real CLI: a closed stdout/stderr pipe (`tensorwire run | head`) ends the
 * process quietly instead of with an EPIPE stack; an error that escapes a command's promise chain
 * (an unhandled rejection, an exception in a callback) is reported like any other (exit 1).
 */
function installProcessGuards(debug: boolean): void {
  if (guarded) return;
  guarded = true;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code === "EPIPE") process.exit(process.exitCode ?? 0);
      throw e;
    });
  }
  const fatal = (e: unknown) => { process.exit(reportError(e, debug)); };
  process.on("uncaughtException", fatal);
  process.on("unhandledRejection", fatal);
}

/**
 * Runs the command line `argv` (without node and the script) and returns the exit code. Never throws:
 * every error is reported on stderr (see reportError). Without `opts.out`/`opts.err` (the real CLI)
 * it also installs the process guards (EPIPE, errors escaping a command).
 */
export async function runCli(commands: readonly Command[], argv: readonly string[], opts: CliOptions): Promise<number> {
  const env = opts.env ?? process.env;
  const out = opts.out ?? ((s: string) => { process.stdout.write(s); });
  const err = opts.err ?? ((s: string) => { process.stderr.write(s); });
  const debug = debugEnabled(argv, env);
  if (!opts.out && !opts.err) installProcessGuards(debug);
  argv = argv.filter((a) => a !== "--debug"); // global, wherever it is (already read above)
  try {
    const byName = new Map<string, Command>();
    for (const c of commands) for (const n of [c.spec.name, ...(c.spec.aliases ?? [])]) byName.set(n, c);
    const first = argv[0];
    if (first === undefined || first.startsWith("-")) {
      const rest = argv.filter((a) => a !== "--debug");
      if (rest.includes("--version") || rest.includes("-V")) { out(`${cliVersion()}\n`); return 0; }
      if (rest.includes("--help") || rest.includes("-h")) { out(formatTopHelp(commands, opts)); return 0; }
      if (!opts.defaultCommand) { out(formatTopHelp(commands, opts)); return 0; }
      return await runOne(byName.get(opts.defaultCommand)!, argv, { out, err, env, debug });
    }
    if (first === "help") {
      const target = argv[1];
      if (target === undefined) { out(formatTopHelp(commands, opts)); return 0; }
      const c = byName.get(target);
      if (!c) throw unknownCommand(target, [...byName.keys()]);
      out(formatHelp(c.spec));
      return 0;
    }
    const c = byName.get(first);
    if (!c) throw unknownCommand(first, [...byName.keys()]);
    return await runOne(c, argv.slice(1), { out, err, env, debug });
  } catch (e) {
    return reportError(e, debug, err);
  }
}

function unknownCommand(name: string, known: string[]): UsageError {
  const near = closest(name, known);
  return new UsageError(
    `unknown command "${name}"${near ? `; did you mean "${near}"?` : ""}`,
    `Commands: ${known.join(", ")}. Run "tensorwire --help" for usage.`,
  );
}

async function runOne(c: Command, argv: readonly string[], ctx: CommandContext): Promise<number> {
  const args = parseArgs(c.spec, argv);
  if (args.global.help) { ctx.out(formatHelp(c.spec)); return 0; }
  if (args.global.version) { ctx.out(`${cliVersion()}\n`); return 0; }
  const code = await c.run(args, ctx);
  return typeof code === "number" ? code : 0;
}

export { CliError, UsageError };
