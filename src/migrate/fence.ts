/**
 * Fencing at the data level: two runs never apply the same migration, whatever happens to the
 * migration lock's connection. Each migration is applied under the apply lock
 * (`PGWARDEN_APPLY_KEY`) held by the work connection — transaction-level inside a migration's one
 * transaction, session-level around a migration run statement by statement — and, under it, the
 * format's own history is read again (through the status machinery, so golang-migrate's
 * high-water mark, Flyway's repeatables and baselines count as they do everywhere): a migration
 * another run recorded meanwhile is skipped, not run again.
 *
 * The apply lock is only ever tried (`pg_try_advisory_*`), never waited on inside PostgreSQL: a
 * session blocked on a lock with a snapshot would stall a `CREATE INDEX CONCURRENTLY` of the other
 * run. While it is busy, the transaction is rolled back and tried again with backoff, within the
 * retry budget.
 */
import type pg from 'pg';
import { PgwardenError } from '../errors/pgwarden-error.js';
import { backoffDelay, sleep } from './backoff.js';
import { readLedger } from './ledger.js';
import { describeHolders, type LockHolder, lockHolders, PGWARDEN_APPLY_KEY } from './lock.js';
import type { MigrationSource } from './source.js';
import { computeStatus, readHistory, type StatusInputs } from './status.js';
import type { Migration } from './types.js';

/** Thrown inside a migration's transaction when another run holds the apply lock. */
export class ApplyLockBusy extends Error {
  constructor() {
    super('the apply lock is held by another run');
  }
}

/** What the fence needs from the runner. */
export interface FenceContext {
  client: pg.Client;
  source: MigrationSource;
  retryBudgetMs: number;
  onWait?: ((holders: LockHolder[], waitedMs: number) => void) | undefined;
  signal?: AbortSignal | undefined;
}

/** The query that tries the apply lock for the open transaction (one column, `ok`). */
export const TRY_APPLY_LOCK_IN_TRANSACTION = `SELECT pg_try_advisory_xact_lock(${PGWARDEN_APPLY_KEY}) AS ok`;

/**
 * Waiting for the apply lock, one call per busy attempt: the first call and then one every 10 s
 * reports who holds it; the wait ends with LOCK_BUSY once the retry budget is spent.
 */
export class ApplyWait {
  private readonly started = Date.now();
  private attempt = 0;
  private lastReport = -Infinity;

  constructor(
    private readonly ctx: FenceContext,
    private readonly migration: Migration,
  ) {}

  async next(): Promise<void> {
    const waited = Date.now() - this.started;
    if (waited >= this.ctx.retryBudgetMs || waited - this.lastReport >= 10_000) {
      const holders = await lockHolders(this.ctx.client, PGWARDEN_APPLY_KEY).catch(() => []);
      if (waited >= this.ctx.retryBudgetMs) throw applyLockBusy(this.migration, waited, holders);
      this.lastReport = waited;
      this.ctx.onWait?.(holders, waited);
    }
    const delay = backoffDelay(this.attempt++, 100, 2_000);
    await sleep(Math.min(delay, this.ctx.retryBudgetMs - waited), this.ctx.signal);
  }
}

/**
 * Runs `work` holding the apply lock at session level on the work connection (for a migration run
 * statement by statement: no transaction stays open, so the lock must outlive them), released
 * afterwards even when `work` fails. `beforeTry` runs before each attempt (the lock-lost check).
 */
export async function withSessionApplyLock<T>(
  ctx: FenceContext,
  migration: Migration,
  beforeTry: () => void,
  work: () => Promise<T>,
): Promise<T> {
  const wait = new ApplyWait(ctx, migration);
  for (;;) {
    beforeTry();
    const { rows } = await ctx.client.query(`SELECT pg_try_advisory_lock(${PGWARDEN_APPLY_KEY}) AS ok`);
    if (rows[0].ok) break;
    await wait.next();
  }
  try {
    return await work();
  } finally {
    await ctx.client.query(`SELECT pg_advisory_unlock(${PGWARDEN_APPLY_KEY})`).catch(() => undefined);
  }
}

/**
 * Under the apply lock: whether `migration` is still to be run in `direction`, from the format's
 * history as it is now. Returns why it must be skipped (another run applied — or rolled back — it
 * meanwhile), or undefined to go ahead; a state that is neither is an error, nothing is run.
 * The tool's own table answers on its own when it says pending or applied (pgwarden's ledger could
 * only turn pending into partial, which also goes ahead); otherwise the ledger is read too: its
 * partial row makes the tool's "started" state that pgwarden itself wrote (golang-migrate's dirty
 * version, a Prisma row without finished_at) a migration to resume.
 */
export async function doneMeanwhile(
  client: pg.Client,
  source: MigrationSource,
  migration: Migration,
  direction: 'up' | 'down',
): Promise<string | undefined> {
  const history = await readHistory(client, source);
  const stateOf = (ledger: StatusInputs['ledger']) =>
    computeStatus({ source, history, ledger }).entries.find((e) => e.id === migration.id);
  let entry = stateOf(new Map());
  if (entry && entry.state !== 'pending' && entry.state !== 'applied')
    entry = stateOf(await readLedger(client, source.format.id));
  const state = entry?.state ?? 'pending';
  if (direction === 'up') {
    if (state === 'pending' || state === 'partial') return undefined;
    if (state === 'applied') return 'applied by another run meanwhile';
  } else {
    if (state === 'applied') return undefined;
    if (state === 'pending') return 'rolled back by another run meanwhile';
  }
  throw new PgwardenError(
    'MIGRATIONS_INCONSISTENT',
    `${migration.path}: another run changed its history meanwhile: it is now ${state}${entry?.detail ? ` (${entry.detail})` : ''}; it was not run`,
    { hint: 'Check `pgwarden status` and what the other run did, then run again.' },
  );
}

function applyLockBusy(migration: Migration, waitedMs: number, holders: LockHolder[]): PgwardenError {
  return new PgwardenError(
    'LOCK_BUSY',
    `another run is applying migrations (it holds pgwarden's apply lock); ${migration.id} was not run after waiting ${Math.round(waitedMs / 1000)} s${describeHolders(holders)}`,
    {
      hint: 'Two runs hold the migration at once only when one of them lost its migration lock; wait for the other run to end, then run again (or raise migrate.retryBudget).',
      details: { migration: migration.id, holders },
    },
  );
}
