/** The migration formats pgwarden reads and writes, by id. */
import type { FormatId, MigrationFormat } from '../types.js';
import { dbmateFormat } from './dbmate.js';
import { dieselFormat } from './diesel.js';
import { flywayFormat } from './flyway.js';
import { golangMigrateFormat } from './golang-migrate.js';
import { nodePgMigrateFormat } from './node-pg-migrate.js';
import { plainFormat } from './plain.js';
import { prismaFormat } from './prisma.js';
import { sqlMigrateFormat } from './sql-migrate.js';
import { supabaseFormat } from './supabase.js';

export const FORMATS: Record<FormatId, MigrationFormat> = {
  plain: plainFormat,
  prisma: prismaFormat,
  dbmate: dbmateFormat,
  'golang-migrate': golangMigrateFormat,
  flyway: flywayFormat,
  supabase: supabaseFormat,
  'node-pg-migrate': nodePgMigrateFormat,
  'sql-migrate': sqlMigrateFormat,
  diesel: dieselFormat,
};
