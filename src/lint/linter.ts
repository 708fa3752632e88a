/**
 * The linter: parses each file, follows it statement by statement (schema model, transaction
 * state under the chosen runner), runs the enabled rules, applies ignore comments and returns
 * findings. Files are linted in order and share one schema model, so a table created by an
 * earlier migration is known to later ones.
 */

import { classify } from '../analysis/classify.js';
import type { Effect } from '../analysis/effects.js';
import type { SmallTable } from '../analysis/live-catalog.js';
import type { QualifiedName } from '../analysis/names.js';
import { SchemaModel, type TableFacts } from '../analysis/schema-model.js';
import { backfillStatements } from '../backfill/marker.js';
import { PgwardenError } from '../errors/pgwarden-error.js';
import { FIXABLE_RULES } from '../fix/fixable-rules.js';
import { isDisruptive } from '../locks/modes.js';
import { parseSqlFile } from '../sql/parse-file.js';
import { escapeControls } from '../sql/quote.js';
import type { SqlSource } from '../sql/source.js';
import type { ParsedFile, Span, Statement } from '../sql/statement.js';
import { describeLocks, formatBytes, formatCount, shortName } from './describe.js';
import type { FileResult, Finding, PgVersionSource } from './finding.js';
import { assignTargets, type IgnoreDirective, parseDirective } from './ignores.js';
import type {
  FileEndContext,
  Level,
  Preset,
  Report,
  RuleContext,
  RuleDefinition,
  RuleLevel,
} from './rule.js';
import { RULE_ALIASES, RULES } from './rules/index.js';
import { RUNNER_IDS, type RunnerProfile, resolveRunner } from './runners.js';
import { TransactionTracker } from './transaction-tracker.js';

export const DEFAULT_PG_VERSION = 15;

export interface LinterOptions {
  /** PostgreSQL major to lint for (default 15). */
  pgVersion?: number;
  pgVersionSource?: PgVersionSource;
  /** Runner semantics (default `pgwarden`). */
  runner?: string;
  /** Per-rule levels; they override presets. */
  rules?: Record<string, RuleLevel>;
  /** Presets to enable besides `recommended` (e.g. `style`). */
  presets?: Preset[];
  /** The schema to start from (live facts); the linter adds to it as it goes. */
  schema?: SchemaModel;
  /**
   * Tables created by any file linted before are new, not only those of the file itself (the lint
   * gate: the files are the migrations of one run, so such a table is empty when they change it).
   */
  newAcrossFiles?: boolean;
  /**
   * Size-dependent errors (rules with `sizeDependent`) on tables known to be at most this big
   * (rows counted, `rowsCounted`, and total bytes) or new are warnings that say so.
   */
  smallTable?: SmallTable | undefined;
  /**
   * The model holds a migration folder's whole history (no live database): a size-dependent
   * error on a table no file created is a warning that says what was assumed.
   */
  historyOnly?: boolean;
}

const byId = new Map(RULES.map((r) => [r.id, r]));

/** Rule ids an ignore comment or config key may name: ids and aliases. */
export function resolveRuleName(name: string): string[] | undefined {
  if (byId.has(name)) return [name];
  return RULE_ALIASES[name];
}

export function ruleById(id: string): RuleDefinition | undefined {
  return byId.get(id) ?? byId.get(resolveRuleName(id)?.[0] ?? '');
}

export class Linter {
  readonly pgVersion: number;
  readonly pgVersionSource: PgVersionSource;
  readonly runner: RunnerProfile;
  readonly schema: SchemaModel;
  /** Enabled rules, in registry order (their levels are in `levels`). */
  private readonly active: RuleDefinition[];
  /** Rules with a check, by the statement kind they look at; `*` holds the rules for every kind. */
  private readonly checks = new Map<string, RuleDefinition[]>();
  private readonly levels = new Map<string, Level>();
  private readonly newAcrossFiles: boolean;
  private readonly smallTable: SmallTable | undefined;
  private readonly historyOnly: boolean;
  /** The runner's profile for files run without a transaction, by how they are sent. */
  private readonly untransacted = new Map<string, RunnerProfile>();

  constructor(options: LinterOptions = {}) {
    this.pgVersion = options.pgVersion ?? DEFAULT_PG_VERSION;
    this.pgVersionSource = options.pgVersionSource ?? (options.pgVersion ? 'option' : 'default');
    const runner = resolveRunner(options.runner ?? 'pgwarden');
    if (!runner) {
      throw new PgwardenError('USAGE', `unknown runner "${options.runner}"`, {
        hint: `Use one of: ${RUNNER_IDS.join(', ')} (or a tool name such as prisma, dbmate, golang-migrate, flyway).`,
      });
    }
    this.runner = runner;
    this.schema = options.schema ?? new SchemaModel();
    this.newAcrossFiles = options.newAcrossFiles === true;
    this.smallTable = options.smallTable;
    this.historyOnly = options.historyOnly === true;
    const presets = new Set<Preset>(['recommended', ...(options.presets ?? [])]);
    const overrides = new Map<string, RuleLevel>();
    const unknown: string[] = [];
    for (const [name, level] of Object.entries(options.rules ?? {})) {
      const ids = resolveRuleName(name);
      if (!ids) unknown.push(name);
      else for (const id of ids) overrides.set(id, level);
    }
    if (unknown.length > 0) {
      throw new PgwardenError(
        'UNKNOWN_RULE',
        `unknown rule${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`,
        {
          hint: 'Run `pgwarden lint --list-rules` for the rule ids.',
        },
      );
    }
    this.active = [];
    for (const rule of RULES) {
      const level = overrides.get(rule.id) ?? (presets.has(rule.preset) ? rule.defaultLevel : 'off');
      if (level === 'off') continue;
      this.levels.set(rule.id, level);
      this.active.push(rule);
      if (!rule.check) continue;
      for (const kind of rule.kinds ?? ['*']) this.checks.set(kind, [...(this.checks.get(kind) ?? []), rule]);
    }
  }

  /**
   * When every table the effects lock in a way the application would queue behind is new or known
   * small (`smallTable`), why the size-dependent finding is no outage risk there; else undefined.
   */
  private smallOnly(effects: Effect[], isNew: (key: string) => boolean): string | undefined {
    const limit = this.smallTable;
    if (!limit) return undefined;
    const keys = lockedKeys(effects);
    if (keys.size === 0) return undefined;
    const notes: string[] = [];
    for (const key of keys) {
      const name = shortName(key, this.schema.defaultSchema);
      if (isNew(key)) {
        notes.push(`${name} is created in this run, so it is empty then`);
        continue;
      }
      const table = this.schema.tables.get(key);
      const rows = table?.rowsCounted;
      if (rows === undefined || rows > limit.rows || (table!.totalBytes ?? 0) > limit.bytes) return undefined;
      notes.push(
        `${name} is small here: ${formatCount(rows)} row${rows === 1 ? '' : 's'}, ${formatBytes(table!.totalBytes ?? 0)}`,
      );
    }
    return `not an outage risk: ${notes.join('; ')}`;
  }

  /**
   * With `historyOnly`: when every table the effects lock strongly is one no linted or replayed
   * file created (nor the schema model otherwise knows), what the finding assumed; else undefined.
   */
  private assumedOnly(effects: Effect[]): string | undefined {
    if (!this.historyOnly) return undefined;
    const keys = lockedKeys(effects);
    if (keys.size === 0 || [...keys].some((key) => this.schema.tables.has(key))) return undefined;
    const names = [...keys].map((key) => shortName(key, this.schema.defaultSchema)).join(', ');
    return `assumed: ${names} ${keys.size === 1 ? 'is' : 'are'} created by no migration pgwarden read, so ${keys.size === 1 ? 'its size is' : 'their sizes are'} unknown; lint with --database-url to know`;
  }

  /**
   * The runner as it runs this file: a file the tool runs without a transaction (its own
   * directive) is run statement by statement — by pgwarden always, each statement alone — or, by
   * a tool that sends it as one query, as one implicit transaction when it holds several.
   */
  private runnerFor(parsed: ParsedFile): RunnerProfile {
    if (!parsed.transaction) return this.runner;
    const transaction =
      parsed.transaction === 'one-query' && this.runner.id !== 'pgwarden'
        ? 'implicit-multi-statement'
        : 'none';
    let profile = this.untransacted.get(transaction);
    if (!profile) {
      profile = { ...this.runner, transaction };
      this.untransacted.set(transaction, profile);
    }
    return profile;
  }

  /**
   * Follows a file without linting it: its statements change the schema model as they would the
   * database (the earlier migrations of a folder, before the files asked for).
   */
  replaySource(source: SqlSource): void {
    const parsed = parseSqlFile(source);
    for (const stmt of parsed.statements)
      if (stmt.origin !== 'function-body') this.schema.apply(stmt.kind, stmt.node, parsed.path);
  }

  /** Lints one file's text. Files must be given in migration order. */
  lintSource(source: SqlSource): FileResult {
    return this.lintParsed(parseSqlFile(source));
  }

  /** Lints an already parsed file. Files must be given in migration order. */
  lintParsed(parsed: ParsedFile): FileResult {
    const findings: Finding[] = [];
    const model = this.schema;
    const path = parsed.path;
    const classifyCtx = { model, pgMajor: this.pgVersion };

    const top = parsed.statements.filter((s) => s.origin === 'file');
    const runner = this.runnerFor(parsed);
    const hasNonTransactional =
      runner.nonTransactional === 'autocommit-file' &&
      top.some((s) => classify(s, classifyCtx).some((e) => !e.facts.transactional));
    const tracker = new TransactionTracker(runner, top.length, hasNonTransactional);

    const push = (
      rule: RuleDefinition,
      stmt: Statement | undefined,
      report: Report,
      effects?: Effect[],
    ): void => {
      const configured = this.levels.get(rule.id);
      if (!configured) return;
      let level = report.level === 'warning' ? 'warning' : configured;
      if (level === 'error' && rule.sizeDependent && effects) {
        const why = this.smallOnly(effects, isNew) ?? this.assumedOnly(effects);
        if (why) {
          level = 'warning';
          report = { ...report, message: `${report.message} (${why})` };
        }
      }
      const start =
        report.offset ??
        (stmt ? (report.location === undefined ? stmt.span.start : stmt.offsetOf(report.location)) : 0);
      const end = Math.max(start, stmt ? stmt.span.end : start + 1);
      findings.push(makeFinding(parsed, rule.id, level, report, start, end));
    };

    /** Created by this file (or, with newAcrossFiles, by any file linted before). */
    const isNew = (name: QualifiedName | string | undefined): boolean => {
      const table = lookup(model, name);
      return table?.origin.kind === 'sql' && (this.newAcrossFiles || table.origin.file === path);
    };
    const ruleState = new Map<RuleDefinition, unknown>();
    let currentRule: RuleDefinition | undefined;
    const state = <T>(init: () => T): T => {
      if (!currentRule) throw new Error('state() called outside a rule');
      if (!ruleState.has(currentRule)) ruleState.set(currentRule, init());
      return ruleState.get(currentRule) as T;
    };
    // What every statement's context shares is made once per file; the context itself is a plain
    // literal (no spread, one closure), as it is built for every statement.
    const lineOf = (offset: number) => parsed.index.position(offset).line;
    const pgMajor = this.pgVersion;
    const pgVersionAssumed = this.pgVersionSource === 'default';
    const statements = parsed.statements;
    const table = (name: QualifiedName | string | undefined) => lookup(model, name);
    const isNewHere = (name: QualifiedName | string | undefined) => isNew(name);
    const neverNew = () => false;
    const locksOf = (effect: Effect) => describeLocks(effect, model);
    const forEvery = this.checks.get('*') ?? [];

    const backfills = runner.backfills ? backfillStatements(parsed) : undefined;
    for (const stmt of statements) {
      const effects = classify(stmt, classifyCtx);
      tracker.before(stmt, effects, backfills?.has(stmt) === true);
      const deferred = stmt.origin === 'function-body';
      const ctx: RuleContext = {
        state,
        lineOf,
        path,
        pgMajor,
        pgVersionAssumed,
        runner,
        schema: model,
        tx: tracker,
        statements,
        stmt,
        effects,
        deferred,
        inTransaction: tracker.inTransaction || stmt.origin === 'do-block',
        table,
        isNew: deferred ? neverNew : isNewHere,
        describeLocks: locksOf,
        report: (report) => push(currentRule!, stmt, report, deferred ? undefined : effects),
      };
      for (const rule of forEvery) {
        currentRule = rule;
        rule.check!(ctx);
      }
      const forKind = this.checks.get(stmt.kind);
      if (forKind) {
        for (const rule of forKind) {
          currentRule = rule;
          rule.check!(ctx);
        }
      }
      tracker.after(stmt, effects);
      if (!deferred) model.apply(stmt.kind, stmt.node, path);
    }

    for (const rule of this.active) {
      if (!rule.finish) continue;
      currentRule = rule;
      const ctx: FileEndContext = {
        state,
        lineOf,
        path,
        pgMajor,
        pgVersionAssumed,
        runner,
        schema: model,
        tx: tracker,
        statements,
        report: (report) => push(rule, undefined, report),
      };
      rule.finish(ctx);
    }
    currentRule = undefined;

    const syntax = byId.get('syntax-error');
    if (syntax) {
      for (const problem of parsed.syntaxErrors) {
        push(syntax, undefined, {
          message: problem.message,
          offset: problem.span.start,
          help: 'PostgreSQL will reject this statement; the migration fails here.',
        });
        const last = findings.at(-1);
        if (last?.rule === 'syntax-error') {
          last.end = problem.span.end;
          const endPos = parsed.index.position(problem.span.end);
          last.endLine = endPos.line;
          last.endColumn = endPos.column;
        }
      }
    }

    const kept = this.applyIgnores(parsed, findings, top);
    kept.sort((a, b) => a.start - b.start || a.rule.localeCompare(b.rule));
    return { path, findings: kept, text: parsed.text };
  }

  private applyIgnores(parsed: ParsedFile, findings: Finding[], top: Statement[]): Finding[] {
    const directives = parsed.comments
      .map(parseDirective)
      .filter((d): d is IgnoreDirective => d !== undefined);
    if (directives.length === 0) return findings;
    const targets: Span[] = [...top.map((s) => s.span), ...parsed.syntaxErrors.map((e) => e.span)];
    assignTargets(directives, targets);

    const used = new Map<IgnoreDirective, Set<string>>();
    const resolved = new Map<IgnoreDirective, { ids: Set<string> | 'all'; unknown: string[] }>();
    for (const directive of directives) {
      const ids = new Set<string>();
      const unknown: string[] = [];
      for (const name of directive.rules) {
        const found = resolveRuleName(name);
        if (found) for (const id of found) ids.add(id);
        else unknown.push(name);
      }
      resolved.set(directive, { ids: directive.rules.length === 0 ? 'all' : ids, unknown });
      used.set(directive, new Set());
    }

    const covers = (directive: IgnoreDirective, finding: Finding): boolean => {
      const { ids } = resolved.get(directive)!;
      if (ids !== 'all' && !ids.has(finding.rule)) return false;
      if (directive.scope === 'file') return true;
      const target = directive.target;
      return target !== undefined && finding.start >= target.start && finding.start <= target.end;
    };

    const kept: Finding[] = [];
    for (const finding of findings) {
      const directive = directives.find((d) => covers(d, finding));
      if (directive) used.get(directive)!.add(finding.rule);
      else kept.push(finding);
    }

    const unusedRule = byId.get('unused-ignore')!;
    const unusedFindings: Finding[] = [];
    for (const directive of directives) {
      const { ids, unknown } = resolved.get(directive)!;
      const hits = used.get(directive)!;
      const report = (message: string): void => {
        const level = this.levels.get(unusedRule.id);
        if (!level) return;
        unusedFindings.push(
          makeFinding(
            parsed,
            unusedRule.id,
            level,
            { message, help: 'Remove the ignore, or fix the rule name.' },
            directive.comment.start,
            directive.comment.end,
          ),
        );
      };
      for (const name of unknown) report(`unknown rule "${name}" in ignore comment`);
      if (ids === 'all') {
        if (hits.size === 0) report('this ignore comment suppresses nothing');
      } else {
        for (const id of ids) {
          if (this.levels.has(id) && !hits.has(id)) report(`"${id}" is ignored here but reports nothing`);
        }
      }
    }
    // unused-ignore findings can themselves be silenced by a file-level ignore
    for (const finding of unusedFindings) {
      const silenced = directives.some((d) => d.scope === 'file' && covers(d, finding));
      if (!silenced) kept.push(finding);
    }
    return kept;
  }
}

function lookup(model: SchemaModel, name: QualifiedName | string | undefined): TableFacts | undefined {
  if (name === undefined) return undefined;
  if (typeof name === 'string') return model.tables.get(name);
  return model.table(name);
}

function makeFinding(
  parsed: ParsedFile,
  rule: string,
  level: Level,
  report: Report,
  start: number,
  end: number,
): Finding {
  const from = parsed.index.position(start);
  const to = parsed.index.position(end);
  return {
    rule,
    level,
    // names and values from the file or the catalog never forge a line or a terminal escape
    message: escapeControls(report.message),
    line: from.line,
    column: from.column,
    endLine: to.line,
    endColumn: to.column,
    ...(report.help ? { help: report.help.split('\n').map(escapeControls).join('\n') } : {}),
    ...(report.fix ? { fix: report.fix } : {}),
    ...(FIXABLE_RULES.has(rule) && report.notFixable !== true ? { fixable: true } : {}),
    start,
    end,
  };
}

/** The relations the effects lock in a way the application would queue behind. */
function lockedKeys(effects: Effect[]): Set<string> {
  const keys = new Set<string>();
  for (const effect of effects)
    for (const lock of effect.facts.locks)
      if (isDisruptive(lock.modes)) for (const key of effect.relations[lock.on] ?? []) keys.add(key);
  return keys;
}
