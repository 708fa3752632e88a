/**
 * The schema copy of `trace --scratch`: `pg_dump --schema-only --no-owner --no-privileges | psql -X
 * -v ON_ERROR_STOP=1 -q` from the live database into a scratch database. The programs get argument
 * arrays and the password only through PGPASSWORD (libpqTarget), never in argv; their messages are
 * scrubbed of it.
 */
import { spawn } from 'node:child_process';
import type { ClientTools } from '../db/client-tools.js';
import { scrub } from '../db/connect.js';
import { libpqTarget } from '../db/libpq.js';
import { PgwardenError } from '../errors/pgwarden-error.js';

interface Collected {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/**
 * Copies the live schema into the scratch database: pg_dump's output is piped straight into
 * psql. Aborting `signal` kills both programs.
 */
export async function loadSchema(
  tools: ClientTools,
  liveUrl: string,
  scratchUrl: string,
  signal?: AbortSignal,
): Promise<void> {
  const source = libpqTarget(liveUrl);
  const target = libpqTarget(scratchUrl);

  const dump = spawn(
    tools.pgDump,
    ['--schema-only', '--no-owner', '--no-privileges', '--no-password', ...source.args],
    {
      env: source.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(signal ? { signal } : {}),
    },
  );
  const load = spawn(tools.psql, ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '--no-password', ...target.args], {
    env: target.env,
    stdio: ['pipe', 'ignore', 'pipe'],
    ...(signal ? { signal } : {}),
  });
  load.stdin.on('error', () => undefined); // psql gave up early; its exit status says why
  dump.stdout.pipe(load.stdin);
  const [dumped, loaded] = await Promise.all([collect(dump, tools.pgDump), collect(load, tools.psql)]);
  if (signal?.aborted) throw new PgwardenError('INTERRUPTED', 'interrupted while copying the schema');
  const problem = (label: string, r: Collected) =>
    `${label} ${r.signal ? `was killed by ${r.signal}` : `exited with ${r.code}`}: ${lastLines(scrub(r.stderr, liveUrl))}`;
  if (dumped.code !== 0) {
    throw new PgwardenError('DB_QUERY', `copying the live schema failed: ${problem('pg_dump', dumped)}`, {
      hint: 'pg_dump needs to read every object of the database; check the role’s privileges.',
    });
  }
  if (loaded.code !== 0) {
    throw new PgwardenError(
      'DB_QUERY',
      `loading the live schema into the scratch database failed: ${problem('psql', loaded)}`,
      {
        hint: 'Objects that need a superuser (some extensions, event triggers) cannot be recreated by this role; trace without --scratch instead.',
      },
    );
  }
}

function collect(child: ReturnType<typeof spawn>, program: string): Promise<Collected> {
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      if (error.name === 'AbortError') return; // 'close' follows with the signal
      if (error.code === 'ENOENT') {
        reject(
          new PgwardenError('TOOL_MISSING', `${program} was not found`, {
            hint: 'Install the PostgreSQL client programs or point PG_BIN at their directory.',
          }),
        );
      } else reject(error);
    });
    child.on('close', (code, signal) => resolve({ code, signal, stderr }));
  });
}

function lastLines(text: string): string {
  const lines = text.trim().split('\n').filter(Boolean);
  return lines.slice(-6).join(' | ') || '(no message)';
}
