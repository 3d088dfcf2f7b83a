import { and, asc, eq, isNull, like, sql } from 'drizzle-orm';
import type { Tx } from '../db/with-tenant.js';
import type { TenantActor } from '../http/auth.js';
import { badRequest, conflict, forbidden, notFound } from '../http/problem.js';
import { audit } from './audit.js';
import { hashPassword, newApiKey, tokenHash } from './credentials.js';
import { scopedNode } from './org.service.js';
import { isPermission, type Permission } from './permissions.rules.js';
import { apiKeys, authSessions, operators, orgNodes, roles } from './schema.js';

// ------------------------------------------------------------------ roles
export interface RoleView {
  id: string;
  code: string;
  name: string;
  permissions: string[];
  builtin: boolean;
}

const roleView = (r: typeof roles.$inferSelect): RoleView => ({
  id: r.id,
  code: r.code,
  name: r.name,
  permissions: r.permissions,
  builtin: r.builtin,
});

function checkPermissions(list: string[], actor: TenantActor, path: string): Permission[] {
  const unknown = list.filter((p) => !isPermission(p));
  if (unknown.length) throw badRequest(`Unknown permission(s): ${unknown.join(', ')}`, [{ path, message: `unknown: ${unknown.join(', ')}` }]);
  // Nobody hands out more than they hold: a manager cannot mint an owner.
  const beyond = list.filter((p) => !actor.permissions.has(p as Permission));
  if (beyond.length) throw forbidden(`You cannot grant permissions you do not hold: ${beyond.join(', ')}`);
  return [...new Set(list)] as Permission[];
}

async function findRole(tx: Tx, actor: TenantActor, id: string) {
  const row = (await tx.select().from(roles).where(and(eq(roles.tenantId, actor.tenantId), eq(roles.id, id))))[0];
  if (!row) throw notFound('Role');
  return row;
}

export async function listRoles(tx: Tx, actor: TenantActor): Promise<RoleView[]> {
  return (await tx.select().from(roles).where(eq(roles.tenantId, actor.tenantId)).orderBy(asc(roles.id))).map(roleView);
}

export async function getRole(tx: Tx, actor: TenantActor, id: string): Promise<RoleView> {
  return roleView(await findRole(tx, actor, id));
}

export async function createRole(tx: Tx, actor: TenantActor, input: { code: string; name: string; permissions: string[] }): Promise<RoleView> {
  const permissions = checkPermissions(input.permissions, actor, 'body.permissions');
  const exists = await tx.select({ id: roles.id }).from(roles).where(and(eq(roles.tenantId, actor.tenantId), eq(roles.code, input.code)));
  if (exists.length) throw conflict(`A role with code "${input.code}" already exists`, 'duplicate_role', [{ path: 'body.code', message: 'is taken' }]);
  const [row] = await tx
    .insert(roles)
    .values({ tenantId: actor.tenantId, code: input.code, name: input.name, permissions, builtin: false })
    .returning();
  await audit(tx, actor, 'role.create', { type: 'role', id: row!.id }, { code: input.code, permissions });
  return roleView(row!);
}

export async function updateRole(tx: Tx, actor: TenantActor, id: string, patch: { name?: string; permissions?: string[] }): Promise<RoleView> {
  const role = await findRole(tx, actor, id);
  if (role.builtin) throw conflict('Built-in roles cannot be changed; create a custom role instead', 'builtin_role');
  const set: { name?: string; permissions?: Permission[] } = {};
  if (patch.name !== undefined) set.name = patch.name;
  if (patch.permissions !== undefined) set.permissions = checkPermissions(patch.permissions, actor, 'body.permissions');
  const [row] = await tx.update(roles).set(set).where(and(eq(roles.tenantId, actor.tenantId), eq(roles.id, id))).returning();
  await audit(tx, actor, 'role.update', { type: 'role', id }, { before: role.permissions, after: row!.permissions });
  return roleView(row!);
}

export async function deleteRole(tx: Tx, actor: TenantActor, id: string): Promise<void> {
  const role = await findRole(tx, actor, id);
  if (role.builtin) throw conflict('Built-in roles cannot be deleted', 'builtin_role');
  const used = await tx.select({ id: operators.id }).from(operators).where(and(eq(operators.tenantId, actor.tenantId), eq(operators.roleId, id))).limit(1);
  if (used.length) throw conflict('Operators still hold this role', 'role_in_use');
  await tx.delete(roles).where(and(eq(roles.tenantId, actor.tenantId), eq(roles.id, id)));
  await audit(tx, actor, 'role.delete', { type: 'role', id }, { code: role.code });
}

// ------------------------------------------------------------------ operators
export interface OperatorView {
  id: string;
  username: string;
  name: string;
  status: 'active' | 'disabled';
  role: { id: string; code: string; name: string };
  orgNode: { id: string; name: string; kind: string };
  createdAt: string;
}

async function operatorViews(tx: Tx, actor: TenantActor, id?: string): Promise<OperatorView[]> {
  const rows = await tx
    .select({ o: operators, r: roles, n: orgNodes })
    .from(operators)
    .innerJoin(roles, and(eq(roles.tenantId, operators.tenantId), eq(roles.id, operators.roleId)))
    .innerJoin(orgNodes, and(eq(orgNodes.tenantId, operators.tenantId), eq(orgNodes.id, operators.orgNodeId)))
    .where(and(eq(operators.tenantId, actor.tenantId), like(orgNodes.path, `${actor.scopePath}%`), id ? eq(operators.id, id) : undefined))
    .orderBy(asc(operators.id));
  return rows.map(({ o, r, n }) => ({
    id: o.id,
    username: o.username,
    name: o.name,
    status: o.status,
    role: { id: r.id, code: r.code, name: r.name },
    orgNode: { id: n.id, name: n.name, kind: n.kind },
    createdAt: o.createdAt.toISOString(),
  }));
}

export const listOperators = (tx: Tx, actor: TenantActor) => operatorViews(tx, actor);

export async function getOperator(tx: Tx, actor: TenantActor, id: string): Promise<OperatorView> {
  const [op] = await operatorViews(tx, actor, id);
  if (!op) throw notFound('Operator');
  return op;
}

async function assignableRole(tx: Tx, actor: TenantActor, roleId: string) {
  const role = (await tx.select().from(roles).where(and(eq(roles.tenantId, actor.tenantId), eq(roles.id, roleId))))[0];
  if (!role) throw badRequest('Role not found', [{ path: 'body.roleId', message: 'no such role' }]);
  checkPermissions(role.permissions, actor, 'body.roleId');
  return role;
}

async function assignableNode(tx: Tx, actor: TenantActor, nodeId: string) {
  return scopedNode(tx, actor, nodeId).catch(() => {
    throw badRequest('Org node not found in your scope', [{ path: 'body.orgNodeId', message: 'no such org node in your scope' }]);
  });
}

export async function createOperator(
  tx: Tx,
  actor: TenantActor,
  input: { username: string; password: string; name: string; roleId: string; orgNodeId: string },
): Promise<OperatorView> {
  await assignableRole(tx, actor, input.roleId);
  await assignableNode(tx, actor, input.orgNodeId);
  const username = input.username.toLowerCase();
  const exists = await tx.select({ id: operators.id }).from(operators).where(and(eq(operators.tenantId, actor.tenantId), eq(operators.username, username)));
  if (exists.length) throw conflict(`Username "${username}" is taken`, 'duplicate_username', [{ path: 'body.username', message: 'is taken' }]);
  const [row] = await tx
    .insert(operators)
    .values({
      tenantId: actor.tenantId,
      username,
      name: input.name,
      passwordHash: await hashPassword(input.password),
      roleId: input.roleId,
      orgNodeId: input.orgNodeId,
      status: 'active',
    })
    .returning({ id: operators.id });
  await audit(tx, actor, 'operator.create', { type: 'operator', id: row!.id }, { username, roleId: input.roleId, orgNodeId: input.orgNodeId });
  return getOperator(tx, actor, row!.id);
}

export async function updateOperator(
  tx: Tx,
  actor: TenantActor,
  id: string,
  patch: { name?: string; roleId?: string; orgNodeId?: string; status?: 'active' | 'disabled'; password?: string },
): Promise<OperatorView> {
  const before = await getOperator(tx, actor, id);
  if (id === actor.id && actor.type === 'operator' && (patch.status === 'disabled' || patch.roleId !== undefined)) {
    throw conflict('You cannot disable yourself or change your own role', 'self_change');
  }
  const set: Partial<typeof operators.$inferInsert> = {};
  if (patch.name !== undefined) set.name = patch.name;
  if (patch.roleId !== undefined) set.roleId = (await assignableRole(tx, actor, patch.roleId)).id;
  if (patch.orgNodeId !== undefined) set.orgNodeId = (await assignableNode(tx, actor, patch.orgNodeId)).id;
  if (patch.status !== undefined) set.status = patch.status;
  if (patch.password !== undefined) set.passwordHash = await hashPassword(patch.password);
  if (Object.keys(set).length) {
    await tx.update(operators).set(set).where(and(eq(operators.tenantId, actor.tenantId), eq(operators.id, id)));
  }
  // A disabled operator or a new password ends every open session of that operator.
  if (patch.status === 'disabled' || patch.password !== undefined) {
    await tx
      .update(authSessions)
      .set({ revokedAt: new Date() })
      .where(and(eq(authSessions.tenantId, actor.tenantId), eq(authSessions.userId, id), isNull(authSessions.revokedAt)));
  }
  const { password: _pw, ...logged } = patch;
  await audit(tx, actor, 'operator.update', { type: 'operator', id }, { ...logged, passwordChanged: patch.password !== undefined, before: { role: before.role.code, status: before.status } });
  return getOperator(tx, actor, id);
}

// ------------------------------------------------------------------ API keys
export interface ApiKeyView {
  id: string;
  name: string;
  prefix: string;
  permissions: string[];
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

const keyView = (r: typeof apiKeys.$inferSelect): ApiKeyView => ({
  id: r.id,
  name: r.name,
  prefix: r.prefix,
  permissions: r.permissions,
  createdAt: r.createdAt.toISOString(),
  lastUsedAt: r.lastUsedAt?.toISOString() ?? null,
  revokedAt: r.revokedAt?.toISOString() ?? null,
});

export async function listApiKeys(tx: Tx, actor: TenantActor): Promise<ApiKeyView[]> {
  return (await tx.select().from(apiKeys).where(eq(apiKeys.tenantId, actor.tenantId)).orderBy(asc(apiKeys.id))).map(keyView);
}

/** The secret is returned once, here; only its SHA-256 is stored. */
export async function createApiKey(tx: Tx, actor: TenantActor, input: { name: string; permissions: string[] }): Promise<ApiKeyView & { key: string }> {
  const permissions = checkPermissions(input.permissions, actor, 'body.permissions');
  const key = newApiKey(actor.tenantId);
  const [row] = await tx
    .insert(apiKeys)
    .values({
      tenantId: actor.tenantId,
      name: input.name,
      prefix: key.slice(0, key.indexOf('_', 4) + 7),
      keyHash: tokenHash(key),
      permissions,
      createdBy: actor.id,
    })
    .returning();
  await audit(tx, actor, 'apikey.create', { type: 'api_key', id: row!.id }, { name: input.name, permissions });
  return { ...keyView(row!), key };
}

export async function revokeApiKey(tx: Tx, actor: TenantActor, id: string): Promise<void> {
  const [row] = await tx
    .update(apiKeys)
    .set({ revokedAt: sql`coalesce(${apiKeys.revokedAt}, now())` })
    .where(and(eq(apiKeys.tenantId, actor.tenantId), eq(apiKeys.id, id)))
    .returning({ id: apiKeys.id });
  if (!row) throw notFound('API key');
  await audit(tx, actor, 'apikey.revoke', { type: 'api_key', id }, {});
}


