import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { buildApp, type AppDeps } from '../../src/server/app.js';
import { loadConfig } from '../../src/server/config.js';
import { ensurePlatformAdmin } from '../../src/platform/tenancy/auth.service.js';
import { packageRoot } from '../../src/platform/paths.js';
import { createTestDatabase, type TestDatabase } from './test-db.js';
import { ADMIN_PASSWORD } from './test-server.js';
import { client, createTenant, loginAdmin, type Client } from './http.js';

export interface SmsApp {
  baseUrl: string;
  app: FastifyInstance;
  close(): Promise<void>;
}

/** The real app over `database`, with an SMS gateway / dispatcher settings of the test's choosing. */
export async function startApp(database: TestDatabase, opts: Pick<AppDeps, 'smsGateway' | 'smsDispatcher'> = {}, env: Record<string, string> = {}): Promise<SmsApp> {
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
    MEMBERDESK_CONSOLE_DIR: path.join(packageRoot(), 'console/dist'),
    ...env,
  });
  const logger = pino({ level: config.logLevel });
  await ensurePlatformAdmin(database.db, ADMIN_PASSWORD, logger);
  const app = await buildApp({ config, database, logger, ...opts });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { baseUrl: `http://127.0.0.1:${port}`, app, close: () => app.close() };
}

export async function startSmsServer(opts: Pick<AppDeps, 'smsGateway' | 'smsDispatcher'> = {}) {
  const database = await createTestDatabase();
  const srv = await startApp(database, opts);
  return {
    ...srv,
    database,
    async close() {
      await srv.close();
      await database.drop();
    },
  };
}

/** Polls until `check` returns a truthy value (processing after a 202 is asynchronous). */
export async function eventually<T>(check: () => Promise<T | null | undefined | false>, what = 'condition', timeoutMs = 10_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export interface SmsTenant {
  id: string;
  slug: string;
  port: string;
  api: Client;
}

export async function smsTenant(baseUrl: string, slug: string, ext: string, creditFen = 10_000): Promise<SmsTenant> {
  const token = await loginAdmin(baseUrl);
  const admin = client(baseUrl, token);
  const t = await createTenant(baseUrl, token, slug, ext);
  if (creditFen > 0) {
    const r = await admin.post(`/api/v1/platform/tenants/${slug}/sms-credit`, { amountFen: creditFen });
    if (r.status !== 200) throw new Error(`credit: ${r.status} ${JSON.stringify(r.body)}`);
  }
  return { id: t.tenant.id, slug, port: t.tenant.smsPort, api: t.api };
}
