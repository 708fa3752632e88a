import { spawn } from 'node:child_process';

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  uid?: number;
  gid?: number;
  input?: string;
  timeoutMs?: number;
  /** Aborting it kills the program (SIGTERM); the result then carries the signal. */
  signal?: AbortSignal;
}

/** Runs a program with an argument array (never through a shell) and collects its output. */
export function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: options.env ?? process.env,
      cwd: options.cwd,
      uid: options.uid,
      gid: options.gid,
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: options.timeoutMs,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', (error) => {
      if (error.name !== 'AbortError') reject(error); // after an abort, 'close' reports the signal
    });
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    // a program that exits without reading its input closes the pipe: not an error of ours
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}
