/**
 * `connection`: the doctor connected to the target (server version, database, role), and the
 * target is a primary that can take migrations. The doctor opens the connection itself (one for
 * every check); this check reports how that went.
 */
import { describeTarget } from '../../db/connect.js';
import { notices } from '../../db/notices.js';
import type { CheckOutcome, DoctorCheck, DoctorContext } from '../types.js';

export const CONNECTION_CHECK_ID = 'connection';

/** The doctor's context, with why the connection failed (set by the doctor; not in the contract). */
export interface ConnectionAttempt {
  connectionError?: string | undefined;
}

const CONNECT_FIX =
  'Check DATABASE_URL (or --database-url, or the PG* variables): host, port, database, user and password; that the server runs and accepts connections from here (pg_hba.conf, firewall).';

export const connectionCheck: DoctorCheck = {
  id: CONNECTION_CHECK_ID,
  title: 'Database connection',
  level: 'fail',
  // it runs without a connection too: that is when it has something to say
  needsDatabase: false,
  async run(ctx: DoctorContext & ConnectionAttempt): Promise<CheckOutcome> {
    const target = describeTarget(ctx.databaseUrl);
    if (!ctx.client) {
      return {
        status: 'fail',
        summary: ctx.connectionError ?? `not connected to ${target}`,
        evidence: [`target: ${target}`],
        fix: CONNECT_FIX,
      };
    }
    const { rows } = await ctx.client.query<{
      version: string;
      database: string;
      role: string;
      standby: boolean;
    }>(
      `SELECT current_setting('server_version') AS version, current_database() AS database,
              current_user AS role, pg_is_in_recovery() AS standby`,
    );
    const r = rows[0]!;
    const evidence = [
      `target: ${target}`,
      `server: PostgreSQL ${r.version}`,
      `database: ${r.database}`,
      `role: ${r.role}`,
    ];
    // connecting may have repaired what an interrupted restore left: a database closed to connections
    const repaired = notices().filter((n) => n.kind === 'connections-reopened');
    if (repaired.length > 0) {
      return {
        status: 'warn',
        summary: repaired.map((n) => n.text).join('; '),
        evidence: [...evidence, ...repaired.map((n) => n.text)],
        fix: 'Nothing left to do: pgwarden reopened it. Look at pgwarden backup list for the safety backup of the interrupted restore.',
      };
    }
    if (r.standby) {
      return {
        status: 'fail',
        summary: `${target} is a standby (read-only replica): migrations and deploys cannot run there`,
        evidence: [...evidence, 'pg_is_in_recovery() = true'],
        fix: 'Point DATABASE_URL at the primary server.',
      };
    }
    return {
      status: 'pass',
      summary: `connected to ${r.database} as ${r.role} (PostgreSQL ${r.version})`,
      evidence,
    };
  },
};
