/** The work behind `backup …`, `restore` and `hash-password`: settings, calls, rendering. */
import { createInterface } from 'node:readline/promises';
import { Writable } from 'node:stream';
import { loadConfig } from '../../config/load.js';
import type { Config } from '../../config/schema.js';
import { Problems, retentionDays, wholeNumber } from '../../config/settings.js';
import { EXIT } from '../../errors/codes.js';
import { PgwardenError } from '../../errors/pgwarden-error.js';
import { formatBytes } from '../../lint/describe.js';
import { parseDuration } from '../../util/duration.js';
import type { CliIo, GlobalOptions } from '../io.js';
import {
  renderBackupList,
  renderCreateEvent,
  renderPreview,
  renderPrune,
  renderRestoreEvent,
  renderVerifyCheck,
  shortPath,
} from './backup-render.js';

export interface BackupCliOptions {
  backupDir?: string;
  format?: string;
  jobs?: string;
  compress?: string;
  globals?: boolean;
  verify?: boolean;
  lockWaitTimeout?: string;
  restoreTest?: boolean;
  retentionDays?: string;
  keep?: string;
  dryRun?: boolean;
  preview?: boolean;
  confirm?: string;
  countdown?: string;
  terminateSessions?: boolean;
  allowOtherDatabase?: boolean;
}

type Name = 'create' | 'list' | 'verify' | 'prune' | 'restore' | 'hash-password';

export async function runBackupCommand(
  name: Name,
  positional: string[],
  options: GlobalOptions & BackupCliOptions,
  io: CliIo,
): Promise<number> {
  if (name === 'hash-password') return hashPasswordCommand(io);
  const { config } = await loadConfig({ cwd: io.cwd, file: options.config });
  const { resolveBackupDir } = await import('../../backup/store.js');
  const dir = resolveBackupDir({
    cwd: io.cwd,
    option: options.backupDir,
    env: io.env,
    configured: config.backup?.dir,
  });
  const databaseUrl = options.databaseUrl ?? io.env.DATABASE_URL;
  const out = (text: string) => io.stdout.write(`${text}\n`);
  const progress = (text: string) => {
    if (!options.quiet) io.stderr.write(`${text}\n`);
  };
  const live = io.stderr.isTTY === true && !options.quiet;
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    switch (name) {
      case 'create': {
        const { createBackup } = await import('../../backup/create.js');
        const format = options.format ?? config.backup?.format ?? 'custom';
        if (format !== 'custom' && format !== 'directory') {
          throw new PgwardenError('USAGE', `--format must be custom or directory, not "${format}"`);
        }
        const jobs =
          options.jobs === undefined ? config.backup?.jobs : wholeNumber(options.jobs, '--jobs', 1);
        const lockWait =
          options.lockWaitTimeout !== undefined
            ? parseDuration(options.lockWaitTimeout, '--lock-wait-timeout')
            : config.backup?.lockWaitTimeout;
        const result = await createBackup({
          databaseUrl,
          dir,
          format,
          ...(jobs !== undefined ? { jobs } : {}),
          compression: options.compress ?? config.backup?.compression,
          globals: options.globals ?? config.backup?.globals ?? false,
          verify: options.verify !== false,
          ...(lockWait !== undefined ? { lockWaitTimeoutMs: lockWait } : {}),
          cwd: io.cwd,
          onEvent: (event) => renderCreateEvent(event, { progress, live, stderr: io.stderr, cwd: io.cwd }),
          signal: controller.signal,
        });
        const m = result.manifest;
        if (options.json) out(JSON.stringify({ backup: { ...m, path: result.path } }, null, 2));
        else {
          out(
            `Backup ${m.id}: ${shortPath(result.path, io.cwd)} (${formatBytes(m.size)}, ${m.tables.length} tables, ${m.verification?.ok ? 'verified' : 'NOT verified'})`,
          );
        }
        return EXIT.ok;
      }
      case 'list': {
        const { listBackups } = await import('../../backup/list.js');
        const list = await listBackups({ dir, databaseUrl });
        out(options.json ? JSON.stringify(list, null, 2) : renderBackupList(list, io.cwd));
        return EXIT.ok;
      }
      case 'verify': {
        const { verifyBackup } = await import('../../backup/verify.js');
        const result = await verifyBackup({
          dir,
          id: positional[0],
          restoreTest: options.restoreTest === true,
          databaseUrl,
          signal: controller.signal,
          ...(options.json ? {} : { onCheck: (check) => out(renderVerifyCheck(check)) }),
        });
        if (options.json) out(JSON.stringify(result, null, 2));
        else out(result.ok ? `Backup ${result.id} verified.` : `Backup ${result.id} does NOT verify.`);
        return result.ok ? EXIT.ok : EXIT.failure;
      }
      case 'prune': {
        const { pruneBackups } = await import('../../backup/prune.js');
        const problems = new Problems();
        const days = retentionDays(options.retentionDays, io.env, config, problems);
        problems.throwIfAny('invalid settings');
        const keep =
          options.keep !== undefined ? wholeNumber(options.keep, '--keep', 1) : config.backup?.keep;
        const result = await pruneBackups({
          dir,
          retentionDays: days,
          keep,
          dryRun: options.dryRun === true,
        });
        out(options.json ? JSON.stringify(result, null, 2) : renderPrune(result, options.verbose === true));
        return EXIT.ok;
      }
      case 'restore':
        return await restoreCommand(
          positional[0]!,
          dir,
          databaseUrl,
          options,
          io,
          config,
          controller.signal,
          {
            out,
            progress,
          },
        );
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

async function restoreCommand(
  ref: string,
  dir: string,
  databaseUrl: string | undefined,
  options: GlobalOptions & BackupCliOptions,
  io: CliIo,
  config: Config,
  signal: AbortSignal,
  print: { out: (text: string) => void; progress: (text: string) => void },
): Promise<number> {
  const common = {
    ref,
    cwd: io.cwd,
    backupDir: dir,
    databaseUrl,
    allowOtherDatabase: options.allowOtherDatabase === true,
    signal,
  };
  if (options.preview) {
    const { restorePreview, refusal } = await import('../../backup/restore.js');
    const preview = await restorePreview(common);
    if (options.json) print.out(JSON.stringify({ preview }, null, 2));
    else print.out(renderPreview(preview, io.cwd));
    // the exit code `restore` would end with: the class of the first reason it would refuse
    return refusal(preview)?.exitCode ?? EXIT.ok;
  }
  const { restore } = await import('../../backup/restore.js');
  const countdown =
    options.countdown !== undefined
      ? wholeNumber(options.countdown, '--countdown', 0)
      : config.restore?.countdown;
  const passwordHash = config.restore?.passwordHash;
  const result = await restore({
    ...common,
    passwordHash,
    ...(countdown !== undefined ? { countdownSeconds: countdown } : {}),
    terminateSessions: options.terminateSessions === true,
    confirm: async (preview) => {
      const interactive = io.stdin?.isTTY === true && io.stderr.isTTY === true;
      const database =
        options.confirm ??
        (interactive
          ? await ask(io, `Type the name of the database to replace (${preview.target.database}): `)
          : undefined);
      let password = io.env.PGWARDEN_ADMIN_PASSWORD;
      if (
        passwordHash !== undefined &&
        password === undefined &&
        interactive &&
        database === preview.target.database
      ) {
        password = await ask(io, 'Admin password: ', true);
      }
      return { database, password };
    },
    onEvent: (event) => {
      if (event.type === 'preview') {
        if (!options.json) io.stderr.write(`${renderPreview(event.preview, io.cwd)}\n`);
        return;
      }
      renderRestoreEvent(event, {
        progress: print.progress,
        live: io.stderr.isTTY === true && !options.quiet,
        stderr: io.stderr,
        cwd: io.cwd,
      });
    },
  });
  if (options.json) print.out(JSON.stringify({ restore: result }, null, 2));
  else {
    print.out(
      `Restored ${result.database} from ${result.source.id ?? result.source.path}: ${result.tables} tables, ${result.rows} rows, checked. Safety backup of the previous state: ${result.safetyBackup.id}.`,
    );
  }
  return EXIT.ok;
}

async function hashPasswordCommand(io: CliIo): Promise<number> {
  const { hashPassword } = await import('../../backup/password.js');
  let password: string;
  if (io.stdin?.isTTY) {
    password = await ask(io, 'Password: ', true);
    const again = await ask(io, 'Again: ', true);
    if (again !== password) throw new PgwardenError('CONFIRMATION_MISMATCH', 'the two passwords differ');
  } else {
    password = (await readAll(io.stdin)).split(/\r?\n/)[0] ?? '';
  }
  io.stdout.write(`${hashPassword(password)}\n`);
  return EXIT.ok;
}

async function readAll(stream: NodeJS.ReadableStream | undefined): Promise<string> {
  if (!stream) return '';
  let text = '';
  for await (const chunk of stream) text += String(chunk);
  return text;
}

/** Asks on the terminal; `hidden` echoes nothing (passwords). */
async function ask(io: CliIo, question: string, hidden = false): Promise<string> {
  io.stderr.write(question);
  const output = new Writable({
    write: (chunk, _encoding, done) => {
      if (!hidden) io.stderr.write(chunk);
      done();
    },
  });
  const rl = createInterface({ input: io.stdin!, output, terminal: true });
  try {
    const answer = await rl.question('');
    if (hidden) io.stderr.write('\n');
    return answer.trim();
  } finally {
    rl.close();
  }
}
