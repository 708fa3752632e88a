/**
 * bench/backup: the database the backup bench dumps. Three tables with realistic rows (integers,
 * text, timestamps, numeric, jsonb, some NULLs, some text with tabs and newlines), filled with
 * `INSERT … SELECT generate_series` in chunks until each table holds its share of the target size,
 * so `-t` dumps of the small tables give smaller plain files for the preview's size series.
 */

/** Rows per INSERT (the size is checked between chunks): about 50 chunks for the whole target. */
const chunkRows = (targetBytes) => Math.max(2_000, Math.min(100_000, Math.round(targetBytes / 200 / 50)));

/**
 * Each table's share of the plain dump. Plain dumps of `customers` alone, of
 * `customers` + `orders`, and of everything then come to about 10 %, 35 % and 100 % of the full
 * plain dump.
 */
export const TABLES = [
  { name: 'customers', share: 0.1 },
  { name: 'orders', share: 0.25 },
  { name: 'events', share: 0.65 },
];

const SCHEMA = `
  CREATE TABLE customers (
    id bigint NOT NULL,
    name text NOT NULL,
    email text NOT NULL,
    country text,
    created_at timestamptz NOT NULL,
    profile jsonb NOT NULL
  );
  CREATE TABLE orders (
    id bigint NOT NULL,
    customer_id bigint NOT NULL,
    status text NOT NULL,
    amount numeric(12, 2) NOT NULL,
    created_at timestamptz NOT NULL,
    shipped_at timestamptz,
    items jsonb NOT NULL
  );
  CREATE TABLE events (
    id bigint NOT NULL,
    customer_id bigint,
    kind text NOT NULL,
    at timestamptz NOT NULL,
    payload jsonb NOT NULL,
    note text
  );`;

/** One chunk of rows for ids $1..$2 (bigint). */
const INSERTS = {
  customers: `
    INSERT INTO customers
    SELECT g,
           'Customer ' || g || ' ' || substr(md5(g::text), 1, 8),
           'user' || g || '@example.' || (ARRAY['com', 'org', 'net', 'io'])[1 + g % 4],
           CASE WHEN g % 11 = 0 THEN NULL ELSE (ARRAY['FR', 'DE', 'US', 'JP', 'BR', 'IN', 'NG'])[1 + g % 7] END,
           timestamptz '2019-01-01 00:00:00+00' + g * interval '17 seconds',
           jsonb_build_object(
             'plan', (ARRAY['free', 'pro', 'team', 'enterprise'])[1 + g % 4],
             'newsletter', g % 3 = 0,
             'score', round((g % 1000)::numeric / 7, 3),
             'tags', jsonb_build_array('t' || g % 13, 't' || g % 29),
             'address', jsonb_build_object('street', g % 500 || ' Main Street', 'zip', lpad((g % 99999)::text, 5, '0')))
    FROM generate_series($1::bigint, $2::bigint) AS g`,
  orders: `
    INSERT INTO orders
    SELECT g,
           1 + (g * 7919) % 1000000,
           (ARRAY['new', 'paid', 'shipped', 'delivered', 'cancelled'])[1 + g % 5],
           round(((g * 2654435761) % 100000)::numeric / 100, 2),
           timestamptz '2020-01-01 00:00:00+00' + g * interval '5 seconds',
           CASE WHEN g % 5 IN (2, 3) THEN timestamptz '2020-01-03 00:00:00+00' + g * interval '5 seconds' END,
           jsonb_build_array(
             jsonb_build_object('sku', 'SKU-' || g % 5000, 'qty', 1 + g % 4, 'price', (g % 9000) / 100.0),
             jsonb_build_object('sku', 'SKU-' || (g * 31) % 5000, 'qty', 1 + g % 3, 'price', (g % 7000) / 100.0))
    FROM generate_series($1::bigint, $2::bigint) AS g`,
  events: `
    INSERT INTO events
    SELECT g,
           CASE WHEN g % 17 = 0 THEN NULL ELSE 1 + (g * 104729) % 1000000 END,
           (ARRAY['page_view', 'click', 'login', 'logout', 'purchase', 'search'])[1 + g % 6],
           timestamptz '2021-01-01 00:00:00+00' + g * interval '250 milliseconds',
           jsonb_build_object(
             'path', '/products/' || g % 5000,
             'ip', '10.' || g % 256 || '.' || (g / 256) % 256 || '.' || (g / 65536) % 256,
             'ua', (ARRAY['Mozilla/5.0 (X11; Linux x86_64)', 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0)', 'curl/8.4.0'])[1 + g % 3],
             'ms', g % 997,
             'ref', CASE WHEN g % 4 = 0 THEN NULL ELSE 'https://example.com/' || md5(g::text) END),
           CASE
             WHEN g % 7 = 0 THEN NULL
             WHEN g % 1000 = 1 THEN E'first line\\nsecond line\\twith a tab'
             ELSE 'note ' || md5((g * 3)::text)
           END
    FROM generate_series($1::bigint, $2::bigint) AS g`,
};

/**
 * Creates the tables in the connected database and fills them until both `pg_database_size` and
 * the estimated size of a plain dump reach `targetBytes` (a plain dump is smaller than the
 * database: tuple headers, binary jsonb and the indexes have no text counterpart), each table
 * holding its share of the plain dump. Then the primary keys, VACUUM ANALYZE (hint bits set now,
 * not by the first dump) and CHECKPOINT. Resolves to `{ ms, bytes, plainBytes, rows }`.
 */
export async function generate(client, targetBytes, log = () => undefined) {
  const start = performance.now();
  await client.query(SCHEMA);
  const chunk = chunkRows(targetBytes);
  const next = Object.fromEntries(TABLES.map((t) => [t.name, 1]));
  const lineBytes = {};
  const insertChunk = async (name) => {
    await client.query(INSERTS[name], [next[name], next[name] + chunk - 1]);
    next[name] += chunk;
  };
  const plainBytes = (name) => (next[name] - 1) * lineBytes[name];
  const totalPlainBytes = () => TABLES.reduce((sum, t) => sum + plainBytes(t.name), 0);
  for (const { name, share } of TABLES) {
    await insertChunk(name);
    lineBytes[name] = await copyLineBytes(client, name);
    while (plainBytes(name) < share * targetBytes) await insertChunk(name);
    log(`  ${name}: ${(next[name] - 1).toLocaleString('en-US')} rows`);
  }
  for (const { name } of TABLES) await client.query(`ALTER TABLE ${name} ADD PRIMARY KEY (id)`);
  // top up the largest table until both sizes are reached
  const last = TABLES[TABLES.length - 1].name;
  while ((await databaseBytes(client)) < targetBytes || totalPlainBytes() < targetBytes)
    await insertChunk(last);
  await client.query('VACUUM ANALYZE');
  await client.query('CHECKPOINT');
  const rows = {};
  for (const { name } of TABLES) {
    const result = await client.query(`SELECT count(*)::bigint AS n FROM ${name}`);
    rows[`public.${name}`] = Number(result.rows[0].n);
  }
  return {
    ms: performance.now() - start,
    bytes: await databaseBytes(client),
    plainBytes: totalPlainBytes(),
    rows,
  };
}

/**
 * The mean length of a table's rows as COPY text lines (each column's text form, `\N` for NULL,
 * a tab or newline after each), over its first rows.
 */
async function copyLineBytes(client, name) {
  const columns = await client.query(
    `SELECT column_name FROM information_schema.columns
     WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position`,
    [name],
  );
  const sum = columns.rows
    .map((c) => `coalesce(octet_length(${client.escapeIdentifier(c.column_name)}::text), 2) + 1`)
    .join(' + ');
  const result = await client.query(
    `SELECT avg(${sum})::float8 AS n FROM (SELECT * FROM ${client.escapeIdentifier(name)} LIMIT 5000) AS t`,
  );
  return Number(result.rows[0].n);
}

async function databaseBytes(client) {
  const result = await client.query('SELECT pg_database_size(current_database())::bigint AS n');
  return Number(result.rows[0].n);
}
