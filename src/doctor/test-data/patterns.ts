/**
 * What counts as test data in a text value. Every rule looks at the whole value, trimmed, case
 * folded, with runs of white space turned into one space; nothing matches inside a longer text.
 *
 * - placeholder name: one of DEFAULT_PLACEHOLDER_NAMES (or a configured name), e.g. `Test`,
 *   `John Doe`, `홍길동`, `Max Mustermann`.
 * - test e-mail domain: an e-mail address (`local@domain`) whose domain is, or is a subdomain of,
 *   one of DEFAULT_TEST_EMAIL_DOMAINS (or a configured domain), or ends in a reserved test TLD
 *   (RFC 2606/6761: .test, .example, .invalid, .localhost).
 * - placeholder e-mail: any other e-mail whose local part (without a `+tag`, with `.`/`_` read as
 *   spaces) is a placeholder name or a batch id: `test@gmail.com`, `john.doe@company.com`.
 * - batch id (BATCH_ID): `tmp` plus a separator (`-_.:`) and anything (`tmp-7f3a`); or `test`,
 *   `testing`, `dummy`, `fake` followed by a digit (`test123`), or by a separator and then a
 *   value that holds a digit (`test-123`, `TEST_a1`) or starts with a batch word (`TEST_batch`,
 *   `dummy-user`, `fake_order-9`). No spaces. So `Testosterone`, `test-driven`, `Test Kitchen`,
 *   `Fake fur coat` and `temp-sensor` do not match.
 */

export const DEFAULT_PLACEHOLDER_NAMES: readonly string[] = [
  // English
  'test',
  'testing',
  'tester',
  'test test',
  'testtest',
  'test user',
  'testuser',
  'test name',
  'test account',
  'dummy',
  'dummy user',
  'fake',
  'fake name',
  'fake user',
  'sample',
  'sample user',
  'placeholder',
  'foo',
  'bar',
  'baz',
  'qux',
  'foobar',
  'foo bar',
  'asdf',
  'asdfasdf',
  'asdfgh',
  'qwerty',
  'qwertz',
  'lorem ipsum',
  'john doe',
  'jane doe',
  'joe bloggs',
  'delete me',
  'deleteme',
  // German
  'max mustermann',
  'erika mustermann',
  // Korean: "test", Hong Gil-dong, Kim Cheol-su, "so-and-so"
  '테스트',
  '홍길동',
  '김철수',
  '아무개',
  // Japanese: "test", "dummy", "sample", Taro Yamada
  'テスト',
  'てすと',
  'ダミー',
  'サンプル',
  '山田太郎',
  '山田 太郎',
  // Chinese: "test", Zhang San, Li Si
  '测试',
  '測試',
  '张三',
  '張三',
  '李四',
];

/** Domains (and their subdomains) that only test data uses. */
export const DEFAULT_TEST_EMAIL_DOMAINS: readonly string[] = [
  'example.com',
  'example.org',
  'example.net',
  'test.com',
  'mailinator.com',
];

/** Top-level domains reserved for tests and documentation (RFC 2606, RFC 6761). */
export const TEST_TLDS: readonly string[] = ['test', 'example', 'invalid', 'localhost'];

const BATCH_WORDS =
  'batch|run|data|user|account|item|order|record|row|entry|import|load|job|seed|customer|product';

/** See the file comment; applied to the normalized (trimmed, lower-case) value. */
export const BATCH_ID = new RegExp(
  '^(?:' +
    'tmp[-_.:][\\w.:-]+' +
    '|(?:test(?:ing)?|dummy|fake)(?:\\d[\\w.:-]*' +
    `|[-_.:](?:(?=[\\w.:-]*\\d)[\\w.:-]+|(?:${BATCH_WORDS})s?(?:[-_.:\\d][\\w.:-]*)?))` +
    ')$',
  'u',
);

const EMAIL = /^([^\s@]+)@([^\s@]+)$/u;

export type TextReason = 'placeholder-name' | 'test-email-domain' | 'placeholder-email' | 'batch-id';

export interface TextPatterns {
  /** normalized placeholder names */
  names: ReadonlySet<string>;
  /** lower-case domains; a value matches the domain itself and its subdomains */
  emailDomains: readonly string[];
}

/** Trimmed, NFC, lower case, inner white space collapsed: the form every rule compares. */
export function normalize(value: string): string {
  return value.normalize('NFC').trim().replace(/\s+/gu, ' ').toLowerCase();
}

/** A configured domain as compared: lower case, without `*.`, `@`, a leading or trailing dot. */
export function normalizeDomain(domain: string): string {
  return domain
    .trim()
    .toLowerCase()
    .replace(/^(\*\.|@|\.)/u, '')
    .replace(/\.$/u, '');
}

/** Whether `domain` looks like a host name (letters, digits and hyphens between dots). */
export function isDomainName(domain: string): boolean {
  return /^[\p{L}\p{N}-]+(\.[\p{L}\p{N}-]+)*$/u.test(domain);
}

export function buildPatterns(
  extraNames: readonly string[] = [],
  extraDomains: readonly string[] = [],
): TextPatterns {
  return {
    names: new Set([...DEFAULT_PLACEHOLDER_NAMES, ...extraNames].map(normalize)),
    emailDomains: [...DEFAULT_TEST_EMAIL_DOMAINS, ...extraDomains.map(normalizeDomain)],
  };
}

function isTestDomain(domain: string, patterns: TextPatterns): boolean {
  const within = (parent: string) => domain === parent || domain.endsWith(`.${parent}`);
  return TEST_TLDS.some(within) || patterns.emailDomains.some(within);
}

/** Why `value` looks like test data, or undefined when it does not. */
export function classifyText(value: string, patterns: TextPatterns): TextReason | undefined {
  const v = normalize(value);
  if (v === '') return undefined;
  const email = EMAIL.exec(v);
  if (email) {
    const domain = email[2]!.replace(/\.$/u, '');
    if (isTestDomain(domain, patterns)) return 'test-email-domain';
    const local = email[1]!.replace(/\+.*$/u, '');
    if (patterns.names.has(local.replace(/[._]+/gu, ' ')) || BATCH_ID.test(local)) return 'placeholder-email';
    return undefined;
  }
  if (patterns.names.has(v)) return 'placeholder-name';
  if (BATCH_ID.test(v)) return 'batch-id';
  return undefined;
}

export const REASON_TEXT: Record<TextReason | 'future-date', string> = {
  'future-date': 'date beyond the horizon',
  'placeholder-name': 'placeholder name',
  'test-email-domain': 'e-mail at a test domain',
  'placeholder-email': 'placeholder e-mail address',
  'batch-id': 'test batch id',
};
