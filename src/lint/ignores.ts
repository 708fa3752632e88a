/**
 * Ignore comments. pgwarden's own:
 *   -- pgwarden-ignore rule-a, rule-b: reason      (the next statement)
 *   -- pgwarden-ignore-file rule-a: reason          (the whole file; no rules = every rule)
 * and squawk's and eugene's, so existing migrations keep working:
 *   -- squawk-ignore rule-a, rule-b                 -- squawk-ignore-file [rules]
 *   -- eugene: ignore E2, E6                        (the next statement; no ids = every rule)
 * eugene's ids name its hints; each maps to the pgwarden rules that report the same hazard (an id
 * with no pgwarden counterpart, such as W13 or E15, ignores nothing).
 * Both comment styles (-- and /* *\/) work. Unknown rule names and ignores that suppress
 * nothing are reported by the linter as `unused-ignore`.
 */
import type { Span, SqlComment } from '../sql/statement.js';

export interface IgnoreDirective {
  scope: 'statement' | 'file';
  syntax: 'pgwarden' | 'squawk' | 'eugene';
  /** Rule ids as written (aliases resolved later); empty = every rule. */
  rules: string[];
  reason: string | undefined;
  comment: Span;
  /** The range of text the directive covers (statement scope). */
  target: Span | undefined;
}

const PREFIXES: Array<{ token: string; scope: IgnoreDirective['scope']; syntax: IgnoreDirective['syntax'] }> =
  [
    { token: 'pgwarden-ignore-file', scope: 'file', syntax: 'pgwarden' },
    { token: 'pgwarden-ignore', scope: 'statement', syntax: 'pgwarden' },
    { token: 'squawk-ignore-file', scope: 'file', syntax: 'squawk' },
    { token: 'squawk-ignore', scope: 'statement', syntax: 'squawk' },
  ];

/** eugene's hint ids and the pgwarden rules that report the same hazard. */
const EUGENE_HINTS: Record<string, string[]> = {
  E1: ['constraint-missing-not-valid', 'adding-foreign-key-constraint'],
  E2: ['adding-not-nullable-field'],
  E3: ['prefer-jsonb'],
  E4: ['data-change-under-exclusive-lock', 'multiple-alter-table'],
  E5: ['changing-column-type', 'changing-type-of-checked-column'],
  E6: ['require-concurrent-index-creation'],
  E7: ['disallowed-unique-constraint', 'adding-serial-primary-key-field'],
  E8: ['adding-exclusion-constraint'],
  E9: ['require-lock-timeout'],
  E10: ['rewriting-table-storage', 'adding-field-with-default', 'ban-vacuum-full-cluster'],
  E11: ['adding-auto-increment-column', 'adding-field-with-default'],
  W12: ['multiple-alter-table'],
  W13: [],
  W14: ['primary-key-using-index-on-nullable-column'],
  E15: [],
};

/** `-- eugene: ignore [E2, E6]`: the statement's directive, or undefined when it ignores nothing here. */
function eugeneDirective(body: string, comment: SqlComment): IgnoreDirective | undefined | false {
  const match = /^eugene\s*:\s*ignore\b(.*)$/is.exec(body);
  if (!match) return false;
  const ids = match[1]!
    .split(/[\s,]+/)
    .map((id) => id.trim().toUpperCase())
    .filter(Boolean);
  const rules = ids.flatMap((id) => EUGENE_HINTS[id] ?? [id]);
  if (ids.length > 0 && rules.length === 0) return undefined;
  return {
    scope: 'statement',
    syntax: 'eugene',
    rules,
    reason: undefined,
    comment: comment.span,
    target: undefined,
  };
}

export function parseDirective(comment: SqlComment): IgnoreDirective | undefined {
  let body = comment.text;
  if (body.startsWith('--')) body = body.slice(2);
  else if (body.startsWith('/*')) body = body.slice(2, body.endsWith('*/') ? -2 : undefined);
  body = body.trim();
  const eugene = eugeneDirective(body, comment);
  if (eugene !== false) return eugene;
  const prefix = PREFIXES.find(
    (p) => body === p.token || body.startsWith(`${p.token} `) || body.startsWith(`${p.token}:`),
  );
  if (!prefix) return undefined;
  let rest = body.slice(prefix.token.length);
  let reason: string | undefined;
  // pgwarden: "rules: reason"; squawk: "rules -- reason"
  const reasonAt = prefix.syntax === 'pgwarden' ? rest.indexOf(':') : rest.indexOf('--');
  if (reasonAt !== -1) {
    reason = rest.slice(reasonAt + (prefix.syntax === 'pgwarden' ? 1 : 2)).trim() || undefined;
    rest = rest.slice(0, reasonAt);
  }
  const rules = rest
    .split(/[\s,]+/)
    .map((r) => r.trim())
    .filter(Boolean);
  return {
    scope: prefix.scope,
    syntax: prefix.syntax,
    rules,
    reason,
    comment: comment.span,
    target: undefined,
  };
}

/**
 * Finds what each statement-scope directive covers: the statement that contains the comment, or
 * else the first statement (or syntax-error chunk) that starts after it.
 */
export function assignTargets(directives: IgnoreDirective[], targets: Span[]): void {
  const sorted = [...targets].sort((a, b) => a.start - b.start);
  for (const directive of directives) {
    if (directive.scope !== 'statement') continue;
    const containing = sorted.find(
      (t) => t.start <= directive.comment.start && directive.comment.end <= t.end,
    );
    directive.target = containing ?? sorted.find((t) => t.start >= directive.comment.end);
  }
}
