/**
 * What the steps of one deploy share: the options, the step log (each step reports one line),
 * what the deploy did so far (pending and applied migrations, the runner's transaction ids, the
 * pre-deploy backup, the fingerprint seen in preflight), and the deploy record written at the end
 * — whatever the outcome, with the migrations applied so far and the schema's fingerprint after
 * them, so a fixed redeploy is not mistaken for drift.
 */
import type pg from 'pg';
import type { Manifest } from '../backup/manifest.js';
import { connect } from '../db/connect.js';
import { currentActor } from '../migrate/ledger.js';
import type { MigrationFormat } from '../migrate/types.js';
import { type DeployResultKind, recordDeploy } from './record.js';
import type { DeployOptions, DeployOutcome, DeployStep, StepRecord, StepStatus } from './types.js';

export class DeployRun {
  readonly startedAt = new Date();
  readonly steps: StepRecord[] = [];
  /** ids of the migrations pending at the start */
  pending: string[] = [];
  /** ids of the migrations this deploy applied (also when it then failed) */
  readonly migrated: string[] = [];
  /** after a failed migrate step: migrations left partly applied (statements run outside a transaction) */
  partial: string[] = [];
  /** the runner's transaction ids: writes that are the deploy's own, not the application's */
  transactionIds: readonly string[] = [];
  /** the verified pre-deploy backup, once taken */
  backup: Manifest | undefined;
  format: MigrationFormat | undefined;
  /** The history table, as preflight read it (`schema.table`), for the fingerprint. */
  historyTable: string | undefined;
  fingerprintBefore: string | undefined;
  /** the schema changed outside the migrations since the last deploy */
  drifted = false;
  gitCommit: string | undefined;

  constructor(readonly options: DeployOptions) {}

  /** Reports a step: logged for the record and emitted as an event. `since` is Date.now() at its start. */
  step(name: DeployStep, status: StepStatus, message: string, since: number): void {
    const ms = Date.now() - since;
    this.steps.push({ step: name, status, ms, message });
    this.options.onEvent?.({ type: 'step', step: name, status, message, ms });
  }

  get interrupted(): boolean {
    return this.options.signal?.aborted === true;
  }

  /** Runs `work` on a connection of its own. */
  async withClient<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = await connect({ url: this.options.databaseUrl, applicationName: 'pgwarden deploy' });
    try {
      return await work(client);
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  /**
   * Writes the deploy record; a failure to record never hides the deploy's own outcome. The
   * schema fingerprint after the deploy becomes the next preflight's reference — unless the
   * schema had drifted and the drift was not accepted (then the old reference stays).
   */
  async record(
    result: DeployResultKind,
    extra: { error?: string | undefined; client?: pg.Client | undefined } = {},
  ): Promise<number | undefined> {
    const write = async (client: pg.Client) => {
      const keepsReference = this.drifted && !this.options.acceptDrift;
      const fingerprint =
        !keepsReference && this.options.fingerprint && this.format && this.historyTable !== undefined
          ? result === 'up-to-date'
            ? this.fingerprintBefore
            : await this.options.fingerprint(client, this.format, this.historyTable)
          : undefined;
      return recordDeploy(
        client,
        {
          startedAt: this.startedAt,
          result,
          error: extra.error,
          migrations: this.migrated,
          backupId: this.backup?.id,
          steps: this.steps.map(({ step, status, ms }) => ({ step, status, ms })),
          forcedWindow: result === 'up-to-date' ? undefined : this.options.forceWindow,
          acceptedDrift: this.drifted ? this.options.acceptDrift : undefined,
          fingerprint,
        },
        currentActor(this.gitCommit),
      );
    };
    return (extra.client ? write(extra.client) : this.withClient(write)).catch(() => undefined);
  }

  outcome(result: DeployResultKind, deployId: number | undefined): DeployOutcome {
    return { result, deployId, migrations: [...this.migrated], backupId: this.backup?.id, steps: this.steps };
  }
}
