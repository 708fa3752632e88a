/**
 * `pg-dump`: client programs (pg_dump, pg_restore, psql) whose major version is at least the
 * server's — pg_dump refuses newer servers, so without them there is no pre-deploy backup.
 */
import { findClientTools } from '../../db/client-tools.js';
import { isPgwardenError } from '../../errors/pgwarden-error.js';
import type { CheckOutcome, DoctorCheck, DoctorContext } from '../types.js';

export const pgDumpCheck: DoctorCheck = {
  id: 'pg-dump',
  title: 'pg_dump compatible with the server',
  level: 'fail',
  needsDatabase: true,
  async run(ctx: DoctorContext): Promise<CheckOutcome> {
    const major = ctx.serverMajor!;
    try {
      const tools = await findClientTools(major, 'backups and deploys need it');
      return {
        status: 'pass',
        summary: `pg_dump ${tools.version} for the PostgreSQL ${major} server`,
        evidence: [
          `pg_dump: ${tools.pgDump}`,
          `pg_restore: ${tools.pgRestore}`,
          `psql: ${tools.psql}`,
          `pg_dumpall: ${tools.pgDumpall ?? 'not found (backup globals need it)'}`,
        ],
      };
    } catch (error) {
      if (!isPgwardenError(error) || error.code !== 'TOOL_MISSING') throw error;
      const found = (error.details as { found?: string[] } | undefined)?.found ?? [];
      return {
        status: 'fail',
        summary: error.message,
        evidence: found.length ? found.map((f) => `found: ${f}`) : ['no pg_dump found'],
        fix: error.hint ?? `Install the PostgreSQL ${major} client programs.`,
      };
    }
  },
};
