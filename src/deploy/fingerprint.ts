/**
 * The deploy's schema fingerprint: drift's catalog model of the live database, hashed, leaving out
 * schema pgwarden and the migration tool's history tables (they change with every deploy by
 * design). The drift module is loaded on use, so a deploy without a fingerprint does not pay for it.
 */
import type pg from 'pg';
import type { MigrationFormat } from '../migrate/types.js';

export function schemaFingerprintFor(
  table: string | undefined,
): (client: pg.Client, format: MigrationFormat) => Promise<string> {
  return async (client, format) => {
    const [{ schemaFingerprint }, { historyTablesExclude }] = await Promise.all([
      import('../drift/fingerprint.js'),
      import('../drift/history-tables.js'),
    ]);
    const history = (await format.history.read({ client, ...(table ? { table } : {}) })).table;
    return schemaFingerprint(client, historyTablesExclude(format.id, history));
  };
}
