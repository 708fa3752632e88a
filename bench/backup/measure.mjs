/**
 * bench/backup: running a child process while measuring its wall time and peak memory. Memory is
 * polled from /proc every ~50 ms while the child runs: the child's own VmHWM (its peak resident
 * set, kept by the kernel) and the sum of VmRSS over the child and its descendants (for a CLI that
 * spawns helpers); the reported peak is the larger of the two, as last seen before the exit.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

const POLL_MS = 50;
/** A child still running after this long is killed: the bench caps its own run. */
const CAP_MS = Number(process.env.BENCH_BACKUP_CAP_MS ?? 30 * 60_000);
/** Output kept per stream (the CLIs' JSON is small; the rest is only for error messages). */
const KEEP_BYTES = 4 << 20;

/** `VmHWM` and `VmRSS` of a process in bytes, or undefined once it is gone. */
function memoryOf(pid) {
  let status;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const kb = (field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  return { hwm: kb('VmHWM') * 1024, rss: kb('VmRSS') * 1024 };
}

/** The pids of every descendant of `pid` (via /proc/<pid>/task/<tid>/children). */
function descendantsOf(pid) {
  const found = [];
  const queue = [pid];
  while (queue.length) {
    const current = queue.shift();
    let tids = [];
    try {
      tids = readFileSync(`/proc/${current}/task/${current}/children`, 'utf8').trim().split(/\s+/);
    } catch {
      // gone, or no children file
    }
    for (const child of tids) {
      if (!child) continue;
      found.push(Number(child));
      queue.push(Number(child));
    }
  }
  return found;
}

/**
 * Runs `command args` (no shell) with `env`, resolving to
 * `{ code, signal, killed, ms, peakBytes, stdout, stderr }`; never rejects on an exit code.
 */
export function runMeasured(command, args, { env, cwd } = {}) {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(command, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let peakBytes = 0;
    let killed = false;
    const poll = () => {
      const own = memoryOf(child.pid);
      if (!own) return;
      let tree = own.rss;
      for (const pid of descendantsOf(child.pid)) tree += memoryOf(pid)?.rss ?? 0;
      peakBytes = Math.max(peakBytes, own.hwm, tree);
    };
    const timer = setInterval(poll, POLL_MS);
    const cap = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, CAP_MS);
    const out = { stdout: '', stderr: '' };
    for (const stream of ['stdout', 'stderr']) {
      child[stream].setEncoding('utf8').on('data', (chunk) => {
        if (out[stream].length < KEEP_BYTES) out[stream] += chunk;
      });
    }
    child.on('error', (error) => {
      clearInterval(timer);
      clearTimeout(cap);
      reject(error);
    });
    child.on('close', (code, signal) => {
      const ms = performance.now() - start;
      clearInterval(timer);
      clearTimeout(cap);
      resolve({ code, signal, killed, ms, peakBytes, ...out });
    });
    poll();
  });
}

/** The median of a list of numbers (the mean of the two middle ones for an even count). */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Why a run failed, in one line: the child's own "failed:"/error line, else its last stderr line. */
export function failureReason(result) {
  if (result.killed) return `killed after ${Math.round(CAP_MS / 1000)} s`;
  const lines = result.stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const line =
    lines.find((l) => /^failed:/.test(l)) ??
    lines.find((l) => /\b(error|fatal)\b/i.test(l)) ??
    lines[lines.length - 1] ??
    '';
  const exit = result.signal ? `signal ${result.signal}` : `exit ${result.code}`;
  return `${line.replace(/^failed:\s*/, '') || 'no message'} (${exit})`;
}
