/**
 * bench/zero-downtime: the unsafe migrations measured (issue 11 point 6), each on the same `users`
 * table (schema.mjs) under the same app (app.mjs):
 *
 * - `add-column`: the incident, `ADD COLUMN email_verified boolean NOT NULL DEFAULT (random() > 2)`
 *   — a volatile default, so PostgreSQL rewrites the table under ACCESS EXCLUSIVE;
 * - `type-change`: `ALTER COLUMN name TYPE varchar(200)` — text to varchar(n) converts every
 *   value, a rewrite under ACCESS EXCLUSIVE; `fix`'s contract step (the swap) runs in a second
 *   `pgwarden migrate` within the measured window, the app writing `name` throughout;
 * - `rename`: `RENAME COLUMN name TO display_name` — instant, but the app version still running
 *   writes `name`: the naive ways break it (its failed queries are the outage); `fix` keeps
 *   `name` until the contract step, which belongs to the next deploy and is not run here.
 *
 * Each case: its file and SQL, the plain two statements its backfill is compared with (the new
 * column added bare, then one UPDATE of the whole table), whether `fix`'s contract step runs in
 * the measured window, and how to read and judge the end state.
 */

const columnSql = `SELECT a.attnotnull AS not_null, format_type(a.atttypid, a.atttypmod) AS type,
       pg_get_expr(d.adbin, d.adrelid) AS "default"
  FROM pg_attribute a
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
 WHERE a.attrelid = 'users'::regclass AND a.attname = $1 AND NOT a.attisdropped`;

/** A column of users as a way left it, and what else is on the table (checks, triggers, columns). */
async function readColumn(client, column) {
  const found = await client.query(columnSql, [column]);
  const extra = await client.query(
    `SELECT (SELECT array_agg(conname ORDER BY conname) FROM pg_constraint WHERE conrelid = 'users'::regclass AND contype = 'c') AS checks,
            (SELECT array_agg(tgname ORDER BY tgname) FROM pg_trigger WHERE tgrelid = 'users'::regclass AND NOT tgisinternal) AS triggers,
            (SELECT array_agg(attname::text ORDER BY attname) FROM pg_attribute WHERE attrelid = 'users'::regclass AND attnum > 0 AND NOT attisdropped) AS columns`,
  );
  const row = found.rows[0];
  return {
    exists: found.rows.length === 1,
    notNull: row?.not_null ?? false,
    type: row?.type,
    default: row?.default ?? undefined,
    checks: extra.rows[0].checks ?? [],
    triggers: extra.rows[0].triggers ?? [],
    columns: extra.rows[0].columns ?? [],
  };
}

/** Where `state` differs from `reference` (the naive way's) in `keys`, as problem lines. */
function differences(state, reference, keys) {
  return keys
    .filter((key) => JSON.stringify(state[key]) !== JSON.stringify(reference[key]))
    .map((key) => `${key} is ${JSON.stringify(state[key])}, naive left ${JSON.stringify(reference[key])}`);
}

const ADD_COLUMN = {
  name: 'add-column',
  file: '001_add_email_verified.sql',
  sql: 'ALTER TABLE users ADD COLUMN email_verified boolean NOT NULL DEFAULT (random() > 2);\n',
  addBare: 'ALTER TABLE users ADD COLUMN email_verified boolean',
  update: 'UPDATE users SET email_verified = (random() > 2)',
  runContract: false,
  async readEndState(client) {
    const state = await readColumn(client, 'email_verified');
    if (state.exists) {
      const values = await client.query(
        `SELECT count(*) FILTER (WHERE email_verified IS NULL)::int AS nulls,
                array_agg(DISTINCT email_verified::text) FILTER (WHERE email_verified IS NOT NULL) AS distinct
           FROM users`,
      );
      state.nulls = values.rows[0].nulls;
      state.distinct = (values.rows[0].distinct ?? []).sort();
    }
    return state;
  },
  endStateProblems(state) {
    if (!state.exists) return ['column users.email_verified missing'];
    const problems = [];
    if (!state.notNull) problems.push('users.email_verified is nullable');
    if (state.default === undefined) problems.push('users.email_verified has no default');
    if (state.nulls !== 0) problems.push(`${state.nulls} row(s) with email_verified NULL`);
    if (state.checks.length) problems.push(`check constraint(s) left behind: ${state.checks.join(', ')}`);
    return problems;
  },
  endStateDifferences: (state, reference) =>
    differences(state, reference, ['exists', 'notNull', 'type', 'default', 'nulls', 'distinct', 'checks']),
};

const TYPE_CHANGE = {
  name: 'type-change',
  file: '001_name_varchar.sql',
  sql: 'ALTER TABLE users ALTER COLUMN name TYPE varchar(200);\n',
  addBare: 'ALTER TABLE users ADD COLUMN name_new varchar(200)',
  update: 'UPDATE users SET name_new = name',
  runContract: true,
  async readEndState(client) {
    const state = await readColumn(client, 'name');
    if (state.exists) {
      const values = await client.query(
        'SELECT count(*) FILTER (WHERE name IS NULL)::int AS nulls, count(*)::int AS rows FROM users',
      );
      state.nulls = values.rows[0].nulls;
    }
    return state;
  },
  endStateProblems(state) {
    if (!state.exists) return ['column users.name missing'];
    const problems = [];
    if (state.type !== 'character varying(200)') problems.push(`users.name is ${state.type}`);
    if (!state.notNull) problems.push('users.name is nullable');
    if (state.nulls !== 0) problems.push(`${state.nulls} row(s) with name NULL`);
    if (state.triggers.length) problems.push(`trigger(s) left behind: ${state.triggers.join(', ')}`);
    if (state.checks.length) problems.push(`check constraint(s) left behind: ${state.checks.join(', ')}`);
    return problems;
  },
  endStateDifferences: (state, reference) =>
    differences(state, reference, [
      'exists',
      'notNull',
      'type',
      'default',
      'nulls',
      'checks',
      'triggers',
      'columns',
    ]),
};

const RENAME = {
  name: 'rename',
  file: '001_rename_name.sql',
  sql: 'ALTER TABLE users RENAME COLUMN name TO display_name;\n',
  addBare: 'ALTER TABLE users ADD COLUMN display_name text',
  update: 'UPDATE users SET display_name = name',
  runContract: false,
  /** The app writes `name`: the naive ways break it; that is the outage measured. */
  appBreaksNaively: true,
  /** renaming-column is a warning (a rename is instant): the lint gate lets it through. */
  gateRefuses: false,
  async readEndState(client) {
    const state = await readColumn(client, 'display_name');
    state.oldKept = state.columns.includes('name');
    if (state.exists) {
      const values = await client.query(
        `SELECT count(*) FILTER (WHERE display_name IS NULL)::int AS nulls${
          state.oldKept
            ? ', count(*) FILTER (WHERE display_name IS DISTINCT FROM name)::int AS out_of_sync'
            : ''
        } FROM users`,
      );
      state.nulls = values.rows[0].nulls;
      state.outOfSync = values.rows[0].out_of_sync ?? 0;
    }
    return state;
  },
  endStateProblems(state) {
    if (!state.exists) return ['column users.display_name missing'];
    const problems = [];
    if (!state.notNull) problems.push('users.display_name is nullable');
    if (state.nulls !== 0) problems.push(`${state.nulls} row(s) with display_name NULL`);
    if (state.outOfSync) problems.push(`${state.outOfSync} row(s) where display_name differs from name`);
    if (state.checks.length) problems.push(`check constraint(s) left behind: ${state.checks.join(', ')}`);
    return problems;
  },
  // fix keeps the old column (and its sync trigger) until the contract step of the next deploy
  endStateDifferences: (state, reference) =>
    differences(state, reference, ['exists', 'notNull', 'type', 'default', 'nulls', 'checks']),
};

export const CASES = [ADD_COLUMN, TYPE_CHANGE, RENAME];
