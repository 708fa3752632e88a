/**
 * Which statements `pgwarden fix` rewrites, and how: a statement lint flags with a rule listed
 * here goes through the recipe for its kind; an ALTER TABLE is rewritten command by command (the
 * commands no recipe handles are kept as they are, in the expand step).
 */
import { classify } from '../analysis/classify.js';
import { SchemaModel } from '../analysis/schema-model.js';
import type { Finding } from '../lint/finding.js';
import { parseSql } from '../sql/parser.js';
import type { ParsedFile, Statement } from '../sql/statement.js';
import { ALTER_TABLE_RULES, DATA_CHANGE_RULES, INDEX_RULES, RENAME_RULES } from './fixable-rules.js';
import type { Piece, RecipeInput } from './recipe.js';
import { addColumnPieces } from './recipes/add-column.js';
import { addConstraintPieces } from './recipes/constraints.js';
import { dataChangePieces } from './recipes/data-change.js';
import { indexPieces } from './recipes/indexes.js';
import { ident } from './recipes/names.js';
import { notNullPieces } from './recipes/not-null.js';
import { type ColumnLookup, renameColumnPieces, renameTablePieces } from './recipes/renames.js';
import { StatementText } from './statement-text.js';

/** The pieces for a flagged statement; undefined when no recipe applies (it is kept as it is). */
export function rewriteStatement(
  stmt: Statement,
  rules: Set<string>,
  lookup?: ColumnLookup,
): Piece[] | undefined {
  const parsed = parseSql(stmt.text);
  if ('error' in parsed || parsed.stmts.length !== 1) return undefined;
  const node = parsed.stmts[0]!.stmt[stmt.kind];
  const input: RecipeInput = { stmt, node, text: new StatementText(stmt.text), rules };
  const has = (list: readonly string[]) => list.some((rule) => rules.has(rule));
  if (stmt.kind === 'AlterTableStmt' && has(ALTER_TABLE_RULES)) return alterTablePieces(input);
  if (stmt.kind === 'UpdateStmt') return has(DATA_CHANGE_RULES) ? dataChangePieces(input) : undefined;
  if (stmt.kind === 'RenameStmt') {
    if (!has(RENAME_RULES)) return undefined;
    return renameTablePieces(node) ?? renameColumnPieces(node, lookup);
  }
  return has(INDEX_RULES) ? indexPieces(input) : undefined;
}

function alterTablePieces({ node, text, rules }: RecipeInput): Piece[] | undefined {
  if (node.objtype !== 'OBJECT_TABLE') return undefined;
  const relation = node.relation;
  const table = {
    name: relation.relname as string,
    sql: relation.schemaname
      ? `${ident(relation.schemaname)}.${ident(relation.relname)}`
      : ident(relation.relname),
  };
  const { prefix, commands } = text.alterParts();
  if (commands.length !== node.cmds.length) return undefined;
  let rewritten = false;
  const pieces = (node.cmds as any[]).flatMap((entry, i): Piece[] => {
    const cmd = entry.AlterTableCmd;
    let own: Piece[] | undefined;
    if (cmd.subtype === 'AT_AddColumn') own = addColumnPieces(text, prefix, table, cmd.def.ColumnDef);
    else if (cmd.subtype === 'AT_SetNotNull' && rules.has('adding-not-nullable-field'))
      own = notNullPieces(prefix, table.name, cmd.name);
    else if (cmd.subtype === 'AT_AddConstraint')
      own = addConstraintPieces(commands[i]!, prefix, table, cmd.def.Constraint);
    if (own) {
      rewritten = true;
      return own;
    }
    return [{ phase: 'expand', sql: `${prefix} ${commands[i]};`, why: '', subject: table.name }];
  });
  return rewritten ? pieces : undefined;
}

export interface FixedStatement {
  line: number;
  rules: string[];
  /** The phases its pieces went to. */
  phases: string[];
}

export interface RewriteFileOptions {
  /** Lint's findings on the file (offsets into the file). */
  findings: readonly Finding[];
  /** Where the parsed text starts in the file (a section of it, for dbmate and node-pg-migrate). */
  offset: number;
  lineOf: (offset: number) => number;
  pgMajor: number;
  lookup?: ColumnLookup | undefined;
  /** What kept statements are about, for file names. */
  subject: string;
}

/**
 * The pieces of a file's statements in file order: a flagged statement through its recipe, every
 * other one kept as written (in the expand step, or alone when PostgreSQL refuses it in a
 * transaction).
 */
export function rewriteFile(
  parsed: ParsedFile,
  options: RewriteFileOptions,
): { pieces: Piece[]; rewritten: FixedStatement[] } {
  const model = new SchemaModel();
  const pieces: Piece[] = [];
  const rewritten: FixedStatement[] = [];
  for (const stmt of parsed.statements) {
    if (stmt.origin !== 'file') continue;
    if (stmt.kind === 'TransactionStmt') continue; // the runner and the files' own markers decide
    const rules = new Set(
      options.findings
        .filter((f) => {
          const at = f.start - options.offset;
          return at >= stmt.span.start && at < Math.max(stmt.span.end, stmt.span.start + 1);
        })
        .map((f) => f.rule),
    );
    const own = rules.size ? rewriteStatement(stmt, rules, options.lookup) : undefined;
    if (own) {
      pieces.push(...own);
      rewritten.push({
        line: options.lineOf(stmt.span.start),
        rules: [...rules],
        phases: [...new Set(own.map((p) => p.phase))],
      });
      continue;
    }
    const alone = classify(stmt, { model, pgMajor: options.pgMajor }).some((e) => !e.facts.transactional);
    pieces.push({
      phase: alone ? 'index' : 'expand',
      sql: `${stmt.text};`,
      why: '',
      subject: options.subject,
    });
  }
  return { pieces, rewritten };
}
