/**
 * What `pgwarden lint` checks in a migration folder of a known format: each migration's up script,
 * in the order the tool applies them. A section of a file (dbmate `-- migrate:up`, node-pg-migrate
 * `-- Up Migration`) is linted in place: the rest of the file is blanked out (newlines kept), so
 * findings carry the file's own lines and columns and the down section is not linted as if it ran.
 * A script the tool runs without a transaction says so, and how the tool sends it
 * (`SqlSource.transaction`), so the linter models that file's transactions as the tool runs it.
 */
import { statSync } from 'node:fs';
import type { SqlSource } from '../sql/source.js';
import { readSqlFile } from '../sql/source.js';
import type { Migration } from './types.js';

export function lintSourcesOf(migrations: readonly Migration[]): SqlSource[] {
  return migrations.map((m) => {
    const { path, text, offset } = m.up;
    const transaction =
      m.up.transaction === false ? { transaction: m.up.sentAs ?? ('statements' as const) } : {};
    // a script that is its whole file (as many bytes as the file: no BOM stripped, nothing cut)
    // needs no second read
    if (offset === 0 && statSync(path, { throwIfNoEntry: false })?.size === Buffer.byteLength(text))
      return { path, text, ...transaction };
    const file = readSqlFile(path).text;
    if (offset === 0 && text.length === file.length) return { path, text, ...transaction };
    return {
      path,
      text: blank(file.slice(0, offset)) + text + blank(file.slice(offset + text.length)),
      ...transaction,
    };
  });
}

function blank(text: string): string {
  let out = '';
  for (const ch of text) out += ch === '\n' || ch === '\r' ? ch : ' ';
  return out;
}
