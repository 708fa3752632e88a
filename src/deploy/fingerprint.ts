/**
 * The deploy's schema fingerprint: drift's catalog model of the live database, hashed, leaving out
 * schema pgwarden and the migration tool's history tables (they change with every deploy by
 * design; `historyTable` is the one preflight read). The drift module is loaded on use, so a
 * deploy without a fingerprint does not pay for it.
 */
import type pg from 'pg';
import type { MigrationFormat } from '../migrate/types.js';

export async function deployFingerprint(
  client: pg.Client,
  format: MigrationFormat,
  historyTable: string,
): Promise<string> {
  const [{ schemaFingerprint }, { historyTablesExclude }] = await Promise.all([
    import('../drift/fingerprint.js'),
    import('../drift/history-tables.js'),
  ]);
  return schemaFingerprint(client, historyTablesExclude(format.id, historyTable));
}
