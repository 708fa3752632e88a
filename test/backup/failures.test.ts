/**
 * How restores fail, with fake client programs (PG_BIN shims): a restore that fails halfway. A
 * clear message, a non-zero exit, and the live database unchanged. (How backups fail — pg_dump
 * killed, truncated, missing, too old, the disk full — is in test/faults/backup-*.test.ts.)
 */

import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createBackup } from '../../src/backup/create.js';
import { BACKUP_TABLES_SQL } from '../faults/support.js';
import { pgwarden } from '../support/cli.js';
import { useTestDatabase } from '../support/database.js';
import { tempDir } from '../support/files.js';
import { shimDir } from '../support/pg-shims.js';

const db = useTestDatabase();

beforeAll(async () => {
  await db.query(BACKUP_TABLES_SQL);
});

describe('restore failing halfway', () => {
  it.each([
    ['pg_restore stops in the middle of the archive', `"$REAL/pg_restore" "$@" | head -c 1500; exit 1`],
    [
      'the last statement fails after everything was dropped and recreated',
      `"$REAL/pg_restore" "$@" | sed 's/^COMMIT;$/SELECT 1\\/0;\\nCOMMIT;/'`,
    ],
  ])('%s: exit 1, rolled back, and the command to restore the safety backup', async (_, failing) => {
    const url = db.url;
    const dir = join(tempDir(), 'backups');
    const { manifest } = await createBackup({ databaseUrl: url, dir });
    // --terminate-sessions disconnects every other session, so each step uses a new connection
    const app = await db.connect();
    await app.query('INSERT INTO small VALUES (4); CREATE TABLE IF NOT EXISTS after_backup (x int)');
    const before = (await app.query('SELECT count(*)::int AS n FROM small')).rows[0].n;
    const bin = shimDir({
      pg_restore: `case " $* " in *" --file=- "*) ;; *) exec "$REAL/pg_restore" "$@";; esac
${failing}`,
    });
    const result = await pgwarden(
      [
        'restore',
        manifest.id,
        '--backup-dir',
        dir,
        '--countdown',
        '0',
        '--confirm',
        db.name,
        '--terminate-sessions',
      ],
      { env: { DATABASE_URL: url, PG_BIN: bin } },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('restore failed');
    expect(result.stderr).toContain(
      `Checked after the failure: "${db.name}" is as it was before the restore`,
    );
    expect(result.stderr).toMatch(
      /pgwarden restore \d{8}T\d{6}Z-pgwarden_test_\w+ --backup-dir \S+ --confirm pgwarden_test_\w+/,
    );
    const check = await db.connect();
    expect((await check.query('SELECT count(*)::int AS n FROM small')).rows[0].n).toBe(before);
    expect((await check.query(`SELECT to_regclass('after_backup') IS NOT NULL AS there`)).rows[0].there).toBe(
      true,
    );
  });
});
