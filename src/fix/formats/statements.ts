/**
 * Cutting SQL into its top-level statements for the tools that send a whole file as one query:
 * each piece keeps the comments before its statement (a `-- pgwarden:backfill` marker stays with
 * its UPDATE) and a `--` comment on the line of its `;`; a comment after the last statement stays
 * with the last piece. Call `loadParser()` first.
 */
import { PgwardenError } from '../../errors/pgwarden-error.js';
import { parseSqlFile } from '../../sql/parse-file.js';

/** The top-level statements of `sql`, each with its leading comments, trimmed; refuses a syntax error. */
export function splitStatements(sql: string, what: string): string[] {
  const parsed = parseSqlFile({ path: what, text: sql });
  const problem = parsed.syntaxErrors[0];
  if (problem) {
    throw new PgwardenError('INTERNAL', `${what}: cannot split the SQL into statements: ${problem.message}`, {
      details: { sql },
    });
  }
  const top = parsed.statements.filter((statement) => statement.origin === 'file');
  const pieces: string[] = [];
  let start = 0;
  top.forEach((statement, i) => {
    if (i === top.length - 1) {
      pieces.push(sql.slice(start));
      return;
    }
    let cut = statement.span.end;
    while (cut < sql.length && /\s/.test(sql[cut]!)) cut++;
    cut = sql[cut] === ';' ? cut + 1 : statement.span.end;
    const rest = /^[ \t]*--[^\n]*/.exec(sql.slice(cut));
    if (rest) cut += rest[0].length; // a comment on the statement's last line stays with it
    pieces.push(sql.slice(start, cut));
    start = cut;
  });
  return pieces.map((piece) => piece.trim()).filter((piece) => piece !== '');
}
