/**
 * The `test-data` check and `findTestData` on real databases: each pattern found (future dates,
 * placeholder names, test e-mail domains, placeholder e-mails, batch ids) with counts and masked
 * examples; production-like data not flagged; config (ignore, names, emailDomains, futureDays,
 * level) and its bad values; migration history, pgwarden and extension tables left alone; a
 * partitioned table read as one; a locked table skipped; and a 1M-row table read through a
 * sample (its block counters show only a small part of it was read). The patterns and the
 * masking are also tested on their own, near misses included.
 */
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import {
  findTestData,
  type TestDataFinding,
  type TestDataOptions,
  testDataCheck,
} from '../../src/doctor/checks/test-data.js';
import { CHECK_STATEMENT_TIMEOUT_MS, doctor } from '../../src/doctor/doctor.js';
import { maskValue } from '../../src/doctor/test-data/masking.js';
import { buildPatterns, classifyText } from '../../src/doctor/test-data/patterns.js';
import { planSample } from '../../src/doctor/test-data/sampling.js';
import type { DoctorContext } from '../../src/doctor/types.js';
import { migrate } from '../../src/migrate/migrate.js';
import { sqlOn, useFreshDatabases } from '../support/database.js';
import { tempDir } from '../support/files.js';

const freshDatabase = useFreshDatabases();
const NOW = new Date('2026-06-01T12:00:00Z');
const clients: pg.Client[] = [];
afterAll(async () => {
  for (const c of clients) await c.end().catch(() => undefined);
});

/** A fresh database with `setup` run in it, and a client set up like the doctor's session. */
async function database(setup: string): Promise<{ url: string; client: pg.Client }> {
  const db = await freshDatabase();
  await sqlOn(db.url, setup);
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  clients.push(client);
  await client.query(
    `SET statement_timeout = ${CHECK_STATEMENT_TIMEOUT_MS}; SET default_transaction_read_only = on;
     SET TimeZone = 'UTC'`,
  );
  return { url: db.url, client };
}

function context(client: pg.Client, testData: Record<string, unknown> = {}): DoctorContext {
  return {
    cwd: tempDir(),
    env: {},
    config: { doctor: { testData } },
    databaseUrl: undefined,
    client,
    serverMajor: 15,
    backupDir: '/nonexistent',
    migrations: {},
    now: NOW,
  };
}

/**
 * Heap blocks of `table` read so far (pg_statio) and its pages. The client's own counters are
 * flushed first: pg_stat_force_next_flush makes the session flush them as it goes idle, before
 * the next query arrives.
 */
async function heapBlocks(client: pg.Client, table: string): Promise<{ read: number; pages: number }> {
  await client.query('SELECT pg_stat_force_next_flush()');
  const { rows } = await client.query(
    `SELECT (coalesce(s.heap_blks_read, 0) + coalesce(s.heap_blks_hit, 0))::int AS read, c.relpages AS pages
       FROM pg_statio_user_tables s JOIN pg_class c ON c.oid = s.relid WHERE s.relname = $1`,
    [table],
  );
  return rows[0];
}

async function find(client: pg.Client, options: TestDataOptions = {}) {
  return findTestData(client, { now: NOW, ...options });
}

function finding(findings: TestDataFinding[], column: string): TestDataFinding {
  const found = findings.filter((f) => `${f.table}.${f.column}` === column);
  if (found.length !== 1)
    throw new Error(`${found.length} findings for ${column}: ${JSON.stringify(findings, null, 1)}`);
  return found[0]!;
}

const CUSTOMERS = `
  CREATE EXTENSION citext;
  CREATE TABLE customers (
    id serial PRIMARY KEY, name text, email varchar(200), nick citext, batch char(16),
    born date, renews_at timestamptz, seen timestamp);
  INSERT INTO customers (name, email, nick, batch, born, renews_at, seen) VALUES
    ('Anna Schmidt', 'anna.schmidt@gmail.com', 'annie', 'B-2026-0001', '1990-04-01', '2026-09-01', '2026-05-30'),
    ('김민준', 'minjun.kim@naver.com', 'mj', 'B-2026-0002', '1985-12-24', '2027-01-15', '2026-05-31'),
    ('  John   DOE ', 'jdoe@example.com', 'Testosterone', 'TEST_batch', '1979-01-01', '2099-01-01 00:00+00', '2026-05-01'),
    ('홍길동', 'JANE@Mail.Example.ORG', 'dummy', 'test-123', '1980-02-02', '2026-07-01', '2031-03-03 10:00'),
    ('Max Mustermann', 'test+1@gmail.com', 'qwerty', 'tmp-7f3a', '1981-03-03', '2026-08-01', '2026-05-29'),
    ('Lee Test', 'someone@shop.test', 'bob', 'A-1', '1982-04-04', '2026-08-02', '2026-05-28'),
    ('Testa Rossa', 'mailbox@mailinator.com', 'jo', 'A-2', '1983-05-05', '2026-08-03', '2026-05-27'),
    ('Sam', 'john.doe@company.de', 'sam', 'A-3', '1984-06-06', '2026-08-04', '2026-05-26');`;

describe('test-data: patterns', () => {
  const patterns = buildPatterns();

  it.each([
    ['test', 'placeholder-name'],
    ['  John   DOE ', 'placeholder-name'],
    ['홍길동', 'placeholder-name'],
    ['テスト', 'placeholder-name'],
    ['max mustermann', 'placeholder-name'],
    ['lorem ipsum', 'placeholder-name'],
    ['j@example.com', 'test-email-domain'],
    ['a@mail.example.net', 'test-email-domain'],
    ['x@shop.test', 'test-email-domain'],
    ['x@foo.invalid', 'test-email-domain'],
    ['root@localhost', 'test-email-domain'],
    ['u@mailinator.com', 'test-email-domain'],
    ['test@gmail.com', 'placeholder-email'],
    ['test+42@gmail.com', 'placeholder-email'],
    ['john.doe@company.de', 'placeholder-email'],
    ['test-123', 'batch-id'],
    ['TEST_batch', 'batch-id'],
    ['tmp-7f3a', 'batch-id'],
    ['test123', 'batch-id'],
    ['testing-2024', 'batch-id'],
    ['dummy_user', 'batch-id'],
    ['fake-order-9', 'batch-id'],
  ])('%j is %s', (value, reason) => {
    expect(classifyText(value, patterns)).toBe(reason);
  });

  it.each([
    'Testosterone',
    'Testosterone 250',
    'test-driven',
    'Test-Driven Development',
    'Test Kitchen',
    'contest-1',
    'Fake fur coat',
    'fake-fur',
    'temp-sensor-01',
    'tmp',
    'Anna Schmidt',
    'Jonathan Doerr',
    'this is a test',
    'anna.schmidt@gmail.com',
    'testa@gmail.com',
    'ops@example.company.com',
    'B-2026-0001',
    '',
  ])('%j is not test data', (value) => {
    expect(classifyText(value, patterns)).toBeUndefined();
  });

  it('configured names and e-mail domains are added (domains with their subdomains)', () => {
    const extended = buildPatterns(['ACME  Demo'], ['*.acme-test.com']);
    expect(classifyText('acme demo', extended)).toBe('placeholder-name');
    expect(classifyText('a@qa.acme-test.com', extended)).toBe('test-email-domain');
    expect(classifyText('a@acme-test.com', extended)).toBe('test-email-domain');
    expect(classifyText('a@acme-test.com', patterns)).toBeUndefined();
  });

  it('masking keeps the first character and the domain, with a mask of fixed length', () => {
    expect(maskValue('jdoe@example.com')).toBe('j***@example.com');
    expect(maskValue('  John   DOE ')).toBe('J***');
    expect(maskValue('홍길동')).toBe('홍***');
    expect(maskValue('a')).toBe('a***');
    expect(maskValue('')).toBe('***');
  });

  it('small or never analyzed tables are read with LIMIT, big ones with TABLESAMPLE for twice the sample', () => {
    expect(planSample(null, 1000)).toEqual({ method: 'limit', estimatedRows: null });
    expect(planSample(2000, 1000)).toEqual({ method: 'limit', estimatedRows: 2000 });
    expect(planSample(10_000_000, 1000)).toEqual({
      method: 'tablesample',
      percent: 0.02,
      estimatedRows: 10_000_000,
    });
  });
});

describe('test-data: findings on a real database', () => {
  it('finds each pattern per column with counts, masked examples and dates as they are', async () => {
    const { client } = await database(CUSTOMERS);
    const report = await find(client);
    expect(report.sampled).toEqual([
      { table: 'public.customers', rows: 8, plan: { method: 'limit', estimatedRows: null } },
    ]);
    expect(report.findings.map((f) => `${f.column} ${f.reason} ${f.matched}`).sort()).toEqual([
      'batch batch-id 3',
      'email placeholder-email 2',
      'email test-email-domain 4',
      'name placeholder-name 3',
      'nick placeholder-name 2',
      'renews_at future-date 1',
      'seen future-date 1',
    ]);
    const emails = report.findings.find((f) => f.column === 'email' && f.reason === 'test-email-domain')!;
    expect(emails).toMatchObject({ table: 'public.customers', sampled: 8 });
    expect(emails.examples).toEqual(['j***@example.com', 'J***@Mail.Example.ORG', 's***@shop.test']);
    expect(finding(report.findings, 'public.customers.name').examples).toEqual(['J***', '홍***', 'M***']);
    expect(finding(report.findings, 'public.customers.batch').examples).toEqual(['T***', 't***', 't***']);
    expect(finding(report.findings, 'public.customers.renews_at').examples).toEqual([
      '2099-01-01 00:00:00+00',
    ]);
    expect(finding(report.findings, 'public.customers.seen').examples).toEqual(['2031-03-03 10:00:00']);
    // the horizon is now + 365 days: 2027-01-15 is within it
    expect(report.horizon.toISOString()).toBe('2027-06-01T12:00:00.000Z');
  });

  it('the check fails by default, naming table, column, why, counts and masked examples', async () => {
    const { client } = await database(CUSTOMERS);
    const outcome = await testDataCheck.run(context(client));
    expect(outcome.status).toBe('fail');
    expect(outcome.summary).toBe(
      'test data in 6 column(s) (8 sampled row(s) of 1 table(s)): public.customers.name, public.customers.email, public.customers.nick, public.customers.batch, public.customers.renews_at, … and 1 more',
    );
    expect(outcome.evidence).toContain(
      'public.customers.email: e-mail at a test domain in 4 of 8 sampled rows, e.g. j***@example.com, J***@Mail.Example.ORG, s***@shop.test',
    );
    expect(outcome.evidence.join('\n')).toContain(
      'public.customers.seen: date beyond the horizon (after 2027-06-01) in 1 of 8 sampled rows, e.g. 2031-03-03 10:00:00',
    );
    expect(outcome.evidence.join('\n')).not.toMatch(/jdoe|John|Mustermann|test-123/);
    expect(outcome.fix).toContain('doctor.testData.ignore');
  });

  it('production-like data passes: real names, gmail.com, dates within the horizon, no-end markers', async () => {
    const { client } = await database(`
      CREATE TABLE people (id serial, name text, email text, sku varchar(20), valid_to date, since timestamptz);
      INSERT INTO people (name, email, sku, valid_to, since) VALUES
        ('Anna Schmidt', 'anna.schmidt@gmail.com', 'TS-1001', '9999-12-31', '2026-05-01'),
        ('김민준', 'minjun@naver.com', 'Testosterone', 'infinity', '2027-05-01'),
        ('Jonathan Doerr', 'j.doerr@outlook.com', 'test-driven', '2026-12-31', '2020-01-01'),
        ('Lena Test', 'lena@test-kitchen.de', 'Fake fur coat', NULL, NULL);`);
    const outcome = await testDataCheck.run(context(client));
    expect(outcome).toEqual({
      status: 'pass',
      summary: 'no test data in 4 sampled row(s) of 1 table(s)',
      evidence: [],
    });
  });

  it('runs inside the doctor (read-only session, statement_timeout) and the level comes from the config', async () => {
    const { url } = await database(CUSTOMERS);
    const run = (testData: Record<string, unknown>) =>
      doctor({
        cwd: tempDir(),
        env: {},
        config: { doctor: { testData } },
        databaseUrl: url,
        now: NOW,
        checks: [testDataCheck],
      });
    const failing = (await run({})).checks[0]!;
    expect(failing).toMatchObject({ id: 'test-data', status: 'fail', level: 'fail' });
    expect((await run({ level: 'warn' })).checks[0]).toMatchObject({ status: 'warn' });
    expect((await run({ level: 'off' })).checks[0]).toMatchObject({
      status: 'skip',
      summary: 'turned off (doctor.testData.level)',
    });
    // nothing was written: the table is as it was
    const rows = await sqlOn(url, 'SELECT count(*)::int AS n FROM customers');
    expect(rows[0].n).toBe(8);
  });
});

describe('test-data: configuration', () => {
  it('ignore silences a table or a column; an entry that matches nothing is reported', async () => {
    const { client } = await database(`
      ${CUSTOMERS}
      CREATE TABLE fixtures (label text);
      INSERT INTO fixtures VALUES ('dummy');`);
    const report = await find(client, {
      ignore: ['public.fixtures', 'public.customers.email', 'PUBLIC.Customers.Batch', 'public.custmers'],
    });
    expect(report.sampled.map((t) => t.table)).toEqual(['public.customers']);
    expect([...new Set(report.findings.map((f) => f.column))].sort()).toEqual([
      'name',
      'nick',
      'renews_at',
      'seen',
    ]);
    expect(report.unusedIgnores).toEqual(['public.custmers']);
    const outcome = await testDataCheck.run(
      context(client, { ignore: ['public.customers', 'public.fixtures', 'public.custmers'] }),
    );
    expect(outcome).toEqual({
      status: 'pass',
      summary: 'no test data in 0 sampled row(s) of 0 table(s)',
      evidence: ['doctor.testData.ignore "public.custmers" matches no table or column'],
    });
  });

  it('names, emailDomains and futureDays extend the defaults', async () => {
    const { client } = await database(`
      CREATE TABLE accounts (company text, email text, starts date);
      INSERT INTO accounts VALUES ('ACME Demo', 'ops@qa.acme-test.com', '2026-12-01'),
                                  ('ACME Corp', 'ops@acme.com', '2026-06-02');`);
    expect((await find(client)).findings).toEqual([]);
    const report = await find(client, {
      names: ['acme demo'],
      emailDomains: ['acme-test.com'],
      futureDays: 100,
    });
    expect(report.findings.map((f) => `${f.column} ${f.reason} ${f.examples.join(' ')}`)).toEqual([
      'company placeholder-name A***',
      'email test-email-domain o***@qa.acme-test.com',
      'starts future-date 2026-12-01',
    ]);
  });

  it.each([
    [
      { ignore: ['users'] },
      'doctor.testData.ignore: "users" is neither "schema.table" nor "schema.table.column"',
    ],
    [
      { ignore: ['a.b.c.d'] },
      'doctor.testData.ignore: "a.b.c.d" is neither "schema.table" nor "schema.table.column"',
    ],
    [{ ignore: ['public..email'] }, 'doctor.testData.ignore: "public..email" is neither'],
    [{ emailDomains: ['not a domain'] }, 'doctor.testData.emailDomains: "not a domain" is not a domain'],
    [{ names: ['  '] }, 'doctor.testData.names: an empty name would match every empty value'],
    [{ sampleRows: 0 }, 'doctor.testData.sampleRows: 0 is not a whole number of at least 1'],
    [{ futureDays: 1.5 }, 'doctor.testData.futureDays: 1.5 is not a whole number of at least 1'],
  ])('bad option %j: a CONFIG_INVALID error that says what is wrong', async (options, message) => {
    const { client } = await database('CREATE TABLE t (a text);');
    const error = await find(client, options as TestDataOptions).catch((e) => e);
    expect(error).toMatchObject({ name: 'PgwardenError', code: 'CONFIG_INVALID' });
    expect(error.message).toContain(message);
    expect(error.hint).toBeTruthy();
  });
});

describe('test-data: what is read', () => {
  it('leaves migration history, schema pgwarden and extension tables alone, not user tables of the same name', async () => {
    const { url, client } = await database(`
      CREATE SCHEMA pgwarden;
      CREATE TABLE pgwarden.notes (note text);
      INSERT INTO pgwarden.notes VALUES ('test');
      CREATE TABLE extension_owned (label text);
      INSERT INTO extension_owned VALUES ('dummy');
      ALTER EXTENSION plpgsql ADD TABLE extension_owned;
      CREATE SCHEMA app;
      CREATE TABLE app.schema_migrations (id serial, label text);
      INSERT INTO app.schema_migrations (label) VALUES ('foo');`);
    // a real Flyway history: V1__test.sql is recorded with description 'test'
    const dir = tempDir({ 'migrations/V1__test.sql': 'CREATE TABLE t (a int);\n' });
    await migrate({ databaseUrl: url, cwd: dir, format: 'flyway', allowUncommitted: true });
    const history = await sqlOn(url, 'SELECT description FROM flyway_schema_history');
    expect(history).toEqual([{ description: 'test' }]);

    const report = await find(client, { migrations: { format: 'flyway' } });
    expect(report.historyTables).toEqual(['public.flyway_schema_history']);
    expect(report.sampled.map((t) => t.table)).toEqual(['app.schema_migrations']);
    expect(report.findings.map((f) => `${f.table}.${f.column}`)).toEqual(['app.schema_migrations.label']);
    // with the format detected (migrations.format unset) the history table is found all the same
    expect((await find(client)).historyTables).toEqual(['public.flyway_schema_history']);
    const outcome = await testDataCheck.run(context(client));
    expect(outcome.evidence).toContain('not read (migration history): public.flyway_schema_history');
  });

  it('reads a partitioned table as one (its partitions are not listed on their own)', async () => {
    const { client } = await database(`
      CREATE TABLE events (id int, who text) PARTITION BY RANGE (id);
      CREATE TABLE events_1 PARTITION OF events FOR VALUES FROM (0) TO (100);
      CREATE TABLE events_2 PARTITION OF events FOR VALUES FROM (100) TO (200);
      INSERT INTO events SELECT g, 'user ' || g FROM generate_series(0, 199) g;
      UPDATE events SET who = 'Jane Doe' WHERE id IN (5, 150);
      ANALYZE events;`);
    const report = await find(client);
    expect(report.sampled).toEqual([
      { table: 'public.events', rows: 200, plan: { method: 'limit', estimatedRows: 200 } },
    ]);
    expect(finding(report.findings, 'public.events.who')).toMatchObject({ matched: 2, sampled: 200 });
  });

  it('a table locked by another session is skipped and reported; the others are still read', async () => {
    const { url, client } = await database(`
      CREATE TABLE busy (who text); INSERT INTO busy VALUES ('test');
      CREATE TABLE calm (who text); INSERT INTO calm VALUES ('Anna');`);
    const locker = new pg.Client({ connectionString: url });
    await locker.connect();
    clients.push(locker);
    await locker.query('BEGIN; LOCK TABLE busy IN ACCESS EXCLUSIVE MODE');
    try {
      const outcome = await testDataCheck.run(context(client));
      expect(outcome.status).toBe('warn');
      expect(outcome.summary).toBe(
        'no test data in 1 sampled row(s) of 1 table(s), but 1 table(s) were not (fully) read',
      );
      expect(outcome.evidence).toEqual(['public.busy: locked by another session (lock_timeout); not read']);
      // the check left no transaction open on the doctor's connection
      expect((await client.query('SELECT now() = statement_timestamp() AS fresh')).rows[0].fresh).toBe(true);
    } finally {
      await locker.query('ROLLBACK');
    }
  });

  it('columns this role may not read are reported, the readable ones are still read', async () => {
    const role = `pgwarden_test_reader_${process.pid}`;
    const { url } = await database(`
      CREATE TABLE staff (name text, email text); INSERT INTO staff VALUES ('test', 'a@example.com');
      CREATE ROLE ${role} LOGIN PASSWORD 'reader';
      GRANT SELECT (name) ON staff TO ${role};`);
    const reader = new URL(url);
    reader.username = role;
    reader.password = 'reader';
    const client = new pg.Client({ connectionString: reader.toString() });
    await client.connect();
    try {
      const report = await find(client);
      expect(report.skipped).toEqual([
        { table: 'public.staff', reason: 'no SELECT privilege on column(s) email; not read' },
      ]);
      expect(report.findings.map((f) => `${f.column} ${f.reason}`)).toEqual(['name placeholder-name']);
    } finally {
      await client.end();
      await sqlOn(url, `DROP OWNED BY ${role}; DROP ROLE ${role}`);
    }
  });

  it('a 1M-row table is read through TABLESAMPLE: its block counters grow by a small part of its pages', async () => {
    const { url, client } = await database(`
      CREATE TABLE big (id bigint, email text, joined date) WITH (autovacuum_enabled = off);
      INSERT INTO big SELECT g, 'user' || g || '@gmail.com', DATE '2020-01-01' + (g % 2000)
        FROM generate_series(1, 1000000) g;`);
    await sqlOn(url, 'VACUUM ANALYZE big');
    // its counters are flushed before the result comes back (the session goes idle first)
    await sqlOn(url, 'SELECT pg_stat_force_next_flush()');
    const before = await heapBlocks(client, 'big');
    expect(before.pages).toBeGreaterThan(5000);
    const report = await find(client);
    const after = await heapBlocks(client, 'big');
    const sampled = report.sampled[0]!;
    expect(sampled.table).toBe('public.big');
    expect(sampled.plan.method).toBe('tablesample');
    expect(sampled.plan.estimatedRows).toBeGreaterThan(900_000);
    expect(sampled.rows).toBeGreaterThan(0);
    expect(sampled.rows).toBeLessThanOrEqual(1000);
    expect(report.findings).toEqual([]);
    // the sample read a few dozen pages (TABLESAMPLE picks pages, not rows): far from the whole table
    // (the counters did move: the measurement sees the sample's reads)
    expect(after.read).toBeGreaterThan(before.read);
    expect(after.read - before.read).toBeLessThan(before.pages / 20);
  });

  it("a big table never analyzed is sampled too, on the planner's guess of its rows", async () => {
    const { url, client } = await database(`
      CREATE TABLE fresh (id bigint, email text) WITH (autovacuum_enabled = off);
      INSERT INTO fresh SELECT g, 'user' || g || '@gmail.com' FROM generate_series(1, 200000) g;`);
    await sqlOn(url, 'SELECT pg_stat_force_next_flush()');
    const stats = await client.query(`SELECT relpages, reltuples FROM pg_class WHERE relname = 'fresh'`);
    expect(stats.rows[0]).toEqual({ relpages: 0, reltuples: -1 });
    const before = await heapBlocks(client, 'fresh');
    const report = await find(client);
    const after = await heapBlocks(client, 'fresh');
    const pages = Number((await client.query(`SELECT pg_relation_size('fresh') / 8192 AS p`)).rows[0].p);
    const plan = report.sampled[0]!.plan;
    expect(plan.method).toBe('tablesample');
    expect(plan.estimatedRows).toBeGreaterThan(100_000);
    expect(plan.estimatedRows).toBeLessThan(400_000);
    expect(report.sampled[0]!.rows).toBeGreaterThan(0);
    expect(after.read).toBeGreaterThan(before.read);
    expect(after.read - before.read).toBeLessThan(pages / 10);
  });
});
