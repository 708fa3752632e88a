/**
 * `trace`: runs a SQL file on a database and reports, statement by statement, the table locks
 * taken (from pg_locks), the relations rewritten (relfilenode changes), created and dropped, the
 * tables read in full (sequential-scan counters) and the duration.
 *
 * Modes:
 * - `rollback` (default): one transaction on the given database, always rolled back (also on an
 *   error or an interrupt). The file's own BEGIN/COMMIT/ROLLBACK are skipped, so nothing can
 *   commit. Statements PostgreSQL refuses in a transaction block (CREATE INDEX CONCURRENTLY,
 *   VACUUM, …; decided with the lock table) are not run: they are reported as skipped with the
 *   locks the lock table predicts. Sequences advanced by the SQL (nextval) stay advanced: that is
 *   the one thing PostgreSQL never rolls back.
 * - `scratch`: a database `pgwarden_scratch_<hex>` is created on the same server, loaded with the
 *   live schema (pg_dump --schema-only | psql), and every statement runs there for real, like the
 *   pgwarden runner runs a migration: transactional statements in one transaction, each
 *   non-transactional statement alone, outside any transaction (its locks are the lock table's
 *   prediction, `observed: false`). The scratch database is dropped afterwards, also on an error
 *   or an interrupt.
 *
 * `lock_timeout` (default 500 ms) bounds every lock wait, so a trace never makes the application
 * queue behind it; a wait that times out stops the trace and names the sessions in the way.
 *
 * The result's JSON shape is documented in result.ts.
 */
import { performance } from 'node:perf_hooks';
import type pg from 'pg';
import { locksByRelation } from '../analysis/effects.js';
import { loadLiveFacts } from '../analysis/live-catalog.js';
import type { SchemaModel } from '../analysis/schema-model.js';
import { findClientTools } from '../db/client-tools.js';
import { connect, scrub } from '../db/connect.js';
import { withDatabase } from '../db/libpq.js';
import { createScratchDatabase, dropScratchDatabase, scratchName } from '../db/scratch-database.js';
import { PgwardenError } from '../errors/pgwarden-error.js';
import { LOCK_MODES, type LockMode, lockModeSql } from '../locks/modes.js';
import { parseScript } from '../migrate/steps.js';
import { charIndex } from '../sql/lines.js';
import { loadParser } from '../sql/parser.js';
import { escapeControls } from '../sql/quote.js';
import type { Statement } from '../sql/statement.js';
import { displayRelationKey, holdersOf, type LockWait, watchLockWaits } from './lock-wait.js';
import { compare, observe, prepareCommittedScans, type ScanSource } from './observe.js';
import { type Planned, planStatements } from './plan.js';
import { describeBlocker, type TracedStatement, type TraceError, type TraceResult } from './result.js';
import { loadSchema } from './scratch.js';

export type {
  PredictedLock,
  TracedStatement,
  TraceError,
  TraceResult,
} from './result.js';
export { describeBlocker } from './result.js';

export interface TraceSource {
  /** The file, for messages and line numbers. */
  path: string;
  /** The SQL to trace (for a sectioned migration file, only its up section). */
  text: string;
  /** Character offset of `text` in the file, so lines are the file's lines. */
  offset?: number;
}

export interface TraceOptions {
  databaseUrl: string;
  source: TraceSource;
  /** Run on a scratch copy of the schema instead of a rolled-back transaction. */
  scratch?: boolean;
  /** lock_timeout for every statement, in ms (default 500; must be positive). */
  lockTimeoutMs?: number;
  /** statement_timeout in ms (default 0 = none). */
  statementTimeoutMs?: number;
  /** Human progress lines (phases and one line per statement). */
  onProgress?: (line: string) => void;
  /** Aborting cancels the running statement, cleans up and rejects with INTERRUPTED. */
  signal?: AbortSignal;
}

const SQL_PREVIEW = 200;
export async function trace(options: TraceOptions): Promise<TraceResult> {
  const lockTimeoutMs = options.lockTimeoutMs ?? 500;
  const statementTimeoutMs = options.statementTimeoutMs ?? 0;
  if (!Number.isInteger(lockTimeoutMs) || lockTimeoutMs <= 0) {
    throw new PgwardenError(
      'USAGE',
      `the lock timeout must be a positive number of ms, not ${lockTimeoutMs}`,
      {
        hint: 'trace always bounds lock waits so the application never queues behind it; the default is 500 ms.',
      },
    );
  }
  if (!Number.isInteger(statementTimeoutMs) || statementTimeoutMs < 0) {
    throw new PgwardenError(
      'USAGE',
      `the statement timeout must be a whole number of ms (0 = none), not ${statementTimeoutMs}`,
    );
  }
  const { source } = options;
  await loadParser();
  const { parsed, lineOf } = parseScript(source);
  checkAborted(options.signal);

  const live = await connect({ url: options.databaseUrl });
  try {
    const tracer = new Tracer(options, lockTimeoutMs, statementTimeoutMs, parsed.statements, lineOf);
    return options.scratch ? await tracer.runScratch(live) : await tracer.runRollback(live);
  } finally {
    await live.end().catch(() => undefined);
  }
}

function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new PgwardenError('INTERRUPTED', 'interrupted; nothing was changed');
}

/** A statement that failed, with what the lock-wait watcher saw. */
class StatementFailure extends Error {
  constructor(
    readonly error: unknown,
    readonly durationMs: number,
    readonly wait: LockWait | undefined,
  ) {
    super(error instanceof Error ? error.message : String(error));
  }
}

class Tracer {
  private readonly progress: (line: string) => void;
  private client: pg.Client | undefined;
  private watcher: pg.Client | undefined;
  private pid = 0;
  private pgMajor = 0;
  private pgVersion = '';
  /** The lock_timeout actually in force (the file may set a stricter one). */
  private effectiveLockTimeout: number;
  private running = false;
  private readonly statements: TracedStatement[] = [];
  private skippedNonTransactional = false;
  /** Relations created in the open transaction: invisible to other sessions, so their locks block nobody. */
  private readonly createdInTransaction = new Set<string>();

  constructor(
    private readonly options: TraceOptions,
    private readonly lockTimeoutMs: number,
    private readonly statementTimeoutMs: number,
    private readonly all: Statement[],
    private readonly lineOf: (offset: number) => number,
  ) {
    const onProgress = options.onProgress;
    // statement texts and names in progress lines never forge a line or a terminal escape
    this.progress = onProgress ? (line) => onProgress(escapeControls(line)) : () => undefined;
    this.effectiveLockTimeout = lockTimeoutMs;
  }

  /** Default mode: one transaction on the live database, rolled back in the end. */
  async runRollback(live: pg.Client): Promise<TraceResult> {
    const abort = this.onAbort();
    let error: TraceError | undefined;
    try {
      await this.open(live, this.options.databaseUrl);
      const client = this.client!;
      const plan = await this.plan();
      await client.query('BEGIN');
      await this.enforceTimeouts(true, true);
      for (const p of plan) {
        checkAborted(this.options.signal);
        if (p.control) {
          this.skip(p, 'transaction control: trace runs the file in one transaction and rolls it back');
          continue;
        }
        if (!p.transactional) {
          this.skippedNonTransactional = true;
          this.skip(
            p,
            'PostgreSQL refuses it inside a transaction block, so it was not run; its locks are the lock table’s prediction (trace with --scratch to run it)',
          );
          continue;
        }
        error = await this.runInTransaction(p);
        if (error) break;
      }
      // deferred constraints are checked at COMMIT, which never comes: check them now
      error ??= await this.atCommit(() => client.query('SET CONSTRAINTS ALL IMMEDIATE'));
    } finally {
      abort.dispose();
      await this.client?.query('ROLLBACK').catch(() => undefined);
      await this.close();
    }
    return this.result('rollback', error, true);
  }

  /** --scratch: a copy of the live schema, where every statement runs for real; dropped in the end. */
  async runScratch(live: pg.Client): Promise<TraceResult> {
    const major = Math.floor(
      Number((await live.query('SHOW server_version_num')).rows[0].server_version_num) / 10000,
    );
    const tools = await findClientTools(major, 'trace --scratch needs it to copy the schema');
    const name = scratchName();
    const scratchUrl = withDatabase(this.options.databaseUrl, name);
    this.progress(`creating the scratch database ${name}`);
    await createScratchDatabase(live, name);
    let result: TraceResult | undefined;
    const abort = this.onAbort();
    try {
      this.progress('copying the live schema (pg_dump --schema-only | psql)');
      await loadSchema(tools, this.options.databaseUrl, scratchUrl, this.options.signal);
      checkAborted(this.options.signal);
      await this.open(live, scratchUrl);
      const error = await this.runScratchStatements(await this.plan());
      result = this.result('scratch', error, false);
    } finally {
      abort.dispose();
      await this.close();
      this.progress(`dropping the scratch database ${name}`);
      const dropError = await dropScratchDatabase(live, this.options.databaseUrl, name);
      const scratch = {
        database: name,
        dropped: dropError === undefined,
        ...(dropError ? { dropError: scrub(dropError.message, this.options.databaseUrl) } : {}),
      };
      if (result) result.scratch = scratch;
    }
    if (!result) throw new Error('unreachable: the scratch trace ended without a result');
    return result;
  }

  private async runScratchStatements(plan: Planned[]): Promise<TraceError | undefined> {
    const client = this.client!;
    const committedScans = this.pgMajor >= 15;
    if (committedScans) await prepareCommittedScans(client);
    let inTransaction = false;
    try {
      for (const p of plan) {
        checkAborted(this.options.signal);
        if (p.control) {
          this.skip(
            p,
            'transaction control: trace opens and commits the transactions, like the pgwarden runner',
          );
          continue;
        }
        if (p.transactional) {
          if (!inTransaction) {
            await client.query('BEGIN');
            await this.enforceTimeouts(true, true);
            inTransaction = true;
          }
          const error = await this.runInTransaction(p);
          if (error) return error;
          continue;
        }
        if (inTransaction) {
          inTransaction = false;
          this.createdInTransaction.clear();
          const error = await this.atCommit(() => client.query('COMMIT'));
          if (error) return error;
        }
        const error = await this.runAlone(p, committedScans ? 'committed' : 'none');
        if (error) return error;
      }
      if (inTransaction) {
        inTransaction = false;
        return await this.atCommit(() => client.query('COMMIT'));
      }
      return undefined;
    } finally {
      if (inTransaction) await client.query('ROLLBACK').catch(() => undefined);
    }
  }

  /** Runs COMMIT (or the deferred-constraint check); a failure is the last statement's error. */
  private async atCommit(run: () => Promise<unknown>): Promise<TraceError | undefined> {
    try {
      await run();
      return undefined;
    } catch (failure) {
      const last = this.statements.at(-1);
      const e = failure as { code?: string; message?: string };
      const message = `when the transaction commits: ${scrub(e.message ?? String(failure), this.options.databaseUrl)}`;
      this.progress(`failed ${message}`);
      return {
        statementIndex: last?.index ?? 0,
        line: last?.line ?? 1,
        message,
        code: typeof e.code === 'string' ? e.code : undefined,
        hint: 'A deferred constraint is checked at COMMIT; the migration would fail there.',
      };
    }
  }

  private async open(live: pg.Client, url: string): Promise<void> {
    const info = await live.query<{ v: string; n: string }>(
      `SELECT current_setting('server_version') AS v, current_setting('server_version_num') AS n`,
    );
    this.pgVersion = info.rows[0]!.v;
    this.pgMajor = Math.floor(Number(info.rows[0]!.n) / 10000);
    this.client = await connect({ url });
    this.watcher = await connect({ url });
    this.pid = Number((await this.client.query('SELECT pg_backend_pid() AS pid')).rows[0].pid);
  }

  private async close(): Promise<void> {
    await Promise.all([
      this.client?.end().catch(() => undefined),
      this.watcher?.end().catch(() => undefined),
    ]);
    this.client = undefined;
    this.watcher = undefined;
  }

  /** Cancels the running statement when the signal fires. */
  private onAbort(): { dispose(): void } {
    const signal = this.options.signal;
    if (!signal) return { dispose: () => undefined };
    const listener = (): void => {
      if (this.running && this.watcher) {
        this.watcher.query('SELECT pg_cancel_backend($1)', [this.pid]).catch(() => undefined);
      }
    };
    signal.addEventListener('abort', listener, { once: true });
    return { dispose: () => signal.removeEventListener('abort', listener) };
  }

  /** Reads the schema the statements will run against and plans them (see plan.ts). */
  private async plan(): Promise<Planned[]> {
    let model: SchemaModel;
    try {
      model = (await loadLiveFacts(this.client!)).model;
    } catch (error) {
      throw new PgwardenError('DB_QUERY', `reading the schema failed: ${(error as Error).message}`, {
        cause: error,
      });
    }
    return planStatements(this.all, model, this.pgMajor, this.lineOf, this.options.source.path);
  }

  /** Sets lock_timeout / statement_timeout unless a stricter value is already in force. */
  private async enforceTimeouts(local: boolean, force = false): Promise<void> {
    const client = this.client!;
    const { rows } = await client.query<{ name: string; setting: string }>(
      `SELECT name, setting FROM pg_settings WHERE name IN ('lock_timeout', 'statement_timeout')`,
    );
    const current = new Map(rows.map((r) => [r.name, Number(r.setting)]));
    const lock = current.get('lock_timeout') ?? 0;
    if (force || lock === 0 || lock > this.lockTimeoutMs) {
      await client.query(`SELECT set_config('lock_timeout', $1, $2)`, [`${this.lockTimeoutMs}ms`, local]);
      this.effectiveLockTimeout = this.lockTimeoutMs;
    } else this.effectiveLockTimeout = lock;
    const statement = current.get('statement_timeout') ?? 0;
    // 0 = trace imposes none (a server or role default stays in force)
    if (this.statementTimeoutMs > 0 && (force || statement === 0 || statement > this.statementTimeoutMs)) {
      await client.query(`SELECT set_config('statement_timeout', $1, $2)`, [
        `${this.statementTimeoutMs}ms`,
        local,
      ]);
    }
  }

  private skip(p: Planned, reason: string): void {
    const predicted = p.control ? undefined : predictedLocks(p);
    this.statements.push({
      ...this.base(p),
      ran: false,
      skipped: reason,
      durationMs: 0,
      locks: [],
      rewrites: [],
      created: [],
      dropped: [],
      scans: [],
      ...(predicted ? { predicted } : {}),
      observed: false,
    });
    this.progress(`line ${p.line}: skipped ${oneLine(p.stmt.text, 60)}`);
  }

  private base(p: Planned): Pick<TracedStatement, 'index' | 'line' | 'sql' | 'kind'> {
    const text = p.stmt.text;
    return {
      index: p.index,
      line: p.line,
      sql: text.length > SQL_PREVIEW ? `${text.slice(0, SQL_PREVIEW - 1)}…` : text,
      kind: p.stmt.kind,
    };
  }

  /** Runs one statement inside the open transaction and observes it; returns the error that stops the trace. */
  private async runInTransaction(p: Planned): Promise<TraceError | undefined> {
    const client = this.client!;
    const before = await observe(client, 'transaction');
    let durationMs: number;
    try {
      durationMs = await this.execute(p, (oid) => before.relations.get(oid)?.name);
    } catch (failure) {
      return await this.fail(p, failure);
    }
    if (p.stmt.kind === 'VariableSetStmt') await this.enforceTimeouts(true);
    const after = await observe(client, 'transaction');
    const diff = compare(before, after);
    for (const name of diff.created) this.createdInTransaction.add(name);
    const locks = diff.locks.map((l) =>
      !l.created && this.createdInTransaction.has(l.relation) ? { ...l, created: true as const } : l,
    );
    this.record(p, durationMs, { ...diff, locks }, true);
    return undefined;
  }

  /** Runs a non-transactional statement alone (scratch mode); its locks are predicted, not observed. */
  private async runAlone(p: Planned, scans: ScanSource): Promise<TraceError | undefined> {
    const client = this.client!;
    await this.enforceTimeouts(false);
    const before = await observe(client, scans);
    let durationMs: number;
    try {
      durationMs = await this.execute(p, (oid) => before.relations.get(oid)?.name);
    } catch (failure) {
      return await this.fail(p, failure);
    }
    const after = await observe(client, scans);
    const diff = compare(before, after);
    // outside a transaction the locks are gone when the statement returns: only the prediction is known
    this.record(p, durationMs, { ...diff, locks: [], predicted: predictedLocks(p) }, false);
    return undefined;
  }

  private async execute(p: Planned, nameOf: (oid: number) => string | undefined): Promise<number> {
    const interval = Math.min(250, Math.max(10, Math.floor(this.effectiveLockTimeout / 4)));
    const watch = watchLockWaits(this.watcher!, this.pid, interval, nameOf);
    checkAborted(this.options.signal);
    const started = performance.now();
    this.running = true;
    try {
      await this.client!.query(p.stmt.text);
    } catch (error) {
      this.running = false;
      const durationMs = round(performance.now() - started);
      throw new StatementFailure(error, durationMs, await watch.stop());
    }
    this.running = false;
    const durationMs = round(performance.now() - started);
    await watch.stop();
    checkAborted(this.options.signal);
    return durationMs;
  }

  private record(
    p: Planned,
    durationMs: number,
    observed: Omit<TracedStatement, 'index' | 'line' | 'sql' | 'kind' | 'ran' | 'durationMs' | 'observed'>,
    wasObserved: boolean,
  ): void {
    this.statements.push({ ...this.base(p), ran: true, durationMs, ...observed, observed: wasObserved });
    const marks = [
      ...observed.locks
        .filter((l) => !l.created)
        .map((l) => `${lockModeSql(strongestOf(l.modes))} ${l.relation}`),
      ...observed.rewrites.map((r) => `rewrite ${r}`),
      ...observed.scans.map((s) => `scan ${s.relation}`),
    ];
    this.progress(
      `line ${p.line}: ${oneLine(p.stmt.text, 60)} — ${durationMs} ms${marks.length ? ` (${marks.join(', ')})` : ''}`,
    );
  }

  /** Turns a failed statement into the trace's error (lock timeout: with who was in the way). */
  private async fail(p: Planned, failure: unknown): Promise<TraceError> {
    const f = failure as StatementFailure;
    const e = (f.error ?? failure) as { code?: string; message?: string; position?: string; hint?: string };
    if (this.options.signal?.aborted)
      throw new PgwardenError('INTERRUPTED', 'interrupted; the trace was stopped');
    const code = typeof e.code === 'string' ? e.code : undefined;
    const message = scrub(e.message ?? String(e), this.options.databaseUrl);
    const position = e.position === undefined ? undefined : Number(e.position);
    const line =
      position !== undefined && Number.isFinite(position) && position > 0
        ? this.lineOf(p.stmt.span.start + charIndex(p.stmt.text, position - 1))
        : p.line;
    this.statements.push({
      ...this.base(p),
      ran: true,
      durationMs: f.durationMs ?? 0,
      locks: [],
      rewrites: [],
      created: [],
      dropped: [],
      scans: [],
      observed: false,
    });
    const error: TraceError = { statementIndex: p.index, line, message, code };
    if (code === '55P03') {
      const wait = f.wait;
      const what = wait
        ? `${wait.locktype === 'relation' ? `a ${lockModeSql(wait.mode as LockMode)} lock on ${wait.relation ?? 'a relation'}` : `a ${wait.locktype} lock (a row another session is changing)`}`
        : 'a lock';
      const who = wait?.blockers.length ? `; held by ${wait.blockers.map(describeBlocker).join(', ')}` : '';
      error.message = `statement ${p.index + 1} (line ${p.line}) waited more than ${this.effectiveLockTimeout} ms for ${what} and was cancelled (lock_timeout)${who}`;
      error.hint =
        'The application would have queued behind this statement. Run it when those sessions are done, or end them; a longer --lock-timeout makes the application wait longer.';
      if (wait) error.lockWait = wait;
      else await this.addHolders(p, error);
    } else if (code === '25001') {
      error.hint =
        'PostgreSQL refuses this statement in a transaction block and the lock table does not know it; it does not belong in a migration.';
    } else if (code === '57014') {
      error.hint = 'The statement ran longer than --statement-timeout; raise it to let the statement finish.';
    } else if (e.hint) {
      error.hint = scrub(e.hint, this.options.databaseUrl);
    }
    if (code !== '55P03' && this.skippedNonTransactional) {
      error.hint = `${error.hint ? `${error.hint} ` : ''}An earlier statement was skipped because it cannot run in a transaction; trace with --scratch to run every statement.`;
    }
    this.progress(`line ${line}: failed: ${message}`);
    return error;
  }

  /** After a lock timeout the poll did not catch: who holds conflicting locks on the statement's relations. */
  private async addHolders(p: Planned, error: TraceError): Promise<void> {
    const relations = new Set<string>();
    const modes = new Set<LockMode>();
    for (const effect of p.effects) {
      for (const lock of effect.facts.locks) {
        for (const key of effect.relations[lock.on] ?? []) relations.add(key);
        for (const mode of lock.modes) modes.add(mode);
      }
    }
    const holders = await holdersOf(this.watcher!, [...relations], [...modes], this.pid).catch(() => []);
    if (holders.length === 0) return;
    error.holders = holders;
    error.message += `; sessions holding conflicting locks: ${holders
      .map((h) => `${h.relation}: ${h.blockers.map(describeBlocker).join(', ')}`)
      .join('; ')}`;
  }

  private result(
    mode: 'rollback' | 'scratch',
    error: TraceError | undefined,
    rolledBack: boolean,
  ): TraceResult {
    const totalMs = round(this.statements.reduce((sum, s) => sum + s.durationMs, 0));
    return {
      path: this.options.source.path,
      mode,
      pgVersion: this.pgVersion,
      statements: this.statements,
      ...(error ? { error } : {}),
      totalMs,
      rolledBack,
    };
  }
}

function strongestOf(modes: LockMode[]): LockMode {
  return modes.reduce((a, b) => (LOCK_MODES.indexOf(b) > LOCK_MODES.indexOf(a) ? b : a), modes[0]!);
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** The lock table's locks of a statement, its relations named as observed ones are. */
function predictedLocks(p: Planned): ReturnType<typeof locksByRelation> {
  return locksByRelation(p.effects).map((l) => ({ ...l, relation: displayRelationKey(l.relation) }));
}
