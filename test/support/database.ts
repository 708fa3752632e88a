/**
 * One database per test file: created in `beforeAll`, dropped in `afterAll`. Only databases
 * named `pgwarden_test_*` are ever created or dropped, so an existing server is safe to use.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, inject } from 'vitest';

export interface TestDatabase {
  /** URL of this file's database. */
  readonly url: string;
  readonly name: string;
  /** URL of the server's maintenance database (for creating more scratch databases). */
  readonly serverUrl: string;
  /** Runs SQL on this file's database on a fresh connection. */
  query<R extends pg.QueryResultRow = any>(sql: string, params?: unknown[]): Promise<pg.QueryResult<R>>;
  /** A new connected client on this file's database; closed automatically after the file. */
  connect(): Promise<pg.Client>;
}

export function serverUrl(): string {
  return inject('pgServerUrl');
}

export function databaseUrl(server: string, name: string): string {
  const url = new URL(server);
  url.pathname = `/${name}`;
  return url.toString();
}

export function useTestDatabase(): TestDatabase {
  const server = serverUrl();
  const name = `pgwarden_test_${randomBytes(6).toString('hex')}`;
  const url = databaseUrl(server, name);
  const clients: pg.Client[] = [];
  let shared: pg.Client | undefined;

  beforeAll(async () => {
    const admin = new pg.Client({ connectionString: server });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${name}`);
    } finally {
      await admin.end();
    }
  });

  afterAll(async () => {
    for (const client of clients) await client.end().catch(() => undefined);
    const admin = new pg.Client({ connectionString: server });
    await admin.connect();
    try {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    } finally {
      await admin.end();
    }
  });

  const connect = async (): Promise<pg.Client> => {
    const client = new pg.Client({ connectionString: url });
    // a test may disconnect it on purpose (restore --terminate-sessions); the next query then fails
    client.on('error', () => undefined);
    await client.connect();
    clients.push(client);
    return client;
  };

  return {
    url,
    name,
    serverUrl: server,
    async query(sql, params) {
      shared ??= await connect();
      return shared.query(sql, params as any[]);
    },
    connect,
  };
}

/**
 * Databases of their own for a test file (no shared connection stays open on them, so restore and
 * deploy see no other sessions), each created on demand and dropped after the file.
 */
export function useFreshDatabases(): () => Promise<{ name: string; url: string }> {
  const created: string[] = [];
  const admin = async <T>(work: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: serverUrl() });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  };
  afterAll(async () => {
    await admin(async (client) => {
      for (const name of created) await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    });
  });
  return async () => {
    const name = `pgwarden_test_${randomBytes(5).toString('hex')}`;
    await admin((client) => client.query(`CREATE DATABASE ${name}`));
    created.push(name);
    return { name, url: databaseUrl(serverUrl(), name) };
  };
}

/** Runs SQL on a new connection and closes it; the rows of the last statement. */
export async function sqlOn<R extends pg.QueryResultRow = any>(url: string, text: string): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result = (await client.query<R>(text)) as pg.QueryResult<R> | pg.QueryResult<R>[];
    return Array.isArray(result) ? (result.at(-1)?.rows ?? []) : result.rows;
  } finally {
    await client.end();
  }
}
