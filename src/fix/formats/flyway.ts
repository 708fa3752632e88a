/**
 * Flyway: `V<version>__<name>.sql` in the top directory of the location (of the first one when
 * Flyway reads several: `dir` is the runner's first location), numbered after the newest version
 * of every location. Versions:
 * - a folder versioned with UTC `YYYYMMDDHHMMSS` timestamps (one part) gets timestamps;
 * - otherwise the newest version's last part is counted up, keeping its number of parts, its
 *   separators and its zero padding: V3 → V4, V1_2 → V1_3, V2.1 → V2.2, V007 → V008. The project's
 *   numbering goes on where it stands; moving to a new major version is a release decision that
 *   is not the writer's to make. An empty folder starts at V1.
 * The id is the version as pgwarden's reader gives it (`_` → `.`).
 *
 * Outside a transaction: a script configuration file `V<version>__<name>.sql.conf` holding
 * `executeInTransaction=false` (Flyway 6.1+, all editions), which pgwarden's reader honours too.
 * Flyway would detect CREATE INDEX CONCURRENTLY by itself, but refuses a script that mixes it with
 * transactional statements unless `mixed=true`; the configuration file makes the whole script run
 * statement by statement without a transaction, so no split is needed.
 *
 * Down: Flyway's undo scripts (`U<version>__`) are a paid feature that pgwarden does not read, so a
 * down is dropped. SQL holding `${…}` is refused: Flyway would replace it as a placeholder and
 * pgwarden's reader refuses it.
 */
import { basename, join } from 'node:path';
import { PgwardenError } from '../../errors/pgwarden-error.js';
import { compareFlywayVersions, parseFlywayVersion } from '../../migrate/formats/flyway.js';
import type { Migration } from '../../migrate/types.js';
import { nextVersions, versionTime } from './ids.js';
import type { FormatWriter } from './writer.js';
import { sqlText } from './writer.js';

/** The version of a versioned migration as written in its file name (`1_2` in `V1_2__x.sql`). */
function rawVersion(migration: Migration): string | undefined {
  if (migration.repeatable) return undefined;
  const stem = basename(migration.path).replace(/\.sql$/, '');
  const at = stem.indexOf('__');
  return stem.slice(1, at === -1 ? undefined : at);
}

function newestVersion(existing: readonly Migration[]): string | undefined {
  let newest: string | undefined;
  for (const migration of existing) {
    const raw = rawVersion(migration);
    if (raw === undefined) continue;
    if (
      newest === undefined ||
      compareFlywayVersions(parseFlywayVersion(raw)!, parseFlywayVersion(newest)!) > 0
    )
      newest = raw;
  }
  return newest;
}

/** Versions after `newest` (a raw version), in its style. */
export function nextFlywayVersions(newest: string | undefined, count: number, now: Date): string[] {
  if (newest === undefined) return Array.from({ length: count }, (_, i) => String(i + 1));
  if (/^\d{14}$/.test(newest) && versionTime(newest) !== undefined) {
    return nextVersions([newest], count, now, { kind: 'utc-seconds' });
  }
  const last = /\d+$/.exec(newest)![0];
  const head = newest.slice(0, newest.length - last.length);
  return Array.from(
    { length: count },
    (_, i) => `${head}${(BigInt(last) + BigInt(i + 1)).toString().padStart(last.length, '0')}`,
  );
}

export const flywayWriter: FormatWriter = {
  oneQueryPerFile: false,
  hasDown: false,
  check(sql, what) {
    const placeholder = /\$\{[^}\n]+\}/.exec(sql)?.[0];
    if (placeholder !== undefined) {
      throw new PgwardenError('USAGE', `${what}: ${placeholder} would be read by Flyway as a placeholder`, {
        hint: 'Write the value into the SQL (pgwarden does not replace Flyway placeholders).',
      });
    }
  },
  plan(dir, existing, migrations, now) {
    const versions = nextFlywayVersions(newestVersion(existing), migrations.length, now);
    return migrations.map((migration, i) => {
      const file = join(dir, `V${versions[i]}__${migration.name}.sql`);
      return {
        id: versions[i]!.replaceAll('_', '.'),
        files: [
          { path: file, text: sqlText(migration.up) },
          ...(migration.transaction ? [] : [{ path: `${file}.conf`, text: 'executeInTransaction=false\n' }]),
        ],
      };
    });
  },
};
