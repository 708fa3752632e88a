/**
 * `fixMigration()`: rewrites the newest pending migration that lint flags into the safe sequence,
 * as new migration files in the project's own format (write-migrations.ts), and removes the
 * original. It refuses an applied (or partly applied) migration, one that is not the newest, and
 * one with nothing it can rewrite. The new files are linted as the runner will run them before
 * anything is written: what lint still reports is returned (`remaining`), and nothing is written
 * when a rewritten statement is still an error.
 */
import { readdirSync, rmdirSync, rmSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import type pg from 'pg';
import { loadLiveFacts } from '../analysis/live-catalog.js';
import { PgwardenError } from '../errors/pgwarden-error.js';
import type { Finding } from '../lint/finding.js';
import { Linter } from '../lint/linter.js';
import { lintSourcesOf } from '../migrate/lint-sources.js';
import { findMigration } from '../migrate/source.js';
import { computeStatus, readStatusInputs } from '../migrate/status.js';
import { parseScript } from '../migrate/steps.js';
import { openTarget, type TargetOptions } from '../migrate/target.js';
import type { Migration } from '../migrate/types.js';
import { loadParser } from '../sql/parser.js';
import type { SqlSource } from '../sql/source.js';
import { columnLookup } from './column-facts.js';
import { FIXABLE_RULES } from './fixable-rules.js';
import { type DeclinedStatement, type FixedStatement, rewriteFile } from './rewrite.js';
import { EXPAND_ID, type SequencedMigration, sequence } from './sequence.js';
import { planMigrationFiles, writeMigrationFiles } from './write-migrations.js';

export type { FixedStatement };

export interface FixOptions extends TargetOptions {
  /** The migration: its file, folder or id. */
  migration: string;
  /** Show what would be written; write nothing. */
  dryRun?: boolean;
  now?: Date;
}

export interface FixResult {
  format: string;
  original: { id: string; path: string; removed: string[] };
  rewritten: FixedStatement[];
  /** Flagged statements a recipe covers but kept as written here, and why. */
  declined: DeclinedStatement[];
  migrations: Array<SequencedMigration & { id: string; files: Array<{ path: string; text: string }> }>;
  /** Lint findings of the new files (none are errors of a rewritten statement). */
  remaining: Array<{ path: string; line: number; rule: string; level: string; message: string }>;
  written: boolean;
}

export async function fixMigration(options: FixOptions): Promise<FixResult> {
  const target = await openTarget(options, 'pgwarden fix');
  try {
    await loadParser();
    const { source } = target;
    const migration = findMigration(source.migrations, options.migration);
    const status = computeStatus(await readStatusInputs(target.client, source));
    const entry = status.entries.find((e) => e.id === migration.id);
    if (entry?.state !== 'pending') {
      throw new PgwardenError(
        'FIX_REFUSED',
        `${migration.path} is ${entry?.state ?? 'unknown'}: pgwarden fix rewrites pending migrations only`,
        { hint: 'Write a new migration for the change instead; an applied migration must stay as it ran.' },
      );
    }
    const index = source.migrations.indexOf(migration);
    if (index !== source.migrations.length - 1) {
      throw new PgwardenError(
        'FIX_REFUSED',
        `${migration.path} is not the newest migration: the safe sequence would run after ${source.migrations.at(-1)!.path}`,
        { hint: 'Fix a migration right after writing it, before newer ones exist.' },
      );
    }
    const pendingBefore = source.migrations
      .slice(0, index)
      .filter((m) => status.entries.find((e) => e.id === m.id)?.state !== 'applied');
    const findings = await lintPending(
      target.client,
      target.pgMajor,
      lintSourcesOf([...pendingBefore, migration]),
    );
    const own = findings.get(migration.up.path) ?? [];
    const lookup = await columnLookup(target.client);
    const { parsed, lineOf } = parseScript({
      path: migration.up.path,
      text: migration.up.text,
      offset: migration.up.offset,
    });
    const { pieces, rewritten, declined } = rewriteFile(parsed, {
      findings: own,
      offset: migration.up.offset,
      lineOf,
      pgMajor: target.pgMajor,
      lookup,
      subject: migration.name,
    });
    const why = declined.map((d) => `line ${d.line} is kept as written: ${d.reason}`);
    if (rewritten.length === 0) {
      const fixable = own.filter((f) => f.level === 'error');
      throw new PgwardenError(
        'FIX_REFUSED',
        fixable.length
          ? `nothing in ${migration.path} that pgwarden fix can rewrite: ${fixable.map((f) => `line ${f.line} ${f.rule}`).join(', ')}${why.length ? ` (${why.join('; ')})` : ''}`
          : `${migration.path} has no lint findings pgwarden fix rewrites`,
        { hint: `pgwarden fix rewrites the findings of: ${[...FIXABLE_RULES].join(', ')}.` },
      );
    }
    const existing = source.migrations.slice(0, index);
    const now = options.now ?? new Date();
    const draft = sequence(pieces, relative(source.dir, migration.up.path), migration.name || migration.id);
    // a contract step names its expand step's id, known once the files are planned
    const expandAt = draft.findIndex((m) => m.phase === 'expand');
    const expandId =
      expandAt < 0
        ? undefined
        : planMigrationFiles(source.format.id, source.dir, existing, draft, now)[expandAt]!.id;
    const sequenced = draft.map((m) => ({ ...m, up: m.up.replaceAll(EXPAND_ID, expandId ?? '') }));
    const planned = planMigrationFiles(source.format.id, source.dir, existing, sequenced, now);
    if (planned.length !== sequenced.length) {
      // each step outside a transaction holds one statement, so no format splits it further
      throw new PgwardenError(
        'INTERNAL',
        `fix planned ${planned.length} files for ${sequenced.length} steps`,
      );
    }
    const newFiles = plannedSources(planned);
    const linted = await lintPending(target.client, target.pgMajor, [
      ...lintSourcesOf(pendingBefore),
      ...newFiles,
    ]);
    const remaining = newFiles.flatMap((f) =>
      (linted.get(f.path) ?? []).map((x) => ({
        path: f.path,
        line: x.line,
        rule: x.rule,
        level: x.level,
        message: x.message,
      })),
    );
    const migrations = sequenced.map((m, i) => ({ ...m, id: planned[i]!.id, files: planned[i]!.files }));
    const removed = filesOf(migration);
    const result: FixResult = {
      format: source.format.id,
      original: { id: migration.id, path: migration.path, removed },
      rewritten,
      declined,
      migrations,
      remaining,
      written: false,
    };
    if (options.dryRun) return result;
    if (remaining.some((f) => f.level === 'error' && FIXABLE_RULES.has(f.rule))) {
      throw new PgwardenError(
        'FIX_REFUSED',
        `the rewritten migrations would still have lint errors: ${remaining.map((f) => `${f.rule} (line ${f.line})`).join(', ')}; nothing was written${why.length ? ` (${why.join('; ')})` : ''}`,
        {
          hint: why.length
            ? 'Write the statements kept as written in a migration of their own, or change them by hand.'
            : 'This is a bug in pgwarden fix: please report it with the migration.',
        },
      );
    }
    writeMigrationFiles(source.format.id, source.dir, existing, sequenced, now);
    for (const file of removed) rmSync(file, { force: true });
    removeEmptyFolder(migration, source.dir);
    return { ...result, written: true };
  } finally {
    await target.close();
  }
}

/**
 * Lints `pending` (the migrations not applied yet, in order; the files to write as `extra`) as
 * the lint gate does: against the live schema, so tables made outside the folder are known and
 * a CHECK validated by an earlier new file lets SET NOT NULL through.
 */
async function lintPending(
  client: pg.Client,
  pgMajor: number,
  sources: SqlSource[],
): Promise<Map<string, Finding[]>> {
  const live = await loadLiveFacts(client);
  const linter = new Linter({ schema: live.model, pgVersion: pgMajor, runner: 'pgwarden' });
  return new Map(sources.map((source) => [source.path, linter.lintSource(source).findings]));
}

/** The up file of each planned migration, its up section only. */
function plannedSources(planned: Array<{ files: Array<{ path: string; text: string }> }>): SqlSource[] {
  return planned.map((p) => {
    const up = p.files.find((f) => !/\.down\.sql$|\.sql\.conf$/.test(f.path)) ?? p.files[0]!;
    return { path: up.path, text: upSection(up.text) };
  });
}

/** A file's up section: the lines before a down marker (dbmate, node-pg-migrate, sql-migrate), blanked after. */
function upSection(text: string): string {
  const lines = text.split('\n');
  const down = lines.findIndex((l) => /^-- (migrate:down|Down Migration|\+migrate Down)/.test(l));
  return down === -1 ? text : [...lines.slice(0, down), ...lines.slice(down).map(() => '')].join('\n');
}

/** The files a migration is made of (up, down, diesel's metadata.toml). */
function filesOf(migration: Migration): string[] {
  return [
    ...new Set([
      migration.up.path,
      ...(migration.down ? [migration.down.path] : []),
      ...(migration.otherFiles ?? []),
    ]),
  ];
}

/** A migration that was a folder of its own (Prisma): the folder goes when it is empty. */
function removeEmptyFolder(migration: Migration, dir: string): void {
  const folder = dirname(migration.up.path);
  if (folder === dir || relative(dir, folder).startsWith('..')) return;
  try {
    if (readdirSync(folder).length === 0) rmdirSync(folder);
  } catch {
    // left as it is
  }
}
