import { quoteIdentIfNeeded } from '../../sql/quote.js';
import { columnLabel, matchingColumns, replaceType, typeSpan } from '../column-types.js';
import { defineRule } from '../rule.js';

export const rule = defineRule({
  id: 'ban-char-field',
  title: 'Prefer text or varchar over char(n)',
  defaultLevel: 'warning',
  preset: 'style',
  shapes: [],
  docs: {
    problem:
      "char(n) (character(n), bpchar; plain char means char(1)) pads every value with spaces to n characters and ignores trailing spaces in comparisons, so 'ab' and 'ab  ' are equal in the column but not once cast to text, LIKE and regular expressions see the padding, and length() does not count it. It saves no space: it is stored like text, plus the padding. Values longer than n are rejected, and changing n later is a table rewrite under an ACCESS EXCLUSIVE lock. The one-byte internal type \"char\" (with quotes) is something else and is not reported.",
    safeAlternative: `CREATE TABLE countries (
  code text PRIMARY KEY CHECK (length(code) = 2),
  name text NOT NULL
);`,
    whenFine:
      'When fixed-width, blank-padded values are really wanted, e.g. to match an external fixed-width format. Temporary tables are not reported.',
  },
  examples: {
    bad: [
      'CREATE TABLE countries (code char(2) PRIMARY KEY, name text NOT NULL);',
      'ALTER TABLE users ADD COLUMN status character(1);',
      'CREATE TABLE legacy_accounts (id bigint PRIMARY KEY, branch bpchar);',
    ],
    good: [
      'CREATE TABLE countries (code text PRIMARY KEY CHECK (length(code) = 2), name text NOT NULL);',
      'CREATE TABLE flags (id bigint PRIMARY KEY, kind "char" NOT NULL);',
      'CREATE TEMP TABLE fixed_width_import (code char(2));',
    ],
  },
  check(ctx) {
    // the raw name, not typeFromAst: pg_catalog."char" is the one-byte type, bpchar is char(n)
    const found = matchingColumns(
      ctx,
      (c) => c.rawName === 'bpchar' && (c.rawSchema === undefined || c.rawSchema === 'pg_catalog'),
    );
    for (const c of found) {
      const length = c.type.typmod >= 4 ? c.type.typmod - 4 : undefined;
      const written = length === undefined ? 'bpchar' : `char(${length})`;
      const inline = c.context === 'create-table' || (c.context === 'add-column' && ctx.isNew(c.table));
      const span = inline ? typeSpan(ctx.stmt, c) : undefined;
      const check =
        length === undefined ? undefined : `CHECK (length(${quoteIdentIfNeeded(c.column)}) <= ${length})`;
      ctx.report({
        message: `Column ${columnLabel(c)} is ${written}: values are blank-padded, trailing spaces are ignored in comparisons but not elsewhere, and it saves no space over text`,
        location: c.location,
        help: `Use text${check ? ` with ${check} (or = ${length} for fixed-length codes)` : ''}.`,
        fix: span && !span.isArray ? replaceType(span, 'text', check) : undefined,
      });
    }
  },
});
