#!/usr/bin/env node
/**
 * bench/backup: the naive restore preview the bench compares pgwarden with. Reads the whole plain
 * dump into one string and counts the rows of each COPY block with a regular expression, then
 * prints `{"counts":{"schema.table":rows,…}}`. On failure (e.g. ERR_STRING_TOO_LONG: V8 strings stop
 * at ~512 MB) it prints `failed: <reason>` on stderr and exits 1.
 *
 * Usage: node bench/backup/naive-preview.mjs <plain.sql>
 */
import { readFileSync } from 'node:fs';

const COPY_BLOCK = /^COPY (\S+) .*? FROM stdin;\n([\s\S]*?)^\\\.$/gm;

const path = process.argv[2];
if (!path) {
  console.error('usage: node bench/backup/naive-preview.mjs <plain.sql>');
  process.exit(2);
}
try {
  const text = readFileSync(path, 'utf8');
  const counts = {};
  for (const match of text.matchAll(COPY_BLOCK)) {
    const body = match[2];
    let rows = 0;
    for (let at = body.indexOf('\n'); at !== -1; at = body.indexOf('\n', at + 1)) rows++;
    counts[match[1]] = (counts[match[1]] ?? 0) + rows;
  }
  console.log(JSON.stringify({ counts }));
} catch (error) {
  console.error(`failed: ${error.code ? `${error.code}: ` : ''}${error.message}`);
  process.exit(1);
}
