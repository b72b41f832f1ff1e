#!/usr/bin/env node
// The `tensorwire` executable. It is a committed file (not dist/cli.js itself) so that `npm ci` in a
// fresh clone links it into node_modules/.bin before anything is built (npm skips bins whose target
// does not exist yet); it runs the built CLI, or says how to build it.
import { existsSync } from "node:fs";

const cli = new URL("../dist/cli.js", import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write(
    "tensorwire: the CLI is not built yet (packages/examples/dist/cli.js is missing)\n" +
    'Run "npm run build" in the repository root first (or "npm start", which builds and runs the demo).\n',
  );
  process.exit(1);
}
await import(cli.href);
