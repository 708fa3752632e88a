/**
 * Prisma Migrate: a directory `<YYYYMMDDHHMMSS>_<name>/` holding `migration.sql`, the timestamp in
 * UTC as `prisma migrate dev` names it (always a timestamp, also after a `0_init` baseline), later
 * than the newest existing one. Prisma has no down migrations: a down is dropped.
 *
 * Outside a transaction: Prisma sends `migration.sql` as one simple query, an implicit transaction
 * when it holds several statements; CREATE INDEX CONCURRENTLY works only as the file's sole
 * statement (prisma/orm#14456, prisma/prisma#9154), so such migrations are written one statement
 * per directory (`oneQueryPerFile`).
 */
import { join } from 'node:path';
import { nextVersions } from './ids.js';
import { checkOrder, existingVersions, type FormatWriter, sqlText } from './writer.js';

const SCRIPT = 'migration.sql';

export const prismaWriter: FormatWriter = {
  oneQueryPerFile: true,
  hasDown: false,
  plan(dir, existing, migrations, now) {
    const versions = nextVersions(existingVersions(existing), migrations.length, now, {
      kind: 'utc-seconds',
    });
    const names = migrations.map((migration, i) => `${versions[i]}_${migration.name}`);
    // prisma/prisma listMigrations.ts sorts the directories with localeCompare.
    checkOrder(
      'Prisma',
      existing.map((migration) => migration.id),
      names,
      (a, b) => a.localeCompare(b),
    );
    return migrations.map((migration, i) => ({
      id: names[i]!,
      files: [{ path: join(dir, names[i]!, SCRIPT), text: sqlText(migration.up) }],
    }));
  },
};
