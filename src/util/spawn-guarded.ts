/**
 * Spawning a long-running program so that it dies with pgwarden: `spawnGuarded` starts it under
 * the child guard (child-guard.ts), which kills it within about 1.5 s of pgwarden's end by any
 * means — kill -9, a crash, an exit on another error path — and `runGuarded` collects its output.
 * Used for pg_dump, pg_dumpall, pg_restore and psql: programs that hold locks or a transaction on
 * the server and could otherwise run on for minutes after pgwarden is gone.
 *
 * Arguments are an array (never a shell). The program's stdin, stdout and stderr are the ones
 * asked for ('pipe', 'ignore', 'inherit' or an fd), passed straight through the guard.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { GUARD_MARK, GUARD_SCRIPT } from './child-guard.js';

export type StdioChoice = 'pipe' | 'ignore' | 'inherit' | number;

export interface GuardedOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** stdin, stdout, stderr of the program (default all 'pipe') */
  stdio?: [StdioChoice, StdioChoice, StdioChoice];
  /** aborting it sends the program SIGTERM */
  signal?: AbortSignal;
}

export interface ExitStatus {
  /** the program's exit code, or null when a signal ended it */
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * A running guarded program, shaped like Node's ChildProcess where it matters: `stdin`, `stdout`,
 * `stderr` (null unless 'pipe'), `pid` (the program's, once started), `kill()`, and the events
 * 'spawn', 'error' (the program could not be started: `code` ENOENT, EACCES…) and 'close' (code,
 * signal) after its output has ended. `exited` is the same outcome as a promise.
 */
export class GuardedChild extends EventEmitter {
  readonly stdin: Writable | null;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  /** the program's process id, once it runs (the guard's is `guardPid`) */
  pid: number | undefined;
  readonly guardPid: number | undefined;
  /** the program's exit status; rejects when it could not be started */
  readonly exited: Promise<ExitStatus>;
  private ended = false;
  private killOnStart = false;

  constructor(
    private readonly program: string,
    args: readonly string[],
    options: GuardedOptions,
  ) {
    super();
    const env = { ...(options.env ?? process.env) };
    delete env.NODE_OPTIONS; // the guard is a plain node: no inspector, loaders or preloads
    const guard: ChildProcess = spawn(
      process.execPath,
      ['-e', GUARD_SCRIPT, '--', GUARD_MARK, program, ...args],
      {
        env,
        cwd: options.cwd,
        stdio: [...(options.stdio ?? ['pipe', 'pipe', 'pipe']), 'pipe'],
      },
    );
    this.stdin = guard.stdin;
    this.stdout = guard.stdout;
    this.stderr = guard.stderr;
    this.guardPid = guard.pid;
    // the lifeline: only pgwarden holds this end; when pgwarden ends, the guard reads end-of-file
    const lifeline = guard.stdio[3] as Socket;
    let status: ExitStatus | undefined;
    let failure: NodeJS.ErrnoException | undefined;
    let buffered = '';
    lifeline.setEncoding('utf8');
    lifeline.on('data', (chunk: string) => {
      buffered += chunk;
      for (let at = buffered.indexOf('\n'); at >= 0; at = buffered.indexOf('\n')) {
        const line = buffered.slice(0, at);
        buffered = buffered.slice(at + 1);
        const message = parseMessage(line);
        if (message?.pid !== undefined) {
          this.pid = message.pid;
          if (this.killOnStart) this.killProgram('SIGKILL');
          this.emit('spawn');
        } else if (message?.error) {
          failure = spawnError(program, args, message.error);
        } else if (message && 'code' in message) {
          status = { code: message.code ?? null, signal: message.signal ?? null };
        }
      }
    });
    lifeline.on('error', () => undefined);
    const abort = () => this.kill('SIGTERM');
    options.signal?.addEventListener('abort', abort, { once: true });
    if (options.signal?.aborted) abort();

    this.exited = new Promise<ExitStatus>((resolve, reject) => {
      guard.on('error', (error) => {
        failure ??= error as NodeJS.ErrnoException;
      });
      guard.on('close', (code, signal) => {
        this.ended = true;
        options.signal?.removeEventListener('abort', abort);
        lifeline.destroy();
        if (failure) {
          reject(failure);
          if (this.listenerCount('error') > 0) this.emit('error', failure);
          this.emit('close', null, null);
          return;
        }
        // the guard itself was killed before it could report: make sure the program goes too
        if (!status && this.pid !== undefined) this.killProgram('SIGKILL');
        const outcome = status ?? { code, signal };
        resolve(outcome);
        this.emit('close', outcome.code, outcome.signal);
      });
    });
    this.exited.catch(() => undefined); // awaited by the caller, or reported through 'error'
  }

  /**
   * Sends the program a signal: SIGINT, SIGTERM and SIGHUP through the guard (which forwards
   * them), SIGKILL straight to the program. False once it has ended.
   */
  kill(signal: NodeJS.Signals = 'SIGTERM'): boolean {
    if (this.ended) return false;
    if (signal === 'SIGKILL' || !FORWARDED.has(signal)) {
      if (this.pid === undefined) {
        this.killOnStart = true;
        return true;
      }
      return this.killProgram(signal);
    }
    return this.guardPid !== undefined && signalProcess(this.guardPid, signal);
  }

  private killProgram(signal: NodeJS.Signals): boolean {
    return this.pid !== undefined && signalProcess(this.pid, signal);
  }

  override toString(): string {
    return `${this.program} (guarded)`;
  }
}

const FORWARDED: ReadonlySet<NodeJS.Signals> = new Set(['SIGINT', 'SIGTERM', 'SIGHUP']);

function signalProcess(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

interface GuardMessage {
  pid?: number;
  error?: { code?: string; message?: string };
  code?: number | null;
  signal?: NodeJS.Signals | null;
}

function parseMessage(line: string): GuardMessage | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return value && typeof value === 'object' ? (value as GuardMessage) : undefined;
  } catch {
    return undefined;
  }
}

/** The error Node's own spawn gives for a program that cannot be started (code ENOENT, EACCES…). */
function spawnError(
  program: string,
  args: readonly string[],
  error: { code?: string; message?: string },
): NodeJS.ErrnoException {
  return Object.assign(new Error(error.message ?? `spawn ${program} ${error.code ?? 'failed'}`), {
    code: error.code,
    syscall: `spawn ${program}`,
    path: program,
    spawnargs: [...args],
  });
}

/** Starts `program` under the child guard: it cannot outlive pgwarden. */
export function spawnGuarded(
  program: string,
  args: readonly string[],
  options: GuardedOptions = {},
): GuardedChild {
  return new GuardedChild(program, args, options);
}

export interface GuardedRunResult extends ExitStatus {
  stdout: string;
  stderr: string;
}

/**
 * Runs a program under the child guard with no input and collects what it prints (each stream
 * kept up to `maxOutput` characters, the start of it). Rejects only when it cannot be started.
 */
export async function runGuarded(
  program: string,
  args: readonly string[],
  options: Omit<GuardedOptions, 'stdio'> & { maxOutput?: number } = {},
): Promise<GuardedRunResult> {
  const child = spawnGuarded(program, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  const max = options.maxOutput ?? 1_000_000;
  const collect = (stream: Readable | null) => {
    let text = '';
    stream?.setEncoding('utf8').on('data', (chunk: string) => {
      if (text.length < max) text += chunk;
    });
    return () => text;
  };
  const stdout = collect(child.stdout);
  const stderr = collect(child.stderr);
  const status = await child.exited;
  return { ...status, stdout: stdout(), stderr: stderr() };
}
