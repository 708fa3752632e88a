/**
 * The restore's own session: one psql process, connected before anything changes, holding ONE
 * transaction from the moment application writes are blocked until the restore commits.
 * - `blockWrites`: `LOCK TABLE … IN EXCLUSIVE MODE` on every table of the database. Reads go on
 *   (pg_dump takes ACCESS SHARE for the safety backup), every write waits. A write that committed
 *   before the lock is in the safety backup taken after it; no write can commit after it.
 * - `replace`: in the same transaction the database is emptied and the archive's script (or the
 *   plain dump) recreates it, then COMMIT. The session already holds locks that conflict with the
 *   writers queued behind it, so PostgreSQL lets its upgrade to ACCESS EXCLUSIVE pass them: there
 *   is no moment between the safety backup and the restore at which a queued write could commit.
 *   Writers still waiting then run against the restored tables (writes after the restore).
 * - `close` without COMMIT: psql reads the end of its input and exits; the server rolls the
 *   transaction back. The same happens when pgwarden dies: psql's input is a pipe from pgwarden.
 * psql reports progress through marker lines on its output (`pgwarden:<step>:<nonce>`); every
 * other output line is discarded.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import type { Readable } from 'node:stream';
import type { ClientTools } from '../db/client-tools.js';
import { BLOCK_OWNER_PREFIX } from '../db/connection-block.js';
import { emptyDatabaseStatements } from '../db/empty-database.js';
import { libpqTarget } from '../db/libpq.js';
import { PgwardenError } from '../errors/pgwarden-error.js';
import { withConnectionCheck } from '../util/connection-check.js';
import { type GuardedChild, spawnGuarded } from '../util/spawn-guarded.js';
import { lastLines } from './read-archive.js';
import { NESTED_BEGIN_WARNING } from './restore-sql.js';

/** Every table that holds rows, locked in one order (by oid) so two restores cannot deadlock. */
const LOCK_EVERY_TABLE = `DO $pgwarden_lock$
DECLARE r record;
BEGIN
  FOR r IN SELECT c.oid::regclass AS rel FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p') AND c.relpersistence <> 't'
              AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%'
            ORDER BY c.oid LOOP
    EXECUTE format('LOCK TABLE ONLY %s IN EXCLUSIVE MODE', r.rel);
  END LOOP;
END
$pgwarden_lock$;`;

export interface RestoreSession {
  /** The session's backend pid (never terminated, never counted as another session). */
  pid: number;
  /** Blocks every write to the database's tables (the lock wait is bounded by `lockTimeoutMs`). */
  blockWrites(lockTimeoutMs: number): Promise<void>;
  /** Empties the database, runs `script`, commits; resolves once psql has exited cleanly. */
  replace(script: Readable, lockTimeoutMs: number): Promise<void>;
  /** Rolls back whatever is open and ends psql (safe to call at any time, twice). */
  close(): Promise<void>;
}

export interface SessionOptions {
  tools: Pick<ClientTools, 'psql'>;
  url: string | undefined;
  serverMajor: number;
  signal?: AbortSignal | undefined;
}

export async function openRestoreSession(options: SessionOptions): Promise<RestoreSession> {
  const nonce = randomBytes(8).toString('hex');
  const target = libpqTarget(options.url);
  const args = ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '--no-password', ...target.args];
  const env = withConnectionCheck(
    { ...target.env, PGAPPNAME: `${BLOCK_OWNER_PREFIX} (psql)` },
    options.serverMajor * 10000,
  );
  // guarded: should pgwarden die, psql dies too, and the server rolls the transaction back
  const psql = spawnGuarded(options.tools.psql, args, { env });
  psql.stdin!.on('error', () => undefined);
  const output = new Markers(psql, nonce, options.url);
  const abort = () => psql.kill('SIGTERM');
  options.signal?.addEventListener('abort', abort, { once: true });

  const stdin = psql.stdin!;
  const send = (sql: string) => {
    stdin.write(sql.endsWith('\n') ? sql : `${sql}\n`);
  };
  const mark = (step: string) => `SELECT 'pgwarden:${step}:${nonce}';`;

  const settings = [
    'SET statement_timeout = 0;',
    'SET idle_in_transaction_session_timeout = 0;',
    ...(options.serverMajor >= 14 ? ['SET idle_session_timeout = 0;'] : []),
  ];
  send(`${settings.join('\n')}\nSELECT 'pgwarden:ready:${nonce}:' || pg_backend_pid();`);
  let pid: number;
  try {
    pid = Number(await output.next('ready'));
  } catch (error) {
    options.signal?.removeEventListener('abort', abort);
    throw error;
  }

  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    options.signal?.removeEventListener('abort', abort);
    stdin.end();
    const timer = setTimeout(() => psql.kill('SIGKILL'), 10_000);
    await output.exited;
    clearTimeout(timer);
  };

  return {
    pid,
    async blockWrites(lockTimeoutMs) {
      send(
        `BEGIN;\nSET LOCAL lock_timeout = ${Math.max(0, Math.round(lockTimeoutMs))};\n${LOCK_EVERY_TABLE}\n${mark('locked')}`,
      );
      await output.next('locked');
    },
    async replace(script, lockTimeoutMs) {
      send(emptyDatabaseStatements(lockTimeoutMs));
      send(mark('emptied'));
      await output.next('emptied');
      for await (const chunk of script) {
        if (!stdin.write(chunk)) await Promise.race([once(stdin, 'drain'), output.exited]);
        if (output.done) break;
      }
      if (output.done) await output.failure('the restore');
      send('\nCOMMIT;');
      closed = true;
      options.signal?.removeEventListener('abort', abort);
      stdin.end();
      const exit = await output.exited;
      if (exit.code !== 0 || exit.signal !== null) await output.failure('the restore');
    },
    close,
  };
}

/**
 * psql's output read line by line: marker lines resolve `next(step)`; psql's end rejects the
 * waiting step with what psql said (its error, scrubbed of the password).
 */
class Markers {
  private readonly waiting = new Map<string, { resolve(value: string): void; reject(error: Error): void }>();
  private readonly seen = new Map<string, string>();
  private stderr = '';
  private buffered = '';
  done = false;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(
    child: GuardedChild,
    private readonly nonce: string,
    private readonly url: string | undefined,
  ) {
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => this.read(chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      if (this.stderr.length < 64_000) this.stderr += chunk;
    });
    this.exited = new Promise((resolve) => {
      child.on('error', (error: NodeJS.ErrnoException) => {
        this.stderr += error.code === 'ENOENT' ? 'psql was not found' : error.message;
      });
      child.on('close', (code, signal) => {
        this.done = true;
        for (const [step, waiter] of this.waiting) waiter.reject(this.error(step));
        this.waiting.clear();
        resolve({ code, signal });
      });
    });
  }

  private read(chunk: string): void {
    this.buffered += chunk;
    let end = this.buffered.indexOf('\n');
    while (end >= 0) {
      const line = this.buffered.slice(0, end);
      this.buffered = this.buffered.slice(end + 1);
      const prefix = 'pgwarden:';
      if (line.startsWith(prefix)) {
        const [step, nonce, ...value] = line.slice(prefix.length).split(':');
        if (nonce === this.nonce && step) {
          const waiter = this.waiting.get(step);
          this.waiting.delete(step);
          if (waiter) waiter.resolve(value.join(':'));
          else this.seen.set(step, value.join(':'));
        }
      }
      end = this.buffered.indexOf('\n');
    }
    // only marker lines matter: drop a long line without a newline yet
    if (this.buffered.length > 4096 && !this.buffered.startsWith('pgwarden:')) this.buffered = '';
  }

  /** Resolves with the marker's value when psql prints it; rejects if psql ends first. */
  next(step: string): Promise<string> {
    const value = this.seen.get(step);
    if (value !== undefined) {
      this.seen.delete(step);
      return Promise.resolve(value);
    }
    if (this.done) return Promise.reject(this.error(step));
    return new Promise((resolve, reject) => this.waiting.set(step, { resolve, reject }));
  }

  /** Throws what psql said when it stopped. */
  async failure(doing: string): Promise<never> {
    await this.exited;
    throw this.error(doing);
  }

  private error(step: string): PgwardenError {
    const messages = this.stderr
      .split('\n')
      .filter((line) => !line.includes(NESTED_BEGIN_WARNING))
      .join('\n');
    const lockTimeout = /canceling statement due to lock timeout|deadlock detected/.test(messages);
    return new PgwardenError(
      'RESTORE_FAILED',
      `psql stopped during ${step === 'ready' ? 'its start' : step === 'locked' ? 'the blocking of writes' : step}: ${lastLines(messages, this.url)}`,
      { details: { lockTimeout } },
    );
  }
}
