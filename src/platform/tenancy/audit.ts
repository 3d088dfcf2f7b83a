import { and, desc, eq, lt } from 'drizzle-orm';
import type { Tx } from '../db/with-tenant.js';
import { auditLog } from './schema.js';
import { decodeCursor, encodeCursor, type Page } from '../http/pagination.js';

/** Records a sensitive action inside the caller's transaction, so the entry exists exactly when
 * the action does. */
export async function audit(
  tx: Tx,
  actor: { tenantId: string; type: 'platform' | 'operator' | 'api_key' | 'system'; id: string | null; name: string; ip?: string | null },
  action: string,
  target: { type: string; id: string } | null,
  detail: Record<string, unknown> = {},
): Promise<void> {
  await tx.insert(auditLog).values({
    tenantId: actor.tenantId,
    actorType: actor.type,
    actorId: actor.id,
    actorName: actor.name,
    action,
    targetType: target?.type ?? null,
    targetId: target?.id ?? null,
    detail,
    ip: actor.ip ?? null,
  });
}

export interface AuditEntry {
  id: string;
  actorType: string;
  actorName: string;
  action: string;
  targetType: string | null;
  targetId: string | null;
  detail: Record<string, unknown>;
  ip: string | null;
  createdAt: string;
}

export async function listAudit(tx: Tx, tenantId: string, q: { action?: string; limit: number; cursor?: string }): Promise<Page<AuditEntry>> {
  const after = decodeCursor(q.cursor);
  const rows = await tx
    .select()
    .from(auditLog)
    .where(
      and(
        eq(auditLog.tenantId, tenantId),
        q.action ? eq(auditLog.action, q.action) : undefined,
        after ? lt(auditLog.id, after) : undefined,
      ),
    )
    .orderBy(desc(auditLog.id))
    .limit(q.limit + 1);
  const items = rows.slice(0, q.limit).map((r) => ({
    id: r.id,
    actorType: r.actorType,
    actorName: r.actorName,
    action: r.action,
    targetType: r.targetType,
    targetId: r.targetId,
    detail: r.detail,
    ip: r.ip,
    createdAt: r.createdAt.toISOString(),
  }));
  return { items, nextCursor: rows.length > q.limit ? encodeCursor(items[items.length - 1]!.id) : null };
}
