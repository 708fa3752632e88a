/**
 * The child guard: a tiny Node program that stands between pgwarden and a long-running client
 * program (pg_dump, pg_dumpall, pg_restore, psql) so that the program never outlives pgwarden.
 *
 * pgwarden starts it as `node -e <GUARD_SCRIPT> -- pgwarden-child-guard <program> <args…>` with
 * the program's stdin, stdout and stderr as its own fds 0–2 and one more fd, 3: the lifeline, a
 * socket pair whose other end only pgwarden holds. The guard
 * - starts the program with fds 0–2 passed straight through (the data never goes through the
 *   guard: pg_dump writes into pgwarden's pipe itself);
 * - reports on the lifeline, one JSON object a line: `{"pid":n}` once the program runs,
 *   `{"error":{"code","message"}}` when it cannot be started (ENOENT…), `{"code","signal"}` when
 *   it has ended (the exact status, signals included);
 * - forwards SIGINT, SIGTERM and SIGHUP to the program;
 * - when the lifeline reaches end-of-file — pgwarden is gone, whatever killed it, kill -9
 *   included: the kernel closes its end — sends the program SIGINT (pg_dump, pg_restore and psql
 *   then ask the server to cancel the running query), SIGTERM 300 ms later and SIGKILL at 1.5 s,
 *   until it has ended;
 * - exits when the program has, with its exit code (128 + the signal number after a signal).
 *
 * It is kept as source text run with `node -e` (CommonJS, no dependencies), so it works the same
 * from the built CLI and from the TypeScript sources under test, on Linux and macOS.
 */

/** The guard's first argument: makes it easy to tell apart in `ps` and /proc. */
export const GUARD_MARK = 'pgwarden-child-guard';

export const GUARD_SCRIPT = `'use strict';
const { spawn } = require('node:child_process');
const { writeSync } = require('node:fs');
const { Socket } = require('node:net');
const { constants } = require('node:os');
const [program, ...args] = process.argv.slice(2);
let lifelineOpen = true;
const tell = (message) => {
  if (!lifelineOpen) return;
  try { writeSync(3, JSON.stringify(message) + '\\n'); } catch { lifelineOpen = false; }
};
let ended = false;
const send = (signal) => { if (!ended) { try { child.kill(signal); } catch {} } };
const child = spawn(program, args, { stdio: 'inherit' });
child.on('spawn', () => tell({ pid: child.pid }));
child.on('error', (error) => {
  ended = true;
  tell({ error: { code: error.code, message: error.message } });
  process.exit(127);
});
child.on('exit', (code, signal) => {
  ended = true;
  tell({ code, signal });
  process.exit(signal ? 128 + (constants.signals[signal] || 0) : code);
});
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => send(signal));
const lifeline = new Socket({ fd: 3, readable: true, writable: false, allowHalfOpen: true });
const lost = () => {
  if (!lifelineOpen) return;
  lifelineOpen = false;
  send('SIGINT');
  setTimeout(() => send('SIGTERM'), 300).unref();
  setTimeout(() => send('SIGKILL'), 1500).unref();
};
lifeline.on('data', () => undefined);
lifeline.on('end', lost);
lifeline.on('close', lost);
lifeline.on('error', lost);
`;
