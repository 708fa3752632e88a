/**
 * The deploy's schema fingerprint: the drift module's catalog model, hashed, leaving out pgwarden's
 * schema and the migration history tables (they change with every deploy by design).
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';

// TEMPORARY until src/drift/fingerprint.ts lands: columns of user tables only
export function schemaFingerprintFor(
  historyTable: string | undefined,
): (client: pg.Client) => Promise<string> {
  return async (client) => {
    const { rows } = await client.query(
      `SELECT n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod) AS t, a.attnotnull
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
          AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pgwarden') AND n.nspname NOT LIKE 'pg\\_%'
          AND format('%s.%s', n.nspname, c.relname) <> coalesce($1, '')
        ORDER BY 1, 2, 3`,
      [historyTable ?? null],
    );
    return `sha256:${createHash('sha256').update(JSON.stringify(rows)).digest('hex')}`;
  };
}
