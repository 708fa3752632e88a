/**
 * Every doctor check, in the order they run (and are printed). The connection comes first: the
 * checks that need the database are skipped when it fails. Add a check with one line.
 */
import { backupAgeCheck } from './checks/backup-age.js';
import { backupDirCheck } from './checks/backup-dir.js';
import { backupFilesCheck } from './checks/backup-files.js';
import { connectionCheck } from './checks/connection.js';
import { deployWindowCheck } from './checks/deploy-window.js';
import { envExampleCheck } from './checks/env-example.js';
import { invalidIndexesCheck } from './checks/invalid-indexes.js';
import { lockfileCheck } from './checks/lockfile.js';
import { longTransactionsCheck } from './checks/long-transactions.js';
import { migrationsCheck } from './checks/migrations.js';
import { migrationsGitCheck } from './checks/migrations-git.js';
import { pendingLintCheck } from './checks/pending-lint.js';
import { pgDumpCheck } from './checks/pg-dump.js';
import { runtimePinsCheck } from './checks/runtime-pins.js';
import { testDataCheck } from './checks/test-data.js';
import { worktreeCheck } from './checks/worktree.js';
import type { DoctorCheck } from './types.js';

export const DOCTOR_CHECKS: DoctorCheck[] = [
  connectionCheck,
  migrationsCheck,
  pendingLintCheck,
  migrationsGitCheck,
  worktreeCheck,
  pgDumpCheck,
  backupDirCheck,
  backupAgeCheck,
  backupFilesCheck,
  longTransactionsCheck,
  invalidIndexesCheck,
  testDataCheck,
  runtimePinsCheck,
  lockfileCheck,
  envExampleCheck,
  deployWindowCheck,
];
