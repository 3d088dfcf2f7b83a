import { and, asc, desc, eq, gt, lt, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { withPlatform, withTenant, type Tx } from '../db/with-tenant.js';
import type { Principal } from '../http/auth.js';
import { decodeCursor, encodeCursor, type Page } from '../http/pagination.js';
import { badRequest, conflict, notFound } from '../http/problem.js';
import { audit } from './audit.js';
import { hashPassword } from './credentials.js';
import { BUILTIN_ROLES } from './permissions.rules.js';
import { operators, orgNodes, platformAuditLog, roles, smsCreditLedger, tenants } from './schema.js';
import { extensionClash, isValidCurrency, isValidTimezone, smsPort } from './tenant.rules.js';

export interface TenantView {
  id: string;
  slug: string;
  name: string;
  smsExtension: string;
  smsPort: string;
  timezone: string;
  currency: string;
  smsPriceFen: number;
  creditFen: number;
  status: string;
  createdAt: string;
}

export interface CreateTenantInput {
  slug: string;
  name: string;
  smsExtension: string;
  timezone?: string;
  currency?: string;
  smsPriceFen?: number;
  admin: { username: string; password: string; name?: string };
}

type TenantRow = typeof tenants.$inferSelect;

export function tenantView(row: TenantRow, serviceNumber: string): TenantView {
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    smsExtension: row.smsExtension,
    smsPort: smsPort(serviceNumber, row.smsExtension),
    timezone: row.timezone,
    currency: row.currency,
    smsPriceFen: row.smsPriceFen,
    creditFen: row.creditFen,
    status: row.status,
    createdAt: row.createdAt.toISOString(),
  };
}

async function platformAudit(tx: Tx, actor: Principal, action: string, target: string, detail: Record<string, unknown>, ip: string) {
  await tx.insert(platformAuditLog).values({ actorId: actor.id, actorName: actor.name, action, target, detail, ip });
}

export async function createTenant(db: Db, input: CreateTenantInput, actor: Principal, ip: string, serviceNumber: string): Promise<TenantView> {
  const timezone = input.timezone ?? 'Asia/Shanghai';
  const currency = input.currency ?? 'CNY';
  const errors = [];
  if (!isValidTimezone(timezone)) errors.push({ path: 'body.timezone', message: `unknown IANA time zone "${timezone}"` });
  if (!isValidCurrency(currency)) errors.push({ path: 'body.currency', message: `unknown ISO 4217 currency "${currency}"` });
  if (errors.length) throw badRequest(errors.map((e) => e.message).join('; '), errors);

  const passwordHash = await hashPassword(input.admin.password);
  const tenant = await withPlatform(db, async (tx) => {
    // Serialise tenant creation: the prefix rule on extensions spans rows, so a unique index
    // alone cannot enforce it.
    await tx.execute(sql`select pg_advisory_xact_lock(7240003)`);
    if ((await tx.select({ id: tenants.id }).from(tenants).where(eq(tenants.slug, input.slug))).length > 0) {
      throw conflict(`A merchant with slug "${input.slug}" already exists`, 'duplicate_slug', [{ path: 'body.slug', message: 'is taken' }]);
    }
    const existing = await tx.select({ ext: tenants.smsExtension }).from(tenants);
    const clash = extensionClash(input.smsExtension, existing.map((e) => e.ext));
    if (clash !== null) {
      throw conflict(
        `SMS extension ${input.smsExtension} clashes with existing extension ${clash}: ports may not prefix each other`,
        'extension_clash',
        [{ path: 'body.smsExtension', message: `clashes with extension ${clash}` }],
      );
    }
    const [row] = await tx
      .insert(tenants)
      .values({
        slug: input.slug,
        name: input.name,
        smsExtension: input.smsExtension,
        timezone,
        currency,
        smsPriceFen: input.smsPriceFen ?? 5,
        creditFen: 0,
        status: 'active',
      })
      .returning();
    await platformAudit(tx, actor, 'tenant.create', input.slug, { smsExtension: input.smsExtension }, ip);
    return row!;
  });

  await withTenant(db, tenant.id, async (tx) => {
    const [hq] = await tx
      .insert(orgNodes)
      .values({ tenantId: tenant.id, kind: 'headquarters', name: `${input.name} 总部`, path: '' })
      .returning();
    const roleRows = await tx
      .insert(roles)
      .values(BUILTIN_ROLES.map((r) => ({ tenantId: tenant.id, code: r.code, name: r.name, permissions: [...r.permissions], builtin: true })))
      .returning();
    const owner = roleRows.find((r) => r.code === 'owner')!;
    const [op] = await tx
      .insert(operators)
      .values({
        tenantId: tenant.id,
        username: input.admin.username.toLowerCase(),
        name: input.admin.name ?? input.admin.username,
        passwordHash,
        roleId: owner.id,
        orgNodeId: hq!.id,
        status: 'active',
      })
      .returning({ id: operators.id });
    await audit(
      tx,
      { tenantId: tenant.id, type: 'platform', id: actor.id, name: actor.name, ip },
      'tenant.create',
      { type: 'operator', id: op!.id },
      { admin: input.admin.username },
    );
  });
  return tenantView(tenant, serviceNumber);
}

export async function listTenants(db: Db, q: { limit: number; cursor?: string }, serviceNumber: string): Promise<Page<TenantView>> {
  const after = decodeCursor(q.cursor);
  const rows = await db
    .select()
    .from(tenants)
    .where(after ? gt(tenants.id, after) : undefined)
    .orderBy(asc(tenants.id))
    .limit(q.limit + 1);
  const items = rows.slice(0, q.limit).map((r) => tenantView(r, serviceNumber));
  return { items, nextCursor: rows.length > q.limit ? encodeCursor(items[items.length - 1]!.id) : null };
}

export async function getTenantBySlug(db: Db, slug: string, serviceNumber: string): Promise<TenantView> {
  const row = (await db.select().from(tenants).where(eq(tenants.slug, slug)))[0];
  if (!row) throw notFound('Merchant');
  return tenantView(row, serviceNumber);
}

export async function getTenantById(db: Db, tenantId: string, serviceNumber: string): Promise<TenantView> {
  const row = (await db.select().from(tenants).where(eq(tenants.id, tenantId)))[0];
  if (!row) throw notFound('Merchant');
  return tenantView(row, serviceNumber);
}

export async function updateTenant(
  db: Db,
  slug: string,
  patch: { name?: string; timezone?: string; currency?: string; smsPriceFen?: number; status?: 'active' | 'suspended' },
  actor: Principal,
  ip: string,
  serviceNumber: string,
): Promise<TenantView> {
  if (patch.timezone !== undefined && !isValidTimezone(patch.timezone)) {
    throw badRequest(`unknown IANA time zone "${patch.timezone}"`, [{ path: 'body.timezone', message: 'unknown time zone' }]);
  }
  if (patch.currency !== undefined && !isValidCurrency(patch.currency)) {
    throw badRequest(`unknown currency "${patch.currency}"`, [{ path: 'body.currency', message: 'unknown currency' }]);
  }
  return withPlatform(db, async (tx) => {
    const [row] = await tx.update(tenants).set(patch).where(eq(tenants.slug, slug)).returning();
    if (!row) throw notFound('Merchant');
    await platformAudit(tx, actor, 'tenant.update', slug, patch, ip);
    return tenantView(row, serviceNumber);
  });
}

/** Prepaid SMS credit top-up by the platform operator (adds to the balance). */
export async function addSmsCredit(db: Db, slug: string, amountFen: number, actor: Principal, ip: string): Promise<{ creditFen: number }> {
  return withPlatform(db, async (tx) => {
    const [row] = await tx
      .update(tenants)
      .set({ creditFen: sql`${tenants.creditFen} + ${amountFen}` })
      .where(eq(tenants.slug, slug))
      .returning({ id: tenants.id, creditFen: tenants.creditFen });
    if (!row) throw notFound('Merchant');
    await platformAudit(tx, actor, 'tenant.sms_credit', slug, { amountFen, creditFen: row.creditFen }, ip);
    await tx.execute(sql`select set_config('app.tenant_id', ${row.id}, true)`);
    await tx.insert(smsCreditLedger).values({
      tenantId: row.id,
      deltaFen: amountFen,
      balanceAfterFen: row.creditFen,
      reason: 'top_up',
      refType: 'platform_user',
      refId: actor.id,
    });
    await audit(tx, { tenantId: row.id, type: 'platform', id: actor.id, name: actor.name, ip }, 'sms.credit_top_up', null, {
      amountFen,
      creditFen: row.creditFen,
    });
    return { creditFen: row.creditFen };
  });
}

export async function listPlatformAudit(db: Db, q: { action?: string; limit: number; cursor?: string }) {
  const before = decodeCursor(q.cursor);
  const rows = await db
    .select()
    .from(platformAuditLog)
    .where(and(q.action ? eq(platformAuditLog.action, q.action) : undefined, before ? lt(platformAuditLog.id, before) : undefined))
    .orderBy(desc(platformAuditLog.id))
    .limit(q.limit + 1);
  const items = rows.slice(0, q.limit).map((r) => ({
    id: r.id,
    actorName: r.actorName,
    action: r.action,
    target: r.target,
    detail: r.detail,
    ip: r.ip,
    createdAt: r.createdAt.toISOString(),
  }));
  return { items, nextCursor: rows.length > q.limit ? encodeCursor(items[items.length - 1]!.id) : null };
}
