import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import pino from 'pino';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from '../../src/platform/db/embedded.js';
import { migrate } from '../../src/platform/db/migrate.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A migrated database that test files clone (CREATE DATABASE … TEMPLATE). */
    templateUrl: string;
  }
}

/**
 * One PostgreSQL for the whole run: the server in DATABASE_URL (its database becomes the
 * template), or an embedded cluster in a temporary folder.
 */
export default async function setup(project: TestProject) {
  const log = pino({ level: process.env.LOG_LEVEL ?? 'warn' });
  let embedded: EmbeddedPostgresHandle | null = null;
  let dataDir: string | null = null;
  let templateUrl = process.env.DATABASE_URL ?? '';
  if (!templateUrl) {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'memberdesk-test-'));
    embedded = await startEmbeddedPostgres({ dataDir, port: null, database: 'memberdesk_template', log, throwaway: true });
    templateUrl = embedded.url;
  }
  await migrate(templateUrl, log);
  project.provide('templateUrl', templateUrl);

  return async () => {
    const url = new URL(templateUrl);
    const template = url.pathname.slice(1);
    url.pathname = '/postgres';
    const admin = new pg.Client({ connectionString: url.toString() });
    await admin.connect().catch(() => undefined);
    try {
      const { rows } = await admin.query<{ datname: string }>(`select datname from pg_database where datname like $1`, [`${template}_t%`]);
      for (const r of rows) await admin.query(`drop database if exists "${r.datname}" with (force)`);
    } catch {
      /* the cluster is going away anyway */
    } finally {
      await admin.end().catch(() => undefined);
    }
    await embedded?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  };
}
