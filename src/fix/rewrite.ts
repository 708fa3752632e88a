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
import type { ColumnLookup } from './column-facts.js';
import { ALTER_TABLE_RULES, DATA_CHANGE_RULES, INDEX_RULES, RENAME_RULES } from './fixable-rules.js';
import type { Piece, RecipeInput } from './recipe.js';
import { addColumnPieces } from './recipes/add-column.js';
import { addConstraintPieces } from './recipes/constraints.js';
import { dataChangePieces } from './recipes/data-change.js';
import { indexPieces } from './recipes/indexes.js';
import { ident } from './recipes/names.js';
import { notNullPieces } from './recipes/not-null.js';
import { renameColumnPieces, renameTablePieces } from './recipes/renames.js';
import { typeChangePieces } from './recipes/type-change.js';
import { StatementText } from './statement-text.js';

/**
 * The pieces for a flagged statement; undefined when no recipe applies (it is kept as it is).
 * A recipe that applies but cannot be used here says why through `decline`.
 */
export function rewriteStatement(
  stmt: Statement,
  rules: Set<string>,
  context: StatementContext = {},
): Piece[] | undefined {
  const parsed = parseSql(stmt.text);
  if ('error' in parsed || parsed.stmts.length !== 1) return undefined;
  const node = parsed.stmts[0]!.stmt[stmt.kind];
  const input: RecipeInput = { stmt, node, text: new StatementText(stmt.text), rules };
  const has = (list: readonly string[]) => list.some((rule) => rules.has(rule));
  const decline = context.decline ?? (() => {});
  if (stmt.kind === 'AlterTableStmt' && has(ALTER_TABLE_RULES)) return alterTablePieces(input, context);
  if (stmt.kind === 'UpdateStmt') return has(DATA_CHANGE_RULES) ? dataChangePieces(input) : undefined;
  if (stmt.kind === 'RenameStmt') {
    if (!has(RENAME_RULES)) return undefined;
    if (context.tableShared) return declined(notAlone(context.tableShared), decline);
    return declined(renameTablePieces(node) ?? renameColumnPieces(node, context.lookup), decline);
  }
  return has(INDEX_RULES) ? indexPieces(input) : undefined;
}

export interface StatementContext {
  lookup?: ColumnLookup | undefined;
  /** Told why a recipe that covers the statement is not used. */
  decline?: (reason: string) => void;
  /** A table the statement changes that other statements of the file use too. */
  tableShared?: string | undefined;
}

/**
 * Why a rename or a type change is not rewritten when other statements of the file use its table:
 * the steps run in phase order, so those statements' steps would run on the other side of the
 * rename or the swap from where they were written.
 */
function notAlone(table: string): string {
  return `other statements of the file use ${table}; pgwarden fix rewrites a rename or a type change in a migration of its own (its steps reorder the file's statements around it)`;
}

function alterTablePieces(
  { node, text, rules }: RecipeInput,
  { lookup, decline = () => {}, tableShared }: StatementContext,
): Piece[] | undefined {
  if (node.objtype !== 'OBJECT_TABLE') return undefined;
  const relation = node.relation;
  const table = {
    name: relation.relname as string,
    schema: relation.schemaname as string | undefined,
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
    else if (cmd.subtype === 'AT_AlterColumnType' && rules.has('changing-column-type')) {
      const others = (node.cmds as any[]).filter(
        (other) => other !== entry && other.AlterTableCmd.name === cmd.name,
      );
      own = declined(
        tableShared
          ? notAlone(tableShared)
          : others.length
            ? `the statement changes column ${cmd.name} in other ways too; pgwarden fix rewrites a type change alone`
            : typeChangePieces(text, prefix, table, cmd, lookup),
        decline,
      );
    }
    if (own) {
      rewritten = true;
      return own;
    }
    return [{ phase: 'expand', sql: `${prefix} ${commands[i]};`, why: '', subject: table.name }];
  });
  return rewritten ? pieces : undefined;
}

/** A recipe's pieces, or undefined when it declined (the reason goes to `decline`). */
function declined(own: Piece[] | string | undefined, decline: (reason: string) => void): Piece[] | undefined {
  if (typeof own !== 'string') return own;
  decline(own);
  return undefined;
}

export interface FixedStatement {
  line: number;
  rules: string[];
  /** The phases its pieces went to. */
  phases: string[];
}

/** A flagged statement kept as written although a recipe covers its kind, and why. */
export interface DeclinedStatement {
  line: number;
  reason: string;
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
): { pieces: Piece[]; rewritten: FixedStatement[]; declined: DeclinedStatement[] } {
  const model = new SchemaModel();
  const mine = parsed.statements.filter((s) => s.origin === 'file' && s.kind !== 'TransactionStmt');
  const effectsOf = new Map(mine.map((s) => [s, classify(s, { model, pgMajor: options.pgMajor })]));
  const tablesOf = new Map(
    mine.map((s) => [s, new Set(effectsOf.get(s)!.flatMap((e) => Object.values(e.relations).flat()))]),
  );
  /** A table of `stmt` that another statement of the file uses too. */
  const sharedTable = (stmt: Statement) =>
    [...tablesOf.get(stmt)!].find((t) => mine.some((o) => o !== stmt && tablesOf.get(o)!.has(t)));
  const dataChanged = new Set<string>();
  const pieces: Piece[] = [];
  const rewritten: FixedStatement[] = [];
  const declinedHere: DeclinedStatement[] = [];
  // a transaction statement is left out: the runner and the files' own markers decide
  for (const stmt of mine) {
    const rules = new Set(
      options.findings
        .filter((f) => {
          const at = f.start - options.offset;
          return at >= stmt.span.start && at < Math.max(stmt.span.end, stmt.span.start + 1);
        })
        .map((f) => f.rule),
    );
    // lint reports the first data change per table and transaction: the later ones are the same
    if (stmt.kind === 'UpdateStmt' && [...tablesOf.get(stmt)!].some((t) => dataChanged.has(t)))
      rules.add(DATA_CHANGE_RULES[0]);
    if (rules.has(DATA_CHANGE_RULES[0])) for (const t of tablesOf.get(stmt)!) dataChanged.add(t);
    const line = options.lineOf(stmt.span.start);
    const own = rules.size
      ? rewriteStatement(stmt, rules, {
          lookup: options.lookup,
          decline: (reason) => declinedHere.push({ line, reason }),
          tableShared: sharedTable(stmt),
        })
      : undefined;
    if (own) {
      pieces.push(...own);
      rewritten.push({
        line,
        rules: [...rules],
        phases: [...new Set(own.map((p) => p.phase))],
      });
      continue;
    }
    const alone = effectsOf.get(stmt)!.some((e) => !e.facts.transactional);
    pieces.push({
      phase: alone ? 'index' : 'expand',
      sql: `${stmt.text};`,
      why: '',
      subject: options.subject,
    });
  }
  return { pieces, rewritten, declined: declinedHere };
}
