/**
 * Flyway (community edition): `V<version>__<description>.sql` and `R__<description>.sql` files in
 * one or more locations (sub-directories included, hidden ones not), recorded in
 * `flyway_schema_history` exactly as Flyway records them, so `flyway info/validate/migrate/repair`
 * keep working after pgwarden ran.
 *
 * Sources (flyway/flyway):
 * - locations: the Locations setting (documentation.red-gate.com: filesystem locations are scanned
 *   recursively down non-hidden directories, relative paths against the working directory;
 *   flyway.toml preferred to flyway.conf), internal/util/Locations.java (a duplicate or nested
 *   location is discarded), scanner/filesystem/FileSystemScanner.java, resource/filesystem/
 *   FileSystemResource.java (`script` = the path relative to its location, `/`-separated),
 *   resolver/CompositeMigrationResolver (one version in two places is an error);
 * - names: flyway-core .../internal/resource/ResourceNameParser.java (prefix, version before
 *   `__`, description with `_` → space; a name without `__` has an empty description);
 * - versions: flyway-core .../api/MigrationVersion.java (`_` → `.`, the text is stored as written,
 *   leading zeros kept; compared numerically part by part, trailing zero parts ignored, so
 *   `1.1` and `1.1.0` are the same version);
 * - checksum: flyway-core .../internal/resolver/ChecksumCalculator.java (CRC-32 over the UTF-8
 *   bytes of each line read by `BufferedReader.readLine`, BOM removed, stored as a signed int);
 * - table: flyway-database-postgresql .../PostgreSQLDatabase.java `getRawCreateScript`
 *   (columns, `<table>_pk`, `<table>_s_idx`); rows: flyway-core .../schemahistory/
 *   JdbcTableSchemaHistory.java and Database.java `getInsertStatement` (installed_rank = max + 1,
 *   installed_on left to its default `now()`), AbbreviationUtils.java (200 / 1000 characters);
 * - lock: PostgreSQLAdvisoryLockTemplate.java (0x466C79776179 + `table.toString().hashCode()`,
 *   where the table renders as `"schema"."table"`, SchemaObject.java + Database.quote).
 *
 * Failure protocol: Flyway writes nothing before running a script. A transactional script inserts
 * its row in the script's own transaction, so a failure leaves no trace; a failed
 * non-transactional script gets a row with success = false written after the failure. This
 * adapter therefore has no `markStarted` (the faithful "nothing recorded yet"); pgwarden's own
 * ledger keeps per-statement progress.
 *
 * Repeatable migrations get the id `R__<description>` with the description as Flyway stores it
 * (underscores turned into spaces), e.g. `R__active users view`; they sort after all versioned
 * ones, by description, and their history record is the latest row for that description.
 *
 * BASELINE rows: Flyway treats every versioned migration up to and including the baseline
 * version as applied ("below baseline"). `read` returns the baseline row as an applied record
 * whose id is the baseline version; use `coveredByFlywayBaseline` to ask whether a migration
 * below it counts as applied.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve, sep } from 'node:path';
import { PgwardenError } from '../../errors/pgwarden-error.js';
import { readSqlFile } from '../../sql/source.js';
import { checksumOf } from '../checksum.js';
import type { AppliedRecord, HistoryAdapter, HistoryContext, Migration, MigrationFormat } from '../types.js';
import {
  detectTable,
  hasColumns,
  ident,
  listDirectory,
  listDirectoryQuietly,
  relativePath,
  resolveTable,
  schemaExists,
  type TableRef,
  tableColumns,
} from './shared.js';

const TABLE = 'flyway_schema_history';
const SEPARATOR = '__';
const SUFFIX = '.sql';
/** `LOCK_MAGIC_NUM` of PostgreSQLAdvisoryLockTemplate: "Flyway" in ASCII. */
export const FLYWAY_LOCK_MAGIC = 0x466c79776179n;

// ---------------------------------------------------------------------------------------------
// Versions

/** A Flyway version: the text as written (`_` → `.`) and its numeric parts for comparison. */
export interface FlywayVersion {
  text: string;
  parts: bigint[];
}

/** Parses a version as MigrationVersion does, or undefined when it is not made of digits and dots. */
export function parseFlywayVersion(raw: string): FlywayVersion | undefined {
  const text = raw.replaceAll('_', '.');
  if (!/^\d+(\.\d+)*$/.test(text)) return undefined;
  const parts = text.split('.').map((part) => BigInt(part));
  while (parts.length > 1 && parts.at(-1) === 0n) parts.pop();
  return { text, parts };
}

/** MigrationVersion.compareTo: part by part, numerically, missing parts counting as zero. */
export function compareFlywayVersions(a: FlywayVersion, b: FlywayVersion): number {
  const length = Math.max(a.parts.length, b.parts.length);
  for (let i = 0; i < length; i++) {
    const x = a.parts[i] ?? 0n;
    const y = b.parts[i] ?? 0n;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------
// Checksums

const CRC_TABLE = (() => {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  return table;
})();

/** CRC-32 (IEEE, as java.util.zip.CRC32) of some bytes, as a signed 32-bit integer. */
export function crc32(bytes: Uint8Array): number {
  let crc = -1;
  for (const byte of bytes) crc = CRC_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ -1) | 0;
}

/**
 * Flyway's checksum of a SQL script: every line, as `BufferedReader.readLine` splits them (at
 * `\n`, `\r\n` and a lone `\r`), fed into one CRC-32 without its terminator; a BOM at the start
 * is dropped. Line endings therefore never change the checksum.
 */
export function flywayChecksum(text: string): number {
  const withoutBom = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  let joined = '';
  let start = 0;
  for (let i = 0; i < withoutBom.length; i++) {
    const code = withoutBom.charCodeAt(i);
    if (code === 0x0a || code === 0x0d) {
      joined += withoutBom.slice(start, i);
      start = i + 1;
    }
  }
  joined += withoutBom.slice(start);
  return crc32(Buffer.from(joined, 'utf8'));
}

// ---------------------------------------------------------------------------------------------
// Folder

interface ParsedName {
  kind: 'versioned' | 'repeatable';
  version: FlywayVersion | undefined;
  description: string;
}

/**
 * ResourceNameParser with the default prefixes `V` and `R`, separator `__` and suffix `.sql`.
 * Returns undefined for files Flyway does not treat as SQL migrations, and a string (what is
 * wrong) for names that use the separator but are invalid — Flyway skips those silently, which
 * hides a migration, so pgwarden reports them.
 */
function parseName(file: string): ParsedName | string | undefined {
  if (!file.endsWith(SUFFIX)) return undefined;
  const stem = file.slice(0, -SUFFIX.length);
  const prefix = stem[0];
  if (prefix !== 'V' && prefix !== 'R') return undefined;
  const rest = stem.slice(1);
  const at = rest.indexOf(SEPARATOR);
  const left = at === -1 ? rest : rest.slice(0, at);
  const description = (at === -1 ? '' : rest.slice(at + SEPARATOR.length)).replaceAll('_', ' ');
  if (prefix === 'R') {
    if (left !== '') return at === -1 ? undefined : 'a repeatable migration cannot have a version';
    return { kind: 'repeatable', version: undefined, description };
  }
  if (left === '') return at === -1 ? undefined : 'the version is missing';
  const version = parseFlywayVersion(left);
  if (!version) return at === -1 ? undefined : `"${left}" is not a version (digits separated by . or _)`;
  return { kind: 'versioned', version, description };
}

/** `<script>.conf` next to a script: `executeInTransaction=false` turns the transaction off. */
function scriptTransaction(path: string): boolean | undefined {
  const conf = `${path}.conf`;
  if (!existsSync(conf)) return undefined;
  for (const line of readSqlFile(conf).text.split(/\r\n|\r|\n/)) {
    const trimmed = line.trim();
    if (trimmed.startsWith('#') || trimmed.startsWith('!')) continue;
    const eq = trimmed.indexOf('=');
    if (eq === -1) continue;
    if (trimmed.slice(0, eq).trim() !== 'executeInTransaction') continue;
    const value = trimmed
      .slice(eq + 1)
      .trim()
      .toLowerCase();
    if (value === 'false') return false;
    if (value === 'true') return true;
    throw new PgwardenError('USAGE', `${conf}: executeInTransaction must be true or false, not "${value}"`);
  }
  return undefined;
}

interface Found {
  path: string;
  /** The path relative to its location: what Flyway records in `script`. */
  script: string;
  /** The path relative to the first location: `Migration.path`, unique across locations. */
  label: string;
  parsed: ParsedName;
}

/**
 * The SQL migrations under `dir` of `location`, as FileSystemScanner finds them: every
 * sub-directory but hidden ones (a name starting with a dot), each script named relative to its
 * location (FileSystemResource.getRelativePath, with forward slashes).
 */
function collect(
  first: string,
  location: string,
  dir: string,
  found: Found[],
  broken: Array<{ path: string; problem: string }>,
): void {
  for (const entry of listDirectory(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) {
      if (!entry.name.startsWith('.')) collect(first, location, path, found, broken);
      continue;
    }
    if (!entry.isFile) continue;
    const parsed = parseName(entry.name);
    if (parsed === undefined) continue;
    const label = relativePath(first, path);
    if (typeof parsed === 'string') broken.push({ path, problem: `${label} (${parsed})` });
    else found.push({ path, script: relativePath(location, path), label, parsed });
  }
}

/** The script Flyway records for each migration read from several locations (see `insertRow`). */
const scripts = new WeakMap<Migration, string>();

/**
 * The migrations of one or more locations (absolute directories), read as Flyway reads its
 * `locations`: one set, versioned migrations in version order and then repeatables, whatever
 * location holds them; two files with the same version (or repeatable description) are an error
 * even in different locations (CompositeMigrationResolver: "Found more than one migration with
 * version"). Each migration's `path` is relative to the first location (`../seed/V20__x.sql` for
 * another one), so it stays unique; its `script` row value stays relative to its own location.
 * Locations nested in one another must be left out first (`flywayLocationSet`).
 */
export function readFlywayLocations(locations: readonly string[]): Migration[] {
  const first = locations[0]!;
  const where = locations.join(', ');
  const found: Found[] = [];
  const broken: Array<{ path: string; problem: string }> = [];
  for (const location of locations) collect(first, location, location, found, broken);
  if (broken.length > 0) {
    const files = broken.map((b) => b.problem);
    throw new PgwardenError('USAGE', `${where}: invalid Flyway migration names: ${files.join(', ')}`, {
      hint: 'Name versioned migrations V<version>__<description>.sql (e.g. V1_2__add_users.sql) and repeatable ones R__<description>.sql. Flyway would silently skip these files.',
      // one file: named as the file errors of every format name theirs (status lists it as broken)
      details: { dir: first, files, ...(broken.length === 1 ? { path: broken[0]!.path } : {}) },
    });
  }
  const versioned = found.filter((f) => f.parsed.kind === 'versioned');
  const repeatable = found.filter((f) => f.parsed.kind === 'repeatable');
  versioned.sort((a, b) => compareFlywayVersions(a.parsed.version!, b.parsed.version!));
  repeatable.sort((a, b) =>
    a.parsed.description < b.parsed.description ? -1 : a.parsed.description > b.parsed.description ? 1 : 0,
  );
  const duplicates: string[] = [];
  for (let i = 1; i < versioned.length; i++) {
    const a = versioned[i - 1]!;
    const b = versioned[i]!;
    if (compareFlywayVersions(a.parsed.version!, b.parsed.version!) === 0) {
      duplicates.push(`${a.label} and ${b.label} (version ${b.parsed.version!.text})`);
    }
  }
  for (let i = 1; i < repeatable.length; i++) {
    const a = repeatable[i - 1]!;
    const b = repeatable[i]!;
    if (a.parsed.description === b.parsed.description) {
      duplicates.push(`${a.label} and ${b.label} (description "${b.parsed.description}")`);
    }
  }
  if (duplicates.length > 0) {
    throw new PgwardenError(
      'USAGE',
      `${where}: more than one Flyway migration with the same version (or repeatable description): ${duplicates.join(', ')}`,
      {
        hint: 'Give each migration its own version (Flyway compares versions numerically: 1.1 and 1_1 and 1.1.0 are the same), in every location.',
        details: { dir: first, duplicates },
      },
    );
  }
  return [...versioned, ...repeatable].map(({ path, script, label, parsed }) => {
    const { text } = readSqlFile(path);
    refusePlaceholders(path, text);
    const transaction = scriptTransaction(path);
    const isRepeatable = parsed.kind === 'repeatable';
    const migration: Migration = {
      id: isRepeatable ? `R__${parsed.description}` : parsed.version!.text,
      name: parsed.description,
      path: label,
      up: { path, text, offset: 0, ...(transaction === undefined ? {} : { transaction }) },
      checksum: checksumOf(text),
      ...(isRepeatable ? { repeatable: true } : {}),
    };
    if (script !== label) scripts.set(migration, script);
    return migration;
  });
}

function readFolder(dir: string): Migration[] {
  return readFlywayLocations([dir]);
}

function hasVersionedFile(dir: string, depth: number): boolean {
  for (const entry of listDirectoryQuietly(dir)) {
    if (entry.isFile) {
      const parsed = parseName(entry.name);
      if (parsed !== undefined && typeof parsed !== 'string' && parsed.kind === 'versioned') return true;
    } else if (entry.isDirectory && depth > 0 && hasVersionedFile(join(dir, entry.name), depth - 1)) {
      return true;
    }
  }
  return false;
}

/** Flyway's configuration files in a project folder, the one that wins first. */
export const FLYWAY_CONFIG_FILES = ['flyway.toml', 'flyway.conf'] as const;

function detectFolder(dir: string): number {
  if (!hasVersionedFile(dir, 1)) return 0;
  let candidate = dir;
  for (let level = 0; level <= 2; level++) {
    if (FLYWAY_CONFIG_FILES.some((name) => existsSync(join(candidate, name)))) return 3;
    candidate = dirname(candidate);
  }
  return 2;
}

// ---------------------------------------------------------------------------------------------
// Locations

/** The filesystem locations a project's Flyway configuration lists. */
export interface FlywayConfigLocations {
  /** The file they come from (flyway.toml or flyway.conf). */
  file: string;
  /** Each `filesystem:` location's folder, resolved against the folder of the file, in order. */
  dirs: string[];
  /** What is not read, in words: other kinds of location, folders that do not exist. */
  notes: string[];
}

/**
 * The `locations` of the Flyway configuration in `dir`, as `flyway` run there reads them:
 * `flyway.toml` (`locations = [...]` in its `[flyway]` table) in preference to `flyway.conf`
 * (`flyway.locations=`, comma-separated); relative paths resolve against `dir`, the working
 * directory Flyway resolves them against. Only `filesystem:` locations are folders pgwarden can
 * read: a classpath (or unprefixed), `s3:` or `gcs:` location is left out with a note, and a
 * location with Flyway's wildcards is refused. Undefined when the file lists no filesystem
 * location (pgwarden then looks for the well-known folders).
 */
export function flywayConfigLocations(dir: string): FlywayConfigLocations | undefined {
  for (const name of FLYWAY_CONFIG_FILES) {
    const file = join(dir, name);
    if (!existsSync(file)) continue;
    const text = readSqlFile(file).text;
    const listed = name === 'flyway.toml' ? tomlLocations(file, text) : confLocations(text);
    if (listed === undefined) return undefined;
    const dirs: string[] = [];
    const notes: string[] = [];
    let folders = 0;
    for (const location of listed) {
      const colon = location.indexOf(':');
      const prefix = colon === -1 ? 'classpath:' : location.slice(0, colon + 1);
      const path = location.slice(colon + 1);
      if (prefix !== 'filesystem:') {
        notes.push(`${name}: location ${location} is not read (pgwarden reads filesystem: locations)`);
        continue;
      }
      if (/[*?]/.test(path)) {
        throw new PgwardenError(
          'USAGE',
          `${file}: location ${location} has wildcards, which pgwarden does not expand`,
          {
            hint: 'Pass each folder it matches with --dir (repeat the option), in the order Flyway should find them.',
            details: { path: file, location },
          },
        );
      }
      const folder = resolve(dir, path);
      folders++;
      if (existsSync(folder)) dirs.push(folder);
      else notes.push(`${name}: location ${location} does not exist; skipped, as Flyway skips it`);
    }
    if (folders > 0 && dirs.length === 0) {
      throw new PgwardenError(
        'PATH_NOT_FOUND',
        `${file}: none of the filesystem locations exists (${listed.join(', ')})`,
        {
          hint: 'Create the folder, correct the location, or pass the migrations folder with --dir.',
          details: { path: file },
        },
      );
    }
    return dirs.length > 0 ? { file, dirs, notes } : undefined;
  }
  return undefined;
}

/**
 * `flyway.locations` of a Java properties file: the last definition wins; a line ending in an odd
 * number of backslashes continues on the next one (leading white space dropped), as Flyway's
 * documented multi-line form `flyway.locations=filesystem:a,\` relies on.
 */
function confLocations(text: string): string[] | undefined {
  const lines = text.split(/\r\n|\r|\n/);
  let value: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!.replace(/^[ \t\f]+/, '');
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    while (/(?:^|[^\\])(?:\\\\)*\\$/.test(line) && i + 1 < lines.length) {
      line = line.slice(0, -1) + lines[++i]!.replace(/^[ \t\f]+/, '');
    }
    const match = /^((?:\\.|[^=:\s\\])+)[ \t\f]*[=:]?[ \t\f]*(.*)$/.exec(line);
    if (!match) continue;
    const unescaped = (raw: string) => raw.replace(/\\(.)/g, '$1');
    if (unescaped(match[1]!) === 'flyway.locations') value = unescaped(match[2]!);
  }
  return value
    ?.split(',')
    .map((location) => location.trim())
    .filter((location) => location !== '');
}

const require = createRequire(import.meta.url);
let toml: typeof import('smol-toml') | undefined;

/**
 * `locations` of a flyway.toml's `[flyway]` table: an array of strings (one string is taken as
 * one location). smol-toml is loaded only when a project has a flyway.toml (start-up stays lean).
 * A document TOML cannot read, or a value that is not strings, is an error naming the file.
 */
function tomlLocations(file: string, text: string): string[] | undefined {
  toml ??= require('smol-toml') as typeof import('smol-toml');
  let document: Record<string, unknown>;
  try {
    document = toml.parse(text) as Record<string, unknown>;
  } catch (error) {
    const reason = ((error as Error).message ?? String(error)).split('\n', 1)[0]!;
    throw new PgwardenError('USAGE', `${file}: not a TOML document pgwarden can read (${reason})`, {
      hint: 'Flyway cannot read it either: correct the file.',
      details: { path: file },
    });
  }
  const flyway = document.flyway as Record<string, unknown> | undefined;
  const value = typeof flyway === 'object' && flyway !== null ? flyway.locations : undefined;
  if (value === undefined) return undefined;
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || !list.every((item) => typeof item === 'string')) {
    throw new PgwardenError('USAGE', `${file}: [flyway] locations must be an array of strings`, {
      hint: 'Write it as locations = ["filesystem:sql", "filesystem:seed"], or pass each folder with --dir.',
      details: { path: file },
    });
  }
  return list.map((location) => location.trim()).filter((location) => location !== '');
}

/**
 * Flyway's Locations: a location listed twice, or inside another listed location (which is
 * scanned recursively anyway), is dropped, so no file is read twice; its scripts are then named
 * relative to the enclosing location, as Flyway names them. The order given is kept: the first
 * location is where pgwarden writes new migrations.
 */
export function flywayLocationSet(
  dirs: readonly string[],
  display: (dir: string) => string,
): { dirs: string[]; notes: string[] } {
  const kept: string[] = [];
  const notes: string[] = [];
  const inside = (child: string, parent: string) =>
    child.startsWith(parent.endsWith(sep) ? parent : parent + sep);
  for (const dir of dirs) {
    const parent = dirs.find((other) => other !== dir && inside(dir, other));
    if (kept.includes(dir)) notes.push(`${display(dir)} is given twice; read once`);
    else if (parent !== undefined)
      notes.push(
        `${display(dir)} is inside ${display(parent)}, which is read with its sub-folders; read once, as part of it (as Flyway does)`,
      );
    else kept.push(dir);
  }
  return { dirs: kept, notes };
}

// ---------------------------------------------------------------------------------------------
// History

interface FlywayRow {
  installed_rank: number;
  version: string | null;
  description: string;
  type: string;
  script: string;
  checksum: number | null;
  installed_by: string;
  installed_on: Date;
  execution_time: number;
  success: boolean;
}

/** Rows of these types take a version out of the applied set (repair's "deleted", undo). */
const REMOVING_TYPES = new Set(['DELETE', 'UNDO_SQL', 'UNDO_JDBC', 'UNDO_SCRIPT', 'UNDO_SPRING_JDBC']);

/** What the adapter knows about each record it returned (Flyway type and version). */
const recordFacts = new WeakMap<AppliedRecord, { type: string; version: FlywayVersion | undefined }>();

/**
 * Whether Flyway counts `migration` as applied because of a BASELINE row in `applied`: every
 * versioned migration up to and including the baseline version is "below baseline".
 */
export function coveredByFlywayBaseline(applied: readonly AppliedRecord[], migration: Migration): boolean {
  if (migration.repeatable) return false;
  const version = parseFlywayVersion(migration.id);
  if (!version) return false;
  return applied.some((record) => {
    const facts = recordFacts.get(record);
    return (
      facts?.type === 'BASELINE' &&
      facts.version !== undefined &&
      compareFlywayVersions(version, facts.version) <= 0
    );
  });
}

/**
 * Flyway replaces `${name}` placeholders everywhere in a script (and fails on one it has no value
 * for). pgwarden does not read Flyway's configuration, so it refuses such a script instead of
 * sending the placeholder to the server as text.
 */
function refusePlaceholders(path: string, text: string): void {
  const match = /\$\{([^}\n]+)\}/.exec(text);
  if (!match) return;
  const line = text.slice(0, match.index).split('\n').length;
  throw new PgwardenError(
    'USAGE',
    `${path}:${line}: Flyway placeholder ${match[0]}: pgwarden does not replace Flyway placeholders`,
    {
      hint: 'Write the value into the migration, or keep running this folder with Flyway.',
      details: { path, line, placeholder: match[1] },
    },
  );
}

/** Flyway's AbbreviationUtils: descriptions fit 200 characters, scripts 1000. */
function abbreviateDescription(description: string): string {
  return description.length <= 200 ? description : `${description.slice(0, 197)}...`;
}

function abbreviateScript(script: string): string {
  return script.length <= 1000 ? script : `...${script.slice(3, 1000)}`;
}

function table(ctx: HistoryContext): Promise<TableRef> {
  return resolveTable(ctx, TABLE);
}

/** The statements of `getRawCreateScript` (no tablespace, no baseline). */
function createTableSql(t: TableRef): string {
  return `CREATE TABLE ${t.sql} (
    "installed_rank" INT NOT NULL,
    "version" VARCHAR(50),
    "description" VARCHAR(200) NOT NULL,
    "type" VARCHAR(20) NOT NULL,
    "script" VARCHAR(1000) NOT NULL,
    "checksum" INTEGER,
    "installed_by" VARCHAR(100) NOT NULL,
    "installed_on" TIMESTAMP NOT NULL DEFAULT now(),
    "execution_time" INTEGER NOT NULL,
    "success" BOOLEAN NOT NULL
);
ALTER TABLE ${t.sql} ADD CONSTRAINT ${ident(`${t.name}_pk`)} PRIMARY KEY ("installed_rank");
CREATE INDEX ${ident(`${t.name}_s_idx`)} ON ${t.sql} ("success");`;
}

async function readRows(ctx: HistoryContext, t: TableRef): Promise<FlywayRow[]> {
  const { rows } = await ctx.client.query<FlywayRow>(
    `SELECT installed_rank, version, description, type, script, checksum, installed_by, installed_on,
            execution_time, success
       FROM ${t.sql} ORDER BY installed_rank`,
  );
  return rows;
}

/** Whether a history row is about this migration: same version, or same repeatable description. */
function rowIsFor(row: FlywayRow, migration: Migration): boolean {
  if (migration.repeatable) return row.version === null && row.description === migration.name;
  if (row.version === null) return false;
  const a = parseFlywayVersion(row.version);
  const b = parseFlywayVersion(migration.id);
  return a !== undefined && b !== undefined && compareFlywayVersions(a, b) === 0;
}

async function insertRow(ctx: HistoryContext, t: TableRef, migration: Migration, executionTime: number) {
  await ctx.client.query(
    `INSERT INTO ${t.sql} ("installed_rank", "version", "description", "type", "script", "checksum",
                           "installed_by", "execution_time", "success")
     SELECT coalesce(max("installed_rank"), 0) + 1, $1, $2, 'SQL', $3, $4, current_user, $5, true FROM ${t.sql}`,
    [
      migration.repeatable ? null : migration.id,
      abbreviateDescription(migration.name),
      abbreviateScript(scripts.get(migration) ?? migration.path),
      flywayChecksum(migration.up.text),
      executionTime,
    ],
  );
}

const history: HistoryAdapter = {
  async detect(ctx) {
    return hasColumns((await detectTable(ctx, table))?.columns, ['installed_rank', 'success', 'checksum']);
  },

  async read(ctx) {
    const t = await table(ctx);
    if ((await tableColumns(ctx.client, t)) === undefined) {
      return { exists: false, table: t.display, applied: [] };
    }
    // Keyed by normalised version (or R__description); a later row replaces an earlier one.
    const byKey = new Map<string, { rank: number; record: AppliedRecord }>();
    for (const row of await readRows(ctx, t)) {
      if (row.type === 'SCHEMA') continue;
      const version = row.version === null ? undefined : parseFlywayVersion(row.version);
      const key = row.version === null ? `R__${row.description}` : (version?.parts.join('.') ?? row.version);
      if (REMOVING_TYPES.has(row.type)) {
        byKey.delete(key);
        continue;
      }
      const record: AppliedRecord = {
        id: row.version === null ? `R__${row.description}` : row.version,
        ...(row.checksum === null ? {} : { checksum: String(row.checksum) }),
        appliedAt: row.installed_on,
        state: row.success ? 'applied' : 'failed',
      };
      if (row.type === 'BASELINE') {
        record.baseline = true;
        record.detail = `baseline: Flyway counts every versioned migration up to ${row.version} as applied`;
      } else if (!row.success) {
        record.detail = `Flyway recorded ${row.script} as failed (success = false); repair the database by hand, then resolve it`;
      }
      recordFacts.set(record, { type: row.type, version });
      byKey.delete(key);
      byKey.set(key, { rank: row.installed_rank, record });
    }
    const applied = [...byKey.values()].sort((a, b) => a.rank - b.rank).map((entry) => entry.record);
    return { exists: true, table: t.display, applied };
  },

  /**
   * Creates the table as Flyway does, in one implicit transaction. When the schema does not
   * exist yet it is created first and recorded with Flyway's schema-creation marker row
   * (installed_rank 0, type SCHEMA), as Flyway does for schemas it creates.
   */
  async ensure(ctx) {
    const t = await table(ctx);
    if ((await tableColumns(ctx.client, t)) !== undefined) return;
    const createSchema = !(await schemaExists(
      ctx.client,
      t.schema,
      `${t.display}: cannot create the history table`,
    ));
    await ctx.client.query(
      `${createSchema ? `CREATE SCHEMA ${ident(t.schema)};\n` : ''}${createTableSql(t)}`,
    );
    if (createSchema) {
      await ctx.client.query(
        `INSERT INTO ${t.sql} ("installed_rank", "version", "description", "type", "script", "checksum",
                               "installed_by", "execution_time", "success")
         VALUES (0, NULL, '<< Flyway Schema Creation >>', 'SCHEMA', $1, NULL, current_user, 0, true)`,
        [ident(t.schema)],
      );
    }
  },

  /** The row Flyway inserts after a successful script: rank max + 1, type SQL, success true. */
  async markApplied(ctx, migration, info) {
    await insertRow(ctx, await table(ctx), migration, Math.max(0, Math.round(info.durationMs)));
  },

  /**
   * `flyway repair` for this migration: rolled-back deletes its failed (success = false) rows, as
   * repair deletes failed rows; applied sets them to success = true with the file's current
   * checksum and description (what repair's realignment would then write). With no failed row,
   * applied records the migration as Flyway's `skipExecutingMigrations` mode does.
   */
  async resolve(ctx, migration, as) {
    const t = await table(ctx);
    const exists = (await tableColumns(ctx.client, t)) !== undefined;
    const rows = exists
      ? (await readRows(ctx, t)).filter((row) => row.type !== 'SCHEMA' && rowIsFor(row, migration))
      : [];
    const failed = rows.filter((row) => !row.success && !REMOVING_TYPES.has(row.type));
    const ranks = failed.map((row) => row.installed_rank);
    if (as === 'rolled-back') {
      if (failed.length === 0) {
        throw new PgwardenError('USAGE', `${t.display}: migration ${migration.id} has no failed row`, {
          hint: 'Only a failed migration can be resolved as rolled back; Flyway has no undo in its community edition.',
        });
      }
      await ctx.client.query(`DELETE FROM ${t.sql} WHERE "installed_rank" = ANY($1::int[])`, [ranks]);
      return `${t.display}: deleted the failed row(s) of ${migration.id} (installed_rank ${ranks.join(', ')})`;
    }
    if (failed.length > 0) {
      await ctx.client.query(
        `UPDATE ${t.sql} SET "success" = true, "checksum" = $2, "description" = $3
          WHERE "installed_rank" = ANY($1::int[])`,
        [ranks, flywayChecksum(migration.up.text), abbreviateDescription(migration.name)],
      );
      return `${t.display}: marked the failed row(s) of ${migration.id} as successful (installed_rank ${ranks.join(', ')})`;
    }
    const latest = rows.at(-1);
    if (latest?.success && !REMOVING_TYPES.has(latest.type) && !migration.repeatable) {
      throw new PgwardenError(
        'USAGE',
        `${t.display}: migration ${migration.id} is already recorded as applied`,
        {
          hint: 'Nothing to resolve.',
        },
      );
    }
    if (!exists) await history.ensure(ctx);
    await insertRow(ctx, t, migration, 0);
    return `${t.display}: recorded ${migration.id} as applied without running it`;
  },

  nativeChecksum(migration) {
    return String(flywayChecksum(migration.up.text));
  },

  checksumMatches(migration, stored) {
    return stored.trim() === String(flywayChecksum(migration.up.text));
  },

  coveredByBaseline: coveredByFlywayBaseline,

  async lockKeys(ctx) {
    const t = await table(ctx);
    return [flywayLockKey(t.schema, t.name)];
  },
};

/** Java's `String.hashCode` (UTF-16 code units, 32-bit overflow). */
export function javaHashCode(text: string): number {
  let hash = 0;
  for (let i = 0; i < text.length; i++) hash = (Math.imul(31, hash) + text.charCodeAt(i)) | 0;
  return hash;
}

/** The key of Flyway's advisory lock for the history table `schema.table`. */
export function flywayLockKey(schema: string, table: string): bigint {
  return FLYWAY_LOCK_MAGIC + BigInt(javaHashCode(`${ident(schema)}.${ident(table)}`));
}

export const flywayFormat: MigrationFormat = {
  id: 'flyway',
  title: 'Flyway',
  hasDown: false,
  detectFolder,
  read: readFolder,
  history,
};
