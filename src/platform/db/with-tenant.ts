import { sql } from 'drizzle-orm';
import type { Db } from './client.js';

export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

/**
 * Runs `fn` in one transaction bound to `tenantId`: row-level security then shows and accepts
 * only that tenant's rows. Repository functions take the `tx` this passes, never `db`, because
 * a query on `db` would run on another pooled connection without the tenant setting.
 */
export async function withTenant<T>(db: Db, tenantId: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
  if (!/^\d+$/.test(tenantId)) throw new Error(`withTenant: invalid tenant id ${JSON.stringify(tenantId)}`);
  return db.transaction(async (tx) => {
    await tx.execute(sql`select set_config('app.tenant_id', ${tenantId}, true)`);
    return fn(tx);
  });
}

/** A transaction over platform tables only (tenants, platform users, sessions); no tenant is set,
 * so every tenant-owned table reads as empty inside it. */
export async function withPlatform<T>(db: Db, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return db.transaction(fn);
}
