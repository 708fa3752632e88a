/**
 * Boots one disposable PostgreSQL cluster for the whole test run (or uses the server named by
 * PGWARDEN_TEST_DATABASE_URL) and hands its URL to the test files. Each test file then creates
 * its own database (see `database.ts`). The cluster is stopped even when tests fail; a watchdog
 * stops it if the run is killed.
 */
import type { TestProject } from 'vitest/node';
import { type DisposableCluster, startCluster } from '../../src/testing/disposable-cluster.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgServerUrl: string;
  }
}

let cluster: DisposableCluster | undefined;

export async function setup(project: TestProject): Promise<void> {
  const external = process.env.PGWARDEN_TEST_DATABASE_URL;
  if (external) {
    project.provide('pgServerUrl', external);
    return;
  }
  cluster = await startCluster();
  project.provide('pgServerUrl', cluster.url);
}

export async function teardown(): Promise<void> {
  await cluster?.stop();
}
