/**
 * Ignore comments. pgwarden's own:
 *   -- pgwarden-ignore rule-a, rule-b: reason      (the next statement)
 *   -- pgwarden-ignore-file rule-a: reason          (the whole file; no rules = every rule)
 * and squawk's, so existing migrations keep working:
 *   -- squawk-ignore rule-a, rule-b                 -- squawk-ignore-file [rules]
 * Both comment styles (-- and /* *\/) work. Unknown rule names and ignores that suppress
 * nothing are reported by the linter as `unused-ignore`.
 */
import type { Span, SqlComment } from '../sql/statement.js';

export interface IgnoreDirective {
  scope: 'statement' | 'file';
  syntax: 'pgwarden' | 'squawk';
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

export function parseDirective(comment: SqlComment): IgnoreDirective | undefined {
  let body = comment.text;
  if (body.startsWith('--')) body = body.slice(2);
  else if (body.startsWith('/*')) body = body.slice(2, body.endsWith('*/') ? -2 : undefined);
  body = body.trim();
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
