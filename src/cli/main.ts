#!/usr/bin/env node
/** The `pgwarden` binary. */
// before anything loads pg (ES modules are evaluated in import order)
import '../util/compile-cache.js';
import '../util/node-navigator.js';
import '../util/wasm-tiering.js';
import { runCli } from './program.js';

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  stdin: process.stdin,
});
