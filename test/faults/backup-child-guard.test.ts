/**
 * Faults: the child guard on its own (src/util/spawn-guarded.ts). A program started with
 * `spawnGuarded` by a Node process dies when that process is killed with SIGKILL — at once when it
 * takes SIGINT, by SIGKILL within about 1.5 s when it ignores SIGINT and SIGTERM — and the guard
 * goes with it. While pgwarden lives, the program's exit status comes back exactly (code, signal,
 * a program that cannot be started), signals are forwarded, and stdio passes straight through.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runGuarded, spawnGuarded } from '../../src/util/spawn-guarded.js';
import { tempDir } from '../support/files.js';
import { descendantsOf, isRunning, waitFor } from './support.js';

const GUARDED = fileURLToPath(new URL('../../dist/util/spawn-guarded.js', import.meta.url));

/**
 * A Node process (standing in for pgwarden) that starts `program args` under the guard and
 * prints the program's pid; returns it with the pids of the guard and the program.
 */
async function parentWithGuardedChild(program: string, args: string[], settled = (_pid: number) => true) {
  const script = join(tempDir(), 'parent.mjs');
  writeFileSync(
    script,
    `import { spawnGuarded } from ${JSON.stringify(GUARDED)};
const child = spawnGuarded(${JSON.stringify(program)}, ${JSON.stringify(args)}, { stdio: ['ignore', 'ignore', 'inherit'] });
child.on('spawn', () => console.log(JSON.stringify({ pid: child.pid, guard: child.guardPid })));
await child.exited;`,
  );
  const parent = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve) => parent.stdout.once('data', (d) => resolve(String(d))));
  const { pid, guard } = JSON.parse(line) as { pid: number; guard: number };
  await waitFor('the program to settle in', () => settled(pid));
  return { parent, pid, guard };
}

describe('kill -9 of the parent', () => {
  it('a program that takes SIGINT ends with its guard', async () => {
    const { parent, pid, guard } = await parentWithGuardedChild('sleep', ['1000']);
    parent.kill('SIGKILL');
    await waitFor('the program and the guard to end', () => !isRunning(pid) && !isRunning(guard), 10_000);
  });

  it('a program that ignores SIGINT and SIGTERM is killed (SIGKILL), and its guard ends', async () => {
    // it has set its traps once it runs its first sleep
    const { parent, pid, guard } = await parentWithGuardedChild(
      'sh',
      ['-c', `trap '' INT TERM; while :; do sleep 0.1; done`],
      (shell) => descendantsOf(shell).length > 0,
    );
    parent.kill('SIGKILL');
    await waitFor('the program and the guard to end', () => !isRunning(pid) && !isRunning(guard), 10_000);
  });
});

describe('while the parent lives', () => {
  it('reports the exit code, the signal, and the output', async () => {
    expect(await runGuarded('sh', ['-c', 'echo out; echo err >&2; exit 3'])).toEqual({
      code: 3,
      signal: null,
      stdout: 'out\n',
      stderr: 'err\n',
    });
    expect(await runGuarded('sh', ['-c', 'kill -XFSZ $$'])).toMatchObject({ code: null, signal: 'SIGXFSZ' });
  });

  it('a program that cannot be started rejects with its errno, like spawn', async () => {
    await expect(runGuarded('/nonexistent/pg_dump', ['--version'])).rejects.toMatchObject({
      code: 'ENOENT',
      path: '/nonexistent/pg_dump',
    });
    const child = spawnGuarded('/nonexistent/psql', []);
    const error = await new Promise<NodeJS.ErrnoException>((resolve) => child.on('error', resolve));
    expect(error.code).toBe('ENOENT');
  });

  it('forwards SIGTERM, sends SIGKILL straight to the program, and aborts on an AbortSignal', async () => {
    const term = spawnGuarded('sleep', ['1000'], { stdio: ['ignore', 'ignore', 'ignore'] });
    await new Promise((resolve) => term.once('spawn', resolve));
    term.kill('SIGTERM');
    expect(await term.exited).toEqual({ code: null, signal: 'SIGTERM' });

    const stubborn = spawnGuarded('sh', ['-c', `trap '' TERM; while :; do sleep 0.1; done`]);
    await new Promise((resolve) => stubborn.once('spawn', resolve));
    await waitFor('the shell to set its trap', () => descendantsOf(stubborn.pid!).length > 0);
    stubborn.kill('SIGKILL');
    expect(await stubborn.exited).toEqual({ code: null, signal: 'SIGKILL' });

    const controller = new AbortController();
    const aborted = spawnGuarded('sleep', ['1000'], { signal: controller.signal });
    await new Promise((resolve) => aborted.once('spawn', resolve));
    controller.abort();
    expect(await aborted.exited).toEqual({ code: null, signal: 'SIGTERM' });
  });

  it('passes stdin and stdout straight through', async () => {
    const child = spawnGuarded('tr', ['a-z', 'A-Z']);
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stdin!.end('hello guard\n');
    expect(await child.exited).toEqual({ code: 0, signal: null });
    expect(out).toBe('HELLO GUARD\n');
  });
});
