/**
 * The psql meta-command lines a pg_dump script may hold, read the way psql reads their arguments:
 * `\restrict <key>` / `\unrestrict <key>` (pg_dump 13.22/14.19/15.14/16.10/17.6/18 and later,
 * CVE-2025-8714), and `\connect` to a database in the forms pg_dump writes (`appendPsqlMetaConnect`):
 * `\connect name`, `\connect "Name"`, `\connect -reuse-previous=on "dbname='any name'"` (pg_dump 15.14
 * and later write `\encoding SQL_ASCII` before the last form). Every other
 * line starting with a backslash, and these commands with other arguments (backquotes, variables,
 * more options, connection strings with more than a dbname), is `other`: pgwarden refuses it.
 */

export type MetaLine =
  | { kind: 'restrict'; key: string }
  | { kind: 'unrestrict'; key: string }
  | { kind: 'connect'; database: string }
  | { kind: 'encoding' }
  | { kind: 'other'; command: string };

/** The key pg_dump generates or `--restrict-key` accepts: letters and digits only. */
const KEY = /^[A-Za-z0-9]+$/;
/** A database name pg_dump writes without a connection string (its "not complex" names). */
const SIMPLE_NAME = /^[A-Za-z0-9_.]+$/;

/** Reads one line that starts with a backslash (its line end and trailing blanks are ignored). */
export function readMetaLine(raw: Buffer): MetaLine {
  const line = raw.toString('utf8').replace(/[ \t\r]+$/, '');
  const space = line.search(/[ \t]/);
  const command = line.slice(1, space === -1 ? undefined : space);
  const args =
    space === -1
      ? []
      : line
          .slice(space)
          .trim()
          .split(/[ \t]+/);
  const other: MetaLine = { kind: 'other', command: command.slice(0, 40) };
  if (command === 'restrict' || command === 'unrestrict') {
    const key = args[0]!;
    if (args.length !== 1 || !KEY.test(key)) return other;
    return command === 'restrict' ? { kind: 'restrict', key } : { kind: 'unrestrict', key };
  }
  if (command === 'encoding')
    return args.length === 1 && args[0] === 'SQL_ASCII' ? { kind: 'encoding' } : other;
  if (command !== 'connect') return other;
  const rest = space === -1 ? '' : line.slice(space).trim();
  const reuse = '-reuse-previous=on ';
  if (rest.startsWith(reuse)) {
    const connstr = doubleQuoted(rest.slice(reuse.length).trim());
    const database = connstr === undefined ? undefined : dbnameOnly(connstr);
    return database === undefined ? other : { kind: 'connect', database };
  }
  if (SIMPLE_NAME.test(rest)) return { kind: 'connect', database: rest };
  const quoted = doubleQuoted(rest);
  return quoted !== undefined && SIMPLE_NAME.test(quoted) ? { kind: 'connect', database: quoted } : other;
}

/** `"…"` with `""` for a quote inside (psql's SQL-identifier argument), unquoted; else undefined. */
function doubleQuoted(text: string): string | undefined {
  if (text.length < 2 || text[0] !== '"' || text[text.length - 1] !== '"') return undefined;
  const inner = text.slice(1, -1);
  let out = '';
  for (let i = 0; i < inner.length; i++) {
    if (inner[i] !== '"') out += inner[i];
    else if (inner[i + 1] === '"') out += inner[i++];
    else return undefined;
  }
  return out;
}

/**
 * The database of a libpq connection string that holds exactly `dbname=<value>`, the value either
 * bare or single-quoted with `\'` and `\\` escapes (pg_dump's `appendConnStrVal`); else undefined.
 */
function dbnameOnly(connstr: string): string | undefined {
  const prefix = 'dbname=';
  if (!connstr.startsWith(prefix)) return undefined;
  const value = connstr.slice(prefix.length);
  if (value[0] !== "'") return SIMPLE_NAME.test(value) ? value : undefined;
  let out = '';
  for (let i = 1; i < value.length; i++) {
    const c = value[i]!;
    if (c === '\\') {
      const next = value[i + 1];
      if (next !== '\\' && next !== "'") return undefined;
      out += next;
      i++;
    } else if (c === "'") {
      return i === value.length - 1 && out !== '' ? out : undefined;
    } else out += c;
  }
  return undefined;
}

export interface MetaVerdict {
  /** why the line is refused, if it is */
  refused?: { code: 'PLAIN_DUMP_REFUSED' | 'BACKUP_FOREIGN'; message: string; hint?: string };
  /** a `\connect` to the target database */
  connect?: boolean;
  /** the key of an accepted `\restrict` */
  restrictKey?: string;
}

/**
 * Judges the meta-command lines of one script in order: `\restrict`/`\unrestrict` pairs with the
 * same key, `\connect` to the target database and `\encoding SQL_ASCII` outside restricted mode
 * (psql would refuse them there), never in the middle of a statement.
 */
export class MetaLines {
  private restricted: string | undefined;

  constructor(private readonly database: string | undefined) {}

  judge(meta: MetaLine, inStatement: boolean): MetaVerdict {
    const refused = (message: string) => ({ refused: { code: 'PLAIN_DUMP_REFUSED' as const, message } });
    if (meta.kind === 'other') {
      return refused(
        `psql meta-command \\${meta.command}${inStatement ? ' in the middle of a statement' : ''}: pgwarden runs SQL only`,
      );
    }
    if (inStatement) return refused(`psql meta-command \\${meta.kind} in the middle of a statement`);
    if (meta.kind === 'restrict') {
      if (this.restricted !== undefined) return refused('\\restrict while already restricted');
      this.restricted = meta.key;
      return { restrictKey: meta.key };
    }
    if (meta.kind === 'unrestrict') {
      const matches = this.restricted === meta.key;
      this.restricted = undefined;
      return matches ? {} : refused('\\unrestrict with a key no \\restrict before it set');
    }
    if (this.restricted !== undefined)
      return refused(`\\${meta.kind} in restricted mode (psql would refuse it)`);
    if (meta.kind === 'encoding') return {};
    if (meta.database === this.database) return { connect: true };
    const target = this.database === undefined ? '' : `, the target is "${this.database}"`;
    return {
      refused: {
        code: 'BACKUP_FOREIGN',
        message: `\\connect ${meta.database}: the dump switches to database "${meta.database}"${target}`,
        hint: 'It was made with pg_dump --create or by pg_dumpall; restore a dump of the one database, made without --create.',
      },
    };
  }
}
