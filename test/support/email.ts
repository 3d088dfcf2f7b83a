import type { AppDeps } from '../../src/server/app.js';
import type { TestDatabase } from './test-db.js';
import { createTenant, loginAdmin, type Client } from './http.js';
import { startApp, type SmsApp } from './sms.js';

/** Dispatcher settings for tests: quick polling and retries. */
export const QUICK_EMAIL: NonNullable<AppDeps['emailDispatcher']> = { pollMs: 50, retryDelay: () => 150, heartbeatMs: 500 };

/** The real app over `database` with the deployment SMTP server at `smtpPort` (if given). */
export async function startEmailApp(
  database: TestDatabase,
  opts: { smtpPort?: number; emailDispatcher?: AppDeps['emailDispatcher']; tenantPrivate?: boolean } = {},
): Promise<SmsApp> {
  // the tests' SMTP servers are on loopback: let merchants' own servers be there too
  const env: Record<string, string> = { MEMBERDESK_SMTP_TENANT_PRIVATE: opts.tenantPrivate === false ? 'off' : 'on' };
  if (opts.smtpPort) {
    Object.assign(env, { MEMBERDESK_SMTP_HOST: '127.0.0.1', MEMBERDESK_SMTP_PORT: String(opts.smtpPort), MEMBERDESK_EMAIL_FROM: 'noreply@memberdesk.test' });
  }
  return startApp(database, { emailDispatcher: { ...QUICK_EMAIL, ...opts.emailDispatcher } } as never, env);
}

export interface EmailTenant {
  id: string;
  slug: string;
  api: Client;
  member(email: string | null, name?: string, extra?: Record<string, unknown>): Promise<string>;
}

let phoneSeq = 0;

export async function emailTenant(baseUrl: string, slug: string, ext: string): Promise<EmailTenant> {
  const token = await loginAdmin(baseUrl);
  const t = await createTenant(baseUrl, token, slug, ext);
  return {
    id: t.tenant.id,
    slug,
    api: t.api,
    async member(email, name = '张伟', extra = {}) {
      phoneSeq++;
      const phone = `1390${String(process.pid % 1000).padStart(3, '0')}${String(phoneSeq).padStart(4, '0')}`;
      const r = await t.api.post('/api/v1/members', { phone, name, ...(email ? { email } : {}), ...extra });
      if (r.status !== 201) throw new Error(`member: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body.id as string;
    },
  };
}
