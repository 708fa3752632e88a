/**
 * A throwaway PostgreSQL cluster for tests and benchmarks: `initdb` in a temporary directory,
 * a free port on 127.0.0.1, the Unix socket inside the temporary directory, a random password,
 * and `pg_ctl stop` + removal at the end. When the current user is root, the server runs as the
 * `postgres` user (PostgreSQL refuses to run as root). A detached watchdog stops the cluster if
 * the owning process dies without cleaning up.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chown, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PgwardenError } from '../errors/pgwarden-error.js';
import { postgresBinDirs } from '../util/pg-bin-dirs.js';
import { run } from '../util/process.js';

export interface DisposableCluster {
  /** postgres://postgres:<password>@127.0.0.1:<port>/postgres */
  url: string;
  host: string;
  port: number;
  user: string;
  password: string;
  dataDir: string;
  socketDir: string;
  binDir: string;
  /** Server log file. */
  logFile: string;
  /** Stops the server (fast shutdown) and deletes every file. Safe to call twice. */
  stop(): Promise<void>;
  /** Stops the server immediately (like a crash); files are kept until `stop()`. */
  kill(): Promise<void>;
  /** Starts the server again after `kill()`. */
  restart(): Promise<void>;
}

export interface StartClusterOptions {
  /** Directory holding initdb/pg_ctl/postgres; default: $PG_BIN, PATH, then the newest /usr/lib/postgresql/<n>/bin. */
  binDir?: string;
  /** Extra server settings (`-c name=value`). */
  settings?: Record<string, string>;
  /**
   * Keep PostgreSQL's crash safety (fsync, synchronous commit). By default they are off for
   * speed, so committed data does not survive `kill()`; tests that crash the server need this.
   */
  durable?: boolean;
}

const FAST_SETTINGS: Record<string, string> = {
  fsync: 'off',
  synchronous_commit: 'off',
  full_page_writes: 'off',
  max_connections: '200',
  shared_buffers: '128MB',
  log_min_messages: 'warning',
};

const DURABLE_SETTINGS: Record<string, string> = {
  max_connections: FAST_SETTINGS.max_connections!,
  shared_buffers: FAST_SETTINGS.shared_buffers!,
  log_min_messages: FAST_SETTINGS.log_min_messages!,
};

export async function startCluster(options: StartClusterOptions = {}): Promise<DisposableCluster> {
  const binDir = options.binDir ?? findServerBinDir();
  const root = await mkdtemp(join(tmpdir(), 'pgwarden-pg-'));
  const dataDir = join(root, 'data');
  const socketDir = root;
  const logFile = join(root, 'server.log');
  const password = randomBytes(18).toString('base64url');
  const owner = await serverOwner();
  const asOwner = owner ? { uid: owner.uid, gid: owner.gid } : {};
  if (owner) await chown(root, owner.uid, owner.gid);

  const pwFile = join(root, 'pwfile');
  await writeFile(pwFile, `${password}\n`, { mode: 0o600 });
  if (owner) await chown(pwFile, owner.uid, owner.gid);

  const initdb = await run(
    join(binDir, 'initdb'),
    [
      '-D',
      dataDir,
      '-U',
      'postgres',
      '--auth-local=trust',
      '--auth-host=scram-sha-256',
      `--pwfile=${pwFile}`,
      '-E',
      'UTF8',
      '--locale=C',
      '--no-sync',
    ],
    { ...asOwner, env: cleanEnv() },
  );
  await rm(pwFile, { force: true });
  if (initdb.code !== 0) {
    await rm(root, { recursive: true, force: true });
    throw new PgwardenError('TOOL_MISSING', `initdb failed: ${initdb.stderr.trim() || initdb.stdout.trim()}`);
  }

  const port = await freePort();
  const settings = { ...(options.durable ? DURABLE_SETTINGS : FAST_SETTINGS), ...options.settings };
  const serverOptions = [
    `-p ${port}`,
    `-k ${socketDir}`,
    '-c listen_addresses=127.0.0.1',
    ...Object.entries(settings).map(([k, v]) => `-c ${k}=${v}`),
  ].join(' ');

  const pgCtl = join(binDir, 'pg_ctl');
  const startServer = async (): Promise<void> => {
    const started = await run(
      pgCtl,
      ['start', '-D', dataDir, '-w', '-t', '60', '-l', logFile, '-o', serverOptions],
      {
        ...asOwner,
        env: cleanEnv(),
      },
    );
    if (started.code !== 0) {
      const log = await readFile(logFile, 'utf8').catch(() => '');
      throw new PgwardenError(
        'TOOL_MISSING',
        `pg_ctl start failed: ${started.stderr.trim()}\n${log.slice(-2000)}`,
      );
    }
  };
  try {
    await startServer();
  } catch (error) {
    await rm(root, { recursive: true, force: true });
    throw error;
  }
  const watchdog = startWatchdog({ pgCtl, dataDir, root, owner });

  let stopped = false;
  const stopServer = async (mode: 'fast' | 'immediate'): Promise<void> => {
    await run(pgCtl, ['stop', '-D', dataDir, '-m', mode, '-w', '-t', '60'], { ...asOwner, env: cleanEnv() });
  };

  return {
    url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
    host: '127.0.0.1',
    port,
    user: 'postgres',
    password,
    dataDir,
    socketDir,
    binDir,
    logFile,
    async stop() {
      if (stopped) return;
      stopped = true;
      await stopServer('fast').catch(() => undefined);
      watchdog.kill();
      await rm(root, { recursive: true, force: true });
    },
    async kill() {
      await stopServer('immediate');
    },
    async restart() {
      await startServer();
    },
  };
}

/** Environment for server programs: no inherited PG* variables that could redirect them. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PG')) env[k] = v;
  env.LC_ALL = 'C';
  return env;
}

export function findServerBinDir(): string {
  for (const dir of postgresBinDirs()) {
    if (existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'))) return dir;
  }
  throw new PgwardenError(
    'TOOL_MISSING',
    'initdb and pg_ctl were not found (PG_BIN, PATH, /usr/lib/postgresql/*/bin)',
    {
      hint: 'Install the PostgreSQL server package (Debian: postgresql-15) or set PGWARDEN_TEST_DATABASE_URL.',
    },
  );
}

async function serverOwner(): Promise<{ uid: number; gid: number } | undefined> {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  const passwd = await readFile('/etc/passwd', 'utf8');
  for (const line of passwd.split('\n')) {
    const [name, , uid, gid] = line.split(':');
    if (name === 'postgres' && uid && gid) return { uid: Number(uid), gid: Number(gid) };
  }
  throw new PgwardenError(
    'TOOL_MISSING',
    'running as root, but there is no `postgres` user to run the server as',
    {
      hint: 'Create one: useradd --system postgres',
    },
  );
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

function startWatchdog(args: {
  pgCtl: string;
  dataDir: string;
  root: string;
  owner: { uid: number; gid: number } | undefined;
}): { kill(): void } {
  const script = fileURLToPath(new URL('./cluster-watchdog.js', import.meta.url));
  const child = spawn(
    process.execPath,
    [
      script,
      String(process.pid),
      args.pgCtl,
      args.dataDir,
      args.root,
      args.owner ? `${args.owner.uid}:${args.owner.gid}` : '',
    ],
    { detached: true, stdio: 'ignore' },
  );
  child.unref();
  return {
    kill() {
      try {
        child.kill('SIGKILL');
      } catch {
        // already gone
      }
    },
  };
}
