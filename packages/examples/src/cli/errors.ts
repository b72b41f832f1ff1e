// Errors the CLI reports to the user as one line (plus an optional hint), never as a stack trace.

/** An error meant for the user: `tensorwire: <message>`, then the hint, then exit with `exitCode`. */
export class CliError extends Error {
  /** A second line telling the user what to do (e.g. `Run "tensorwire fetch --help" for usage.`). */
  readonly hint: string | undefined;
  /** Process exit code (1 = the work failed, 2 = bad usage). */
  readonly exitCode: number;

  constructor(message: string, options: { hint?: string; exitCode?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "CliError";
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? 1;
  }
}

/** Bad usage: an unknown flag or command, a bad value, a missing file. Exit code 2. */
export class UsageError extends CliError {
  constructor(message: string, hint?: string) {
    super(message, { exitCode: 2, ...(hint === undefined ? {} : { hint }) });
    this.name = "UsageError";
  }
}

/** Whether stack traces are wanted: `--debug` anywhere on the command line or TENSORWIRE_DEBUG=1. */
export function debugEnabled(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env.TENSORWIRE_DEBUG;
  return argv.includes("--debug") || (v !== undefined && v !== "" && v !== "0" && v.toLowerCase() !== "false");
}

/**
 * Prints an error the way every command reports failures and returns the exit code to use:
 * a CliError as `tensorwire: <message>` (+ hint), anything else as `tensorwire: <message>` with exit
 * code 1; with `debug` the stack (and causes) follow.
 */
export function reportError(e: unknown, debug: boolean, write: (s: string) => void = (s) => process.stderr.write(s)): number {
  const message = e instanceof Error ? e.message : String(e);
  let out = `tensorwire: ${message}\n`;
  if (e instanceof CliError && e.hint) out += `${e.hint}\n`;
  if (debug) {
    let cur: unknown = e;
    let first = true;
    while (cur !== undefined && cur !== null) {
      if (cur instanceof Error) out += `${first ? "" : "caused by: "}${cur.stack ?? cur.message}\n`;
      else out += `caused by: ${String(cur)}\n`;
      first = false;
      cur = cur instanceof Error ? (cur as Error & { cause?: unknown }).cause : undefined;
    }
  } else if (!(e instanceof CliError)) {
    out += "(run with --debug or TENSORWIRE_DEBUG=1 for the stack trace)\n";
  }
  write(out);
  return e instanceof CliError ? e.exitCode : 1;
}
