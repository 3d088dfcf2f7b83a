import { randomBytes } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Db } from '../db/client.js';
import { withPlatform, withTenant } from '../db/with-tenant.js';
import { tooManyRequests, unauthorized } from '../http/problem.js';
import { audit } from './audit.js';
import { dummyPasswordHash, hashPassword, newToken, randomPassword, tokenHash, verifyPassword } from './credentials.js';
import { authSessions, loginFailures, operators, platformUsers, tenants } from './schema.js';

export const LOGIN_MAX_FAILURES = 10;
export const LOGIN_WINDOW_MINUTES = 15;
export const LOGIN_LOCK_MINUTES = 15;

/** First start with an empty database: create `admin`, with the configured password or a
 * random one that is printed once. */
export async function ensurePlatformAdmin(db: Db, password: string | null, log: Logger): Promise<void> {
  await withPlatform(db, async (tx) => {
    // Two processes starting at once must not both create it.
    await tx.execute(sql`select pg_advisory_xact_lock(7240002)`);
    const existing = await tx.select({ id: platformUsers.id }).from(platformUsers).limit(1);
    if (existing.length > 0) return;
    const chosen = password ?? randomPassword();
    await tx.insert(platformUsers).values({ username: 'admin', passwordHash: await hashPassword(chosen) });
    if (password) log.info('created the platform administrator "admin" with MEMBERDESK_ADMIN_PASSWORD');
    else log.warn(`created the platform administrator "admin" with password: ${chosen}  (shown once; change it or set MEMBERDESK_ADMIN_PASSWORD)`);
  });
}

export interface LoginResult {
  token: string;
  csrfToken: string;
  expiresAt: string;
  user: { id: string; username: string; name: string; kind: 'platform' | 'operator'; tenant: string | null };
}

/** Throttling state lives in the database so it holds across server processes. */
async function assertNotLocked(db: Db, scope: string, username: string) {
  const rows = await db
    .select({ lockedUntil: loginFailures.lockedUntil })
    .from(loginFailures)
    .where(and(eq(loginFailures.scope, scope), eq(loginFailures.username, username)));
  const lockedUntil = rows[0]?.lockedUntil;
  if (lockedUntil && lockedUntil > new Date()) {
    const seconds = Math.max(1, Math.ceil((lockedUntil.getTime() - Date.now()) / 1000));
    throw tooManyRequests(`Too many failed logins; try again after ${lockedUntil.toISOString()}`, seconds);
  }
}

async function recordFailure(db: Db, scope: string, username: string) {
  await db.execute(sql`
    insert into login_failures (scope, username, window_start, failures)
    values (${scope}, ${username}, now(), 1)
    on conflict (scope, username) do update set
      failures = case when login_failures.window_start < now() - make_interval(mins => ${LOGIN_WINDOW_MINUTES})
                      then 1 else login_failures.failures + 1 end,
      window_start = case when login_failures.window_start < now() - make_interval(mins => ${LOGIN_WINDOW_MINUTES})
                      then now() else login_failures.window_start end,
      locked_until = case when login_failures.window_start >= now() - make_interval(mins => ${LOGIN_WINDOW_MINUTES})
                           and login_failures.failures + 1 >= ${LOGIN_MAX_FAILURES}
                      then now() + make_interval(mins => ${LOGIN_LOCK_MINUTES}) else login_failures.locked_until end`);
}

async function clearFailures(db: Db, scope: string, username: string) {
  await db.delete(loginFailures).where(and(eq(loginFailures.scope, scope), eq(loginFailures.username, username)));
}

async function createSession(
  db: Db,
  principal: 'platform' | 'operator',
  tenantId: string | null,
  userId: string,
  ttlHours: number,
): Promise<{ token: string; csrfToken: string; expiresAt: Date }> {
  const token = newToken('mds');
  const csrfToken = randomBytes(24).toString('base64url');
  const expiresAt = new Date(Date.now() + ttlHours * 3600_000);
  await db.insert(authSessions).values({ tokenHash: tokenHash(token), csrfToken, principal, tenantId, userId, expiresAt });
  return { token, csrfToken, expiresAt };
}

export async function login(
  db: Db,
  input: { username: string; password: string; tenant?: string },
  opts: { ttlHours: number; ip: string },
): Promise<LoginResult> {
  const scope = input.tenant ? `tenant:${input.tenant.toLowerCase()}` : 'platform';
  const username = input.username.toLowerCase();
  await assertNotLocked(db, scope, username);

  if (!input.tenant) {
    const user = (await db.select().from(platformUsers).where(eq(platformUsers.username, username)))[0];
    const ok = await verifyPassword(input.password, user?.passwordHash ?? (await dummyPasswordHash()));
    if (!user || !ok) {
      await recordFailure(db, scope, username);
      throw unauthorized('Wrong username or password');
    }
    await clearFailures(db, scope, username);
    const s = await createSession(db, 'platform', null, user.id, opts.ttlHours);
    return {
      token: s.token,
      csrfToken: s.csrfToken,
      expiresAt: s.expiresAt.toISOString(),
      user: { id: user.id, username: user.username, name: user.username, kind: 'platform', tenant: null },
    };
  }

  const tenant = (await db.select().from(tenants).where(eq(tenants.slug, input.tenant.toLowerCase())))[0];
  const operator = tenant
    ? await withTenant(db, tenant.id, async (tx) => (await tx.select().from(operators).where(and(eq(operators.tenantId, tenant.id), eq(operators.username, username))))[0])
    : undefined;
  const ok = await verifyPassword(input.password, operator?.passwordHash ?? (await dummyPasswordHash()));
  if (!tenant || !operator || !ok || operator.status !== 'active' || tenant.status !== 'active') {
    await recordFailure(db, scope, username);
    throw unauthorized('Wrong merchant, username or password');
  }
  await clearFailures(db, scope, username);
  const s = await createSession(db, 'operator', tenant.id, operator.id, opts.ttlHours);
  await withTenant(db, tenant.id, (tx) =>
    audit(tx, { tenantId: tenant.id, type: 'operator', id: operator.id, name: operator.name, ip: opts.ip }, 'auth.login', { type: 'operator', id: operator.id }),
  );
  return {
    token: s.token,
    csrfToken: s.csrfToken,
    expiresAt: s.expiresAt.toISOString(),
    user: { id: operator.id, username: operator.username, name: operator.name, kind: 'operator', tenant: tenant.slug },
  };
}

export async function logout(db: Db, sessionHash: Buffer): Promise<void> {
  await db.update(authSessions).set({ revokedAt: new Date() }).where(eq(authSessions.tokenHash, sessionHash));
}

/** The scheduled clean-up: expired or revoked sessions and stale throttling rows. */
export async function purgeExpiredSessions(db: Db): Promise<{ sessions: number; failures: number }> {
  const s = await db.execute(sql`delete from auth_sessions where expires_at < now() or revoked_at < now() - interval '1 day'`);
  const f = await db.execute(
    sql`delete from login_failures where window_start < now() - make_interval(mins => ${LOGIN_WINDOW_MINUTES}) and (locked_until is null or locked_until < now())`,
  );
  return { sessions: s.rowCount ?? 0, failures: f.rowCount ?? 0 };
}
