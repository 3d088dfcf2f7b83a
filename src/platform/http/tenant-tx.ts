import type { FastifyRequest } from 'fastify';
import type { Db } from '../db/client.js';
import { withTenant, type Tx } from '../db/with-tenant.js';
import { tenantActor, type TenantActor } from './auth.js';

/** What nearly every tenant route does: take the caller's tenant (failing closed without one)
 * and run one service call in a transaction bound to it. */
export function inTenant<T>(db: Db, request: FastifyRequest, fn: (tx: Tx, actor: TenantActor) => Promise<T>): Promise<T> {
  const actor = tenantActor(request);
  return withTenant(db, actor.tenantId, (tx) => fn(tx, actor));
}
