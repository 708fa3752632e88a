/**
 * pgwarden's own format: `NNN_name.sql` files with an optional `NNN_name.down.sql`, applied in
 * the order of their numbers, recorded in `pgwarden.schema_migrations` (id, checksum, applied_at,
 * duration_ms) — pgwarden's own ledger, so it can hold the checksum the foreign tools lack.
 */
import { naturalCompare } from '../../lint/files.js';
import { checksumOf } from '../checksum.js';
import type { HistoryAdapter, HistoryContext, Migration, MigrationFormat } from '../types.js';
import {
  deleteHistoryRow,
  detectTable,
  fileError,
  fileNames,
  hasColumns,
  ident,
  listDirectory,
  listDirectoryQuietly,
  query,
  readText,
  resolveTable,
  schemaExists,
  type TableRef,
  tableColumns,
  wholeFileScript,
} from './shared.js';

const MIGRATION_FILE = /^(\d+)_(.+)\.sql$/;
const DOWN_SUFFIX = '.down.sql';

export const PLAIN_SCHEMA = 'pgwarden';
export const PLAIN_TABLE = 'schema_migrations';

interface PlainFile {
  file: string;
  number: bigint;
}

function readPlain(dir: string): Migration[] {
  const names = fileNames(listDirectory(dir));
  const ups: PlainFile[] = [];
  const downs = new Map<string, string>();
  for (const file of names) {
    const match = MIGRATION_FILE.exec(file);
    if (!match) continue;
    if (file.endsWith(DOWN_SUFFIX)) downs.set(file.slice(0, -DOWN_SUFFIX.length), file);
    else ups.push({ file, number: BigInt(match[1]!) });
  }

  const byNumber = new Map<bigint, string>();
  for (const { file, number } of ups) {
    const other = byNumber.get(number);
    if (other !== undefined) {
      throw fileError(
        dir,
        file,
        `has the same number as ${other}, so their order is undefined`,
        'Give every migration its own number (rename one of the two files).',
      );
    }
    byNumber.set(number, file);
  }

  const upIds = new Set(ups.map(({ file }) => file.slice(0, -'.sql'.length)));
  for (const [id, file] of downs) {
    if (!upIds.has(id)) {
      throw fileError(
        dir,
        file,
        `is a down migration without its up migration ${id}.sql`,
        `Rename it to match its up file, or delete it if ${id}.sql was removed on purpose.`,
      );
    }
  }

  ups.sort((a, b) => naturalCompare(a.file, b.file));
  return ups.map(({ file }) => {
    const id = file.slice(0, -'.sql'.length);
    const up = wholeFileScript(dir, file, readText(dir, file));
    const downFile = downs.get(id);
    return {
      id,
      name: MIGRATION_FILE.exec(file)![2]!,
      path: file,
      up,
      ...(downFile ? { down: wholeFileScript(dir, downFile) } : {}),
      checksum: checksumOf(up.text),
    };
  });
}

function table(ctx: HistoryContext): Promise<TableRef> {
  return resolveTable(ctx, PLAIN_TABLE, PLAIN_SCHEMA);
}

export const plainHistory: HistoryAdapter = {
  async detect(ctx) {
    return hasColumns((await detectTable(ctx, table))?.columns, [
      'id',
      'checksum',
      'applied_at',
      'duration_ms',
    ]);
  },

  async read(ctx) {
    const ref = await table(ctx);
    if (!(await tableColumns(ctx.client, ref))) return { exists: false, table: ref.display, applied: [] };
    const result = await query<{ id: string; checksum: string; applied_at: Date }>(
      ctx.client,
      `SELECT id, checksum, applied_at FROM ${ref.sql} ORDER BY applied_at, id`,
      [],
      `${ref.display}: cannot read the migration history`,
    );
    return {
      exists: true,
      table: ref.display,
      applied: result.rows.map((row) => ({
        id: row.id,
        checksum: row.checksum,
        appliedAt: row.applied_at,
        state: 'applied' as const,
      })),
    };
  },

  async ensure(ctx) {
    const ref = await table(ctx);
    if (await tableColumns(ctx.client, ref)) return;
    const what = `${ref.display}: cannot create the migration history table`;
    // Only when missing: CREATE SCHEMA IF NOT EXISTS still needs the CREATE privilege on the database.
    if (!(await schemaExists(ctx.client, ref.schema, what))) {
      await query(ctx.client, `CREATE SCHEMA IF NOT EXISTS ${ident(ref.schema)}`, [], what);
    }
    await query(
      ctx.client,
      `CREATE TABLE IF NOT EXISTS ${ref.sql} (
         id text PRIMARY KEY,
         checksum text NOT NULL,
         applied_at timestamptz NOT NULL DEFAULT now(),
         duration_ms integer
       )`,
      [],
      what,
    );
  },

  async markApplied(ctx, migration, info) {
    const ref = await table(ctx);
    await query(
      ctx.client,
      `INSERT INTO ${ref.sql} (id, checksum, duration_ms) VALUES ($1, $2, $3)`,
      [migration.id, migration.checksum, Math.round(info.durationMs)],
      `${ref.display}: cannot record ${migration.id} as applied`,
    );
  },

  async markRolledBack(ctx, migration) {
    await deleteHistoryRow(ctx.client, await table(ctx), 'id', migration.id);
  },

  nativeChecksum(migration) {
    return migration.checksum;
  },

  checksumMatches(migration, stored) {
    return stored === migration.checksum;
  },
};

export const plainFormat: MigrationFormat = {
  id: 'plain',
  title: 'plain SQL',
  hasDown: true,
  detectFolder(dir) {
    return fileNames(listDirectoryQuietly(dir)).some((file) => MIGRATION_FILE.test(file)) ? 1 : 0;
  },
  read: readPlain,
  history: plainHistory,
};
