import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Config } from '../../server/config.js';
import type { Database } from '../db/client.js';
import { inTenant } from '../http/tenant-tx.js';
import { CSRF_COOKIE, SESSION_COOKIE, tenantActor } from '../http/auth.js';
import { PageQuery, pageOf } from '../http/pagination.js';
import { IdParams, IdString, Timestamp } from '../http/schemas.js';
import { listAudit } from './audit.js';
import { login, logout } from './auth.service.js';
import * as org from './org.service.js';
import * as ops from './operators.service.js';
import { PERMISSIONS } from './permissions.rules.js';
import * as tenantsSvc from './tenants.service.js';

const strict = { additionalProperties: false } as const;
const Slug = Type.String({ pattern: '^[a-z0-9][a-z0-9-]{1,39}$', description: 'lowercase letters, digits and dashes' });
const Username = Type.String({ pattern: '^[A-Za-z0-9_.@-]{2,64}$' });
const Password = Type.String({ minLength: 8, maxLength: 200 });
const Name = Type.String({ minLength: 1, maxLength: 100 });
const PermissionList = Type.Array(Type.String({ maxLength: 64 }), { maxItems: 100 });

const TenantSchema = Type.Object({
  id: IdString,
  slug: Type.String(),
  name: Type.String(),
  smsExtension: Type.String(),
  smsPort: Type.String(),
  timezone: Type.String(),
  currency: Type.String(),
  smsPriceFen: Type.Integer(),
  creditFen: Type.Integer(),
  status: Type.String(),
  createdAt: Timestamp,
});
const OrgNode = Type.Object({
  id: IdString,
  parentId: Type.Union([IdString, Type.Null()]),
  kind: Type.Union([Type.Literal('headquarters'), Type.Literal('region'), Type.Literal('store')]),
  name: Type.String(),
  code: Type.Union([Type.String(), Type.Null()]),
  path: Type.String(),
  createdAt: Timestamp,
});
const Role = Type.Object({ id: IdString, code: Type.String(), name: Type.String(), permissions: Type.Array(Type.String()), builtin: Type.Boolean() });
const Operator = Type.Object({
  id: IdString,
  username: Type.String(),
  name: Type.String(),
  status: Type.String(),
  role: Type.Object({ id: IdString, code: Type.String(), name: Type.String() }),
  orgNode: Type.Object({ id: IdString, name: Type.String(), kind: Type.String() }),
  createdAt: Timestamp,
});
const ApiKey = Type.Object({
  id: IdString,
  name: Type.String(),
  prefix: Type.String(),
  permissions: Type.Array(Type.String()),
  createdAt: Timestamp,
  lastUsedAt: Type.Union([Timestamp, Type.Null()]),
  revokedAt: Type.Union([Timestamp, Type.Null()]),
});
const AuditEntry = Type.Object({
  id: IdString,
  actorType: Type.String(),
  actorName: Type.String(),
  action: Type.String(),
  targetType: Type.Union([Type.String(), Type.Null()]),
  targetId: Type.Union([Type.String(), Type.Null()]),
  detail: Type.Record(Type.String(), Type.Unknown()),
  ip: Type.Union([Type.String(), Type.Null()]),
  createdAt: Timestamp,
});
const PlatformAuditEntry = Type.Object({
  id: IdString,
  actorName: Type.String(),
  action: Type.String(),
  target: Type.Union([Type.String(), Type.Null()]),
  detail: Type.Record(Type.String(), Type.Unknown()),
  ip: Type.Union([Type.String(), Type.Null()]),
  createdAt: Timestamp,
});
const LoginUser = Type.Object({
  id: IdString,
  username: Type.String(),
  name: Type.String(),
  kind: Type.String(),
  tenant: Type.Union([Type.String(), Type.Null()]),
});

/** All-in-memory lists (org trees, roles, operators, keys are small) still answer in the
 * {items, nextCursor} shape every list endpoint shares. */
function wholeList<T>(items: T[]) {
  return { items, nextCursor: null };
}

export function tenancyRoutes(deps: { database: Database; config: Readonly<Config> }): FastifyPluginAsyncTypebox {
  const { database, config } = deps;
  const { db } = database;
  const svc = config.smsServiceNumber;

  return async (app) => {
    // ------------------------------------------------------------ auth
    app.post(
      '/auth/login',
      {
        config: { access: 'public' },
        schema: {
          tags: ['auth'],
          body: Type.Object(
            { username: Type.String({ minLength: 1, maxLength: 64 }), password: Type.String({ minLength: 1, maxLength: 200 }), tenant: Type.Optional(Type.String({ maxLength: 40 })) },
            strict,
          ),
          response: { 200: Type.Object({ token: Type.String(), csrfToken: Type.String(), expiresAt: Timestamp, user: LoginUser }) },
        },
      },
      async (request, reply) => {
        const result = await login(db, request.body, { ttlHours: config.sessionTtlHours, ip: request.ip });
        const cookie = { path: '/', sameSite: 'lax' as const, expires: new Date(result.expiresAt), secure: request.protocol === 'https' };
        reply.setCookie(SESSION_COOKIE, result.token, { ...cookie, httpOnly: true });
        reply.setCookie(CSRF_COOKIE, result.csrfToken, { ...cookie, httpOnly: false });
        return result;
      },
    );

    app.post('/auth/logout', { config: { access: 'authenticated' }, schema: { tags: ['auth'] } }, async (request, reply) => {
      if (request.principal?.sessionHash) await logout(db, request.principal.sessionHash);
      reply.clearCookie(SESSION_COOKIE, { path: '/' }).clearCookie(CSRF_COOKIE, { path: '/' });
      return reply.status(204).send();
    });

    app.get(
      '/auth/me',
      { config: { access: 'authenticated' }, schema: { tags: ['auth'] } },
      async (request) => {
        const p = request.principal!;
        const tenant = p.tenantId ? await tenantsSvc.getTenantById(db, p.tenantId, svc) : null;
        return {
          user: { id: p.id, name: p.name, username: p.username, kind: p.kind, role: p.role },
          tenant,
          permissions: [...p.permissions],
          orgNodeId: p.orgNodeId,
        };
      },
    );

    // ------------------------------------------------------------ platform
    app.get(
      '/platform/tenants',
      { config: { access: 'platform' }, schema: { tags: ['platform'], querystring: Type.Object(PageQuery, strict), response: { 200: pageOf(TenantSchema) } } },
      async (request) => tenantsSvc.listTenants(db, { limit: request.query.limit ?? 50, cursor: request.query.cursor }, svc),
    );

    app.post(
      '/platform/tenants',
      {
        config: { access: 'platform' },
        schema: {
          tags: ['platform'],
          body: Type.Object(
            {
              slug: Slug,
              name: Name,
              smsExtension: Type.String({ pattern: '^[0-9]{1,6}$', description: '1–6 digits' }),
              timezone: Type.Optional(Type.String({ maxLength: 64 })),
              currency: Type.Optional(Type.String({ pattern: '^[A-Z]{3}$' })),
              smsPriceFen: Type.Optional(Type.Integer({ minimum: 0, maximum: 100000 })),
              admin: Type.Object({ username: Username, password: Password, name: Type.Optional(Name) }, strict),
            },
            strict,
          ),
          response: { 201: TenantSchema },
        },
      },
      async (request, reply) => reply.status(201).send(await tenantsSvc.createTenant(db, request.body, request.principal!, request.ip, svc)),
    );

    app.get(
      '/platform/audit-log',
      {
        config: { access: 'platform' },
        schema: {
          tags: ['platform'],
          querystring: Type.Object({ ...PageQuery, action: Type.Optional(Type.String({ maxLength: 64 })) }, strict),
          response: { 200: pageOf(PlatformAuditEntry) },
        },
      },
      async (request) => tenantsSvc.listPlatformAudit(db, { action: request.query.action, limit: request.query.limit ?? 50, cursor: request.query.cursor }),
    );

    const SlugParams = Type.Object({ slug: Slug }, strict);
    app.get(
      '/platform/tenants/:slug',
      { config: { access: 'platform' }, schema: { tags: ['platform'], params: SlugParams, response: { 200: TenantSchema } } },
      async (request) => tenantsSvc.getTenantBySlug(db, request.params.slug, svc),
    );

    app.patch(
      '/platform/tenants/:slug',
      {
        config: { access: 'platform' },
        schema: {
          tags: ['platform'],
          params: SlugParams,
          body: Type.Object(
            {
              name: Type.Optional(Name),
              timezone: Type.Optional(Type.String({ maxLength: 64 })),
              currency: Type.Optional(Type.String({ pattern: '^[A-Z]{3}$' })),
              smsPriceFen: Type.Optional(Type.Integer({ minimum: 0, maximum: 100000 })),
              status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('suspended')])),
            },
            { ...strict, minProperties: 1 },
          ),
          response: { 200: TenantSchema },
        },
      },
      async (request) => tenantsSvc.updateTenant(db, request.params.slug, request.body, request.principal!, request.ip, svc),
    );

    app.post(
      '/platform/tenants/:slug/sms-credit',
      {
        config: { access: 'platform' },
        schema: {
          tags: ['platform'],
          params: SlugParams,
          body: Type.Object({ amountFen: Type.Integer({ minimum: 1, maximum: 100_000_000_00 }) }, strict),
          response: { 200: Type.Object({ creditFen: Type.Integer() }) },
        },
      },
      async (request) => tenantsSvc.addSmsCredit(db, request.params.slug, request.body.amountFen, request.principal!, request.ip),
    );

    // ------------------------------------------------------------ tenant: settings of the merchant itself
    app.get('/tenant', { config: { access: 'tenant' }, schema: { tags: ['tenant'], response: { 200: TenantSchema } } }, async (request) =>
      tenantsSvc.getTenantById(db, tenantActor(request).tenantId, svc),
    );

    app.get('/permissions', { config: { access: 'tenant' }, schema: { tags: ['tenant'] } }, async () => ({ items: [...PERMISSIONS], nextCursor: null }));

    // ------------------------------------------------------------ org tree
    app.get(
      '/org/nodes',
      { config: { access: 'tenant', permission: 'org.read' }, schema: { tags: ['org'], response: { 200: pageOf(OrgNode) } } },
      async (request) => {
        return wholeList(await inTenant(db, request, (tx, actor) => org.listNodes(tx, actor)));
      },
    );
    app.post(
      '/org/nodes',
      {
        config: { access: 'tenant', permission: 'org.manage' },
        schema: {
          tags: ['org'],
          body: Type.Object(
            { parentId: IdString, kind: Type.Union([Type.Literal('region'), Type.Literal('store')]), name: Name, code: Type.Optional(Type.String({ maxLength: 40 })) },
            strict,
          ),
          response: { 201: OrgNode },
        },
      },
      async (request, reply) => {
        return reply.status(201).send(await inTenant(db, request, (tx, actor) => org.createNode(tx, actor, request.body)));
      },
    );
    app.get(
      '/org/nodes/:id',
      { config: { access: 'tenant', permission: 'org.read' }, schema: { tags: ['org'], params: IdParams, response: { 200: OrgNode } } },
      async (request) => {
        return inTenant(db, request, (tx, actor) => org.getNode(tx, actor, request.params.id));
      },
    );
    app.patch(
      '/org/nodes/:id',
      {
        config: { access: 'tenant', permission: 'org.manage' },
        schema: {
          tags: ['org'],
          params: IdParams,
          body: Type.Object({ name: Type.Optional(Name), code: Type.Optional(Type.Union([Type.String({ maxLength: 40 }), Type.Null()])) }, { ...strict, minProperties: 1 }),
          response: { 200: OrgNode },
        },
      },
      async (request) => {
        return inTenant(db, request, (tx, actor) => org.updateNode(tx, actor, request.params.id, request.body));
      },
    );
    app.delete(
      '/org/nodes/:id',
      { config: { access: 'tenant', permission: 'org.manage' }, schema: { tags: ['org'], params: IdParams } },
      async (request, reply) => {
        await inTenant(db, request, (tx, actor) => org.deleteNode(tx, actor, request.params.id));
        return reply.status(204).send();
      },
    );

    // ------------------------------------------------------------ roles
    app.get(
      '/roles',
      { config: { access: 'tenant', permission: ['operators.manage', 'roles.manage'] }, schema: { tags: ['operators'], response: { 200: pageOf(Role) } } },
      async (request) => {
        return wholeList(await inTenant(db, request, (tx, actor) => ops.listRoles(tx, actor)));
      },
    );
    app.post(
      '/roles',
      {
        config: { access: 'tenant', permission: 'roles.manage' },
        schema: {
          tags: ['operators'],
          body: Type.Object({ code: Type.String({ pattern: '^[a-z][a-z0-9_-]{1,39}$' }), name: Name, permissions: PermissionList }, strict),
          response: { 201: Role },
        },
      },
      async (request, reply) => {
        return reply.status(201).send(await inTenant(db, request, (tx, actor) => ops.createRole(tx, actor, request.body)));
      },
    );
    app.get(
      '/roles/:id',
      { config: { access: 'tenant', permission: ['operators.manage', 'roles.manage'] }, schema: { tags: ['operators'], params: IdParams, response: { 200: Role } } },
      async (request) => {
        return inTenant(db, request, (tx, actor) => ops.getRole(tx, actor, request.params.id));
      },
    );
    app.patch(
      '/roles/:id',
      {
        config: { access: 'tenant', permission: 'roles.manage' },
        schema: {
          tags: ['operators'],
          params: IdParams,
          body: Type.Object({ name: Type.Optional(Name), permissions: Type.Optional(PermissionList) }, { ...strict, minProperties: 1 }),
          response: { 200: Role },
        },
      },
      async (request) => {
        return inTenant(db, request, (tx, actor) => ops.updateRole(tx, actor, request.params.id, request.body));
      },
    );
    app.delete(
      '/roles/:id',
      { config: { access: 'tenant', permission: 'roles.manage' }, schema: { tags: ['operators'], params: IdParams } },
      async (request, reply) => {
        await inTenant(db, request, (tx, actor) => ops.deleteRole(tx, actor, request.params.id));
        return reply.status(204).send();
      },
    );

    // ------------------------------------------------------------ operators
    app.get(
      '/operators',
      { config: { access: 'tenant', permission: 'operators.manage' }, schema: { tags: ['operators'], response: { 200: pageOf(Operator) } } },
      async (request) => {
        return wholeList(await inTenant(db, request, (tx, actor) => ops.listOperators(tx, actor)));
      },
    );
    app.post(
      '/operators',
      {
        config: { access: 'tenant', permission: 'operators.manage' },
        schema: {
          tags: ['operators'],
          body: Type.Object({ username: Username, password: Password, name: Name, roleId: IdString, orgNodeId: IdString }, strict),
          response: { 201: Operator },
        },
      },
      async (request, reply) => {
        return reply.status(201).send(await inTenant(db, request, (tx, actor) => ops.createOperator(tx, actor, request.body)));
      },
    );
    app.get(
      '/operators/:id',
      { config: { access: 'tenant', permission: 'operators.manage' }, schema: { tags: ['operators'], params: IdParams, response: { 200: Operator } } },
      async (request) => {
        return inTenant(db, request, (tx, actor) => ops.getOperator(tx, actor, request.params.id));
      },
    );
    app.patch(
      '/operators/:id',
      {
        config: { access: 'tenant', permission: 'operators.manage' },
        schema: {
          tags: ['operators'],
          params: IdParams,
          body: Type.Object(
            {
              name: Type.Optional(Name),
              roleId: Type.Optional(IdString),
              orgNodeId: Type.Optional(IdString),
              status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('disabled')])),
              password: Type.Optional(Password),
            },
            { ...strict, minProperties: 1 },
          ),
          response: { 200: Operator },
        },
      },
      async (request) => {
        return inTenant(db, request, (tx, actor) => ops.updateOperator(tx, actor, request.params.id, request.body));
      },
    );

    // ------------------------------------------------------------ API keys
    app.get(
      '/api-keys',
      { config: { access: 'tenant', permission: 'apikeys.manage' }, schema: { tags: ['api-keys'], response: { 200: pageOf(ApiKey) } } },
      async (request) => {
        return wholeList(await inTenant(db, request, (tx, actor) => ops.listApiKeys(tx, actor)));
      },
    );
    app.post(
      '/api-keys',
      {
        config: { access: 'tenant', permission: 'apikeys.manage' },
        schema: {
          tags: ['api-keys'],
          body: Type.Object({ name: Name, permissions: PermissionList }, strict),
          response: { 201: Type.Intersect([ApiKey, Type.Object({ key: Type.String() })]) },
        },
      },
      async (request, reply) => {
        return reply.status(201).send(await inTenant(db, request, (tx, actor) => ops.createApiKey(tx, actor, request.body)));
      },
    );
    app.delete(
      '/api-keys/:id',
      { config: { access: 'tenant', permission: 'apikeys.manage' }, schema: { tags: ['api-keys'], params: IdParams } },
      async (request, reply) => {
        await inTenant(db, request, (tx, actor) => ops.revokeApiKey(tx, actor, request.params.id));
        return reply.status(204).send();
      },
    );

    // ------------------------------------------------------------ audit log
    app.get(
      '/audit-log',
      {
        config: { access: 'tenant', permission: 'audit.read' },
        schema: {
          tags: ['audit'],
          querystring: Type.Object({ ...PageQuery, action: Type.Optional(Type.String({ maxLength: 64 })) }, strict),
          response: { 200: pageOf(AuditEntry) },
        },
      },
      async (request) => {
        return inTenant(db, request, (tx, actor) =>
          listAudit(tx, actor.tenantId, { action: request.query.action, limit: request.query.limit ?? 50, cursor: request.query.cursor }),
        );
      },
    );
  };
}
