/** The floor for any linter built on libpg-query: start Node, load the parser, parse every file. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadParser, parseSql } from '../../dist/sql/parser.js';

await loadParser();
const dir = process.argv[2];
let statements = 0;
for (const file of readdirSync(dir)) {
  const parsed = parseSql(readFileSync(join(dir, file), 'utf8'));
  if ('stmts' in parsed) statements += parsed.stmts.length;
}
process.stdout.write(`${statements}\n`);
