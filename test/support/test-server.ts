import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { buildApp } from '../../src/server/app.js';
import { loadConfig } from '../../src/server/config.js';
import { ensurePlatformAdmin } from '../../src/platform/tenancy/auth.service.js';
import { packageRoot } from '../../src/platform/paths.js';
import { createTestDatabase, type TestDatabase } from './test-db.js';

export const ADMIN_PASSWORD = 'admin-test-password';

export interface TestServer {
  baseUrl: string;
  app: FastifyInstance;
  database: TestDatabase;
  close(): Promise<void>;
}

/** The real application on a real port over its own fresh database. */
export async function startTestServer(env: Record<string, string> = {}): Promise<TestServer> {
  const database = await createTestDatabase();
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
    MEMBERDESK_CONSOLE_DIR: path.join(packageRoot(), 'console/dist'),
    ...env,
  });
  const logger = pino({ level: config.logLevel });
  await ensurePlatformAdmin(database.db, ADMIN_PASSWORD, logger);
  const app = await buildApp({ config, database, logger });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    app,
    database,
    async close() {
      await app.close();
      await database.drop();
    },
  };
}
