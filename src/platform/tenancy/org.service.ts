import { and, asc, eq, like, sql } from 'drizzle-orm';
import type { Tx } from '../db/with-tenant.js';
import type { TenantActor } from '../http/auth.js';
import { badRequest, conflict, notFound } from '../http/problem.js';
import { audit } from './audit.js';
import { orgNodes, type OrgKind } from './schema.js';

export interface OrgNodeView {
  id: string;
  parentId: string | null;
  kind: OrgKind;
  name: string;
  code: string | null;
  path: string;
  createdAt: string;
}

type OrgRow = typeof orgNodes.$inferSelect;

const view = (r: OrgRow): OrgNodeView => ({
  id: r.id,
  parentId: r.parentId,
  kind: r.kind,
  name: r.name,
  code: r.code,
  path: r.path,
  createdAt: r.createdAt.toISOString(),
});

/** Which kinds may sit under which: HQ → regions/stores, region → regions/stores, store → nothing. */
export function allowedChild(parent: OrgKind, child: OrgKind): boolean {
  if (child === 'headquarters') return false;
  return parent !== 'store';
}

/** A node of this tenant inside the actor's data scope, or 404 (never 403: existence is not leaked). */
export async function scopedNode(tx: Tx, actor: TenantActor, nodeId: string): Promise<OrgRow> {
  const row = (
    await tx
      .select()
      .from(orgNodes)
      .where(and(eq(orgNodes.tenantId, actor.tenantId), eq(orgNodes.id, nodeId), like(orgNodes.path, `${actor.scopePath}%`)))
  )[0];
  if (!row) throw notFound('Org node');
  return row;
}

export async function listNodes(tx: Tx, actor: TenantActor): Promise<OrgNodeView[]> {
  const rows = await tx
    .select()
    .from(orgNodes)
    .where(and(eq(orgNodes.tenantId, actor.tenantId), like(orgNodes.path, `${actor.scopePath}%`)))
    .orderBy(asc(orgNodes.path));
  return rows.map(view);
}

export async function getNode(tx: Tx, actor: TenantActor, id: string): Promise<OrgNodeView> {
  return view(await scopedNode(tx, actor, id));
}

export async function createNode(
  tx: Tx,
  actor: TenantActor,
  input: { parentId: string; kind: 'region' | 'store'; name: string; code?: string },
): Promise<OrgNodeView> {
  const parent = await scopedNode(tx, actor, input.parentId).catch(() => {
    throw badRequest('Parent node not found in your scope', [{ path: 'body.parentId', message: 'no such org node' }]);
  });
  if (!allowedChild(parent.kind, input.kind)) {
    throw badRequest(`A ${input.kind} cannot be placed under a ${parent.kind}`, [{ path: 'body.kind', message: `not allowed under ${parent.kind}` }]);
  }
  const [row] = await tx
    .insert(orgNodes)
    .values({ tenantId: actor.tenantId, parentId: parent.id, kind: input.kind, name: input.name, code: input.code ?? null, path: '' })
    .returning();
  await audit(tx, actor, 'org.create', { type: 'org_node', id: row!.id }, { name: input.name, kind: input.kind, parentId: parent.id });
  return view(row!);
}

export async function updateNode(tx: Tx, actor: TenantActor, id: string, patch: { name?: string; code?: string | null }): Promise<OrgNodeView> {
  await scopedNode(tx, actor, id);
  const [row] = await tx
    .update(orgNodes)
    .set(patch)
    .where(and(eq(orgNodes.tenantId, actor.tenantId), eq(orgNodes.id, id)))
    .returning();
  await audit(tx, actor, 'org.update', { type: 'org_node', id }, patch);
  return view(row!);
}

export async function deleteNode(tx: Tx, actor: TenantActor, id: string): Promise<void> {
  const node = await scopedNode(tx, actor, id);
  if (node.kind === 'headquarters') throw conflict('The headquarters node cannot be deleted', 'org_headquarters');
  const [{ children, ops }] = (await tx.execute<{ children: number; ops: number }>(sql`
    select (select count(*)::int from org_nodes where tenant_id = ${actor.tenantId} and parent_id = ${id}) as children,
           (select count(*)::int from operators where tenant_id = ${actor.tenantId} and org_node_id = ${id}) as ops`)).rows as [
    { children: number; ops: number },
  ];
  if (children > 0) throw conflict('Delete or move the nodes under it first', 'org_has_children');
  if (ops > 0) throw conflict('Operators are attached to this node; move them first', 'org_has_operators');
  await tx.delete(orgNodes).where(and(eq(orgNodes.tenantId, actor.tenantId), eq(orgNodes.id, id)));
  await audit(tx, actor, 'org.delete', { type: 'org_node', id }, { name: node.name });
}
