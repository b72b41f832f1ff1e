#!/usr/bin/env node
// The `tensorwire` command line: the dispatcher only. Each command lives in src/commands/<name>.ts;
// argument parsing, help, errors, progress and units are in src/cli/.
import { runCli, type Command } from "./cli/command.js";
import { codecsCommand } from "./commands/codecs.js";
import { demoCommand } from "./commands/demo.js";
import { runCommand } from "./commands/run.js";
import { evalCommand } from "./commands/eval.js";
import { benchCommand } from "./commands/bench.js";
import { quickstartCommand } from "./commands/quickstart.js";
import { fetchCommand } from "./commands/fetch.js";
import { studyCommand } from "./commands/study.js";

/** Every command, in the order `tensorwire --help` lists them. */
export const COMMANDS: readonly Command[] = [quickstartCommand, runCommand, evalCommand, benchCommand, demoCommand, codecsCommand, fetchCommand, studyCommand];

const code = await runCli(COMMANDS, process.argv.slice(2), {
  defaultCommand: "quickstart",
  banner: "tensorwire — tensor-parallel LLM inference with compressed communication",
  examples: [
    "tensorwire demo --world 2 --link 1Gbit/s --codecs mxfp4,fp5-e2m2",
    "tensorwire codecs",
    "tensorwire fetch stories260K",
    "tensorwire <command> --help",
  ],
});
process.exitCode = code;
