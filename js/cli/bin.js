#!/usr/bin/env node
// The `webllm-monitor` executable (package.json "bin"). It runs the command unconditionally, so it
// works however it is started: through node_modules/.bin's symlink, `npx`, an npm script, npm's
// Windows shim, or `node js/cli/bin.js`. The commands themselves live in main.js.
import { main } from './main.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`webllm-monitor: internal error: ${err?.stack ?? String(err)}\n`);
    process.exitCode = 2;
  },
);
