import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Config } from '../server/config.js';
import type { Database } from '../platform/db/client.js';
import { withTenant } from '../platform/db/with-tenant.js';
import { tenantActor } from '../platform/http/auth.js';
import { inTenant } from '../platform/http/tenant-tx.js';
import { PageQuery, pageOf } from '../platform/http/pagination.js';
import { IdParams, IdString, Timestamp } from '../platform/http/schemas.js';
import * as apps from './applications.service.js';
import * as svc from './service.js';
import * as cfg from './settings.service.js';

const strict = { additionalProperties: false } as const;
const nullable = <T extends import('typebox').TSchema>(t: T) => Type.Union([t, Type.Null()]);

const Phone = Type.String({ minLength: 1, maxLength: 32, description: 'mobile number: 13800138000, +86 138-0013-8000 or E.164' });
const PersonName = Type.String({ minLength: 1, maxLength: 50 });
const Gender = Type.Union([Type.Literal('male'), Type.Literal('female'), Type.Literal('other')]);
const DateString = Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$', description: 'YYYY-MM-DD' });
const Attributes = Type.Record(Type.String({ maxLength: 40 }), Type.Unknown(), {
  maxProperties: 30,
  description: 'values keyed by the attribute definitions of GET /members/attributes',
});
const Email = Type.String({ minLength: 1, maxLength: 254, description: 'email address (local@domain)' });
const Tags = Type.Array(Type.String({ minLength: 1, maxLength: 32 }), { maxItems: 20 });
const CardNo = Type.String({ minLength: 1, maxLength: 24 });
const Status = Type.Union([Type.Literal('active'), Type.Literal('frozen'), Type.Literal('cancelled')]);
const AppStatus = Type.Union([Type.Literal('pending'), Type.Literal('approved'), Type.Literal('rejected')]);
const AppSource = Type.Union([Type.Literal('counter'), Type.Literal('api'), Type.Literal('sms'), Type.Literal('h5')]);
const AttrType = Type.Union(['text', 'number', 'date', 'single', 'multi', 'boolean'].map((t) => Type.Literal(t)));
const AttrKey = Type.String({ pattern: '^[a-z][a-z0-9_]{0,39}$', description: 'lowercase letters, digits, underscore' });
const Options = Type.Array(Type.String({ minLength: 1, maxLength: 50 }), { maxItems: 100 });
const CardPlanDigits = Type.Integer({ minimum: 4, maximum: 16 });
const CardPrefix = Type.String({ pattern: '^[A-Z0-9]{0,8}$', description: 'up to 8 capital letters or digits' });

const Member = Type.Object({
  id: IdString,
  cardNo: Type.String(),
  phone: Type.String({ description: 'E.164, or 138****8000 without members.pii' }),
  name: nullable(Type.String()),
  gender: nullable(Type.String()),
  birthday: nullable(Type.String()),
  tier: nullable(Type.Object({ code: Type.String(), name: Type.String() })),
  points: Type.Integer(),
  tierPoints: Type.Integer(),
  storedValueFen: Type.Integer(),
  smsOptOut: Type.Boolean(),
  email: nullable(Type.String({ description: 'z***@example.cn without members.pii' })),
  emailOptOut: Type.Boolean(),
  status: Type.String(),
  attributes: Type.Record(Type.String(), Type.Unknown()),
  tags: Type.Array(Type.String()),
  storeId: nullable(IdString),
  source: Type.String(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  piiMasked: Type.Boolean(),
});
const Change = Type.Object({
  id: IdString,
  memberId: IdString,
  change: Type.String({ description: 'created | profile | status | phone' }),
  before: Type.Unknown(),
  after: Type.Unknown(),
  reason: nullable(Type.String()),
  actorType: Type.String(),
  actorName: Type.String(),
  createdAt: Timestamp,
});
const Application = Type.Object({
  id: IdString,
  phone: Type.String(),
  name: nullable(Type.String()),
  gender: nullable(Type.String()),
  birthday: nullable(Type.String()),
  storeId: nullable(IdString),
  attributes: Type.Record(Type.String(), Type.Unknown()),
  tags: Type.Array(Type.String()),
  source: Type.String(),
  status: Type.String(),
  flags: Type.Array(Type.String()),
  reason: nullable(Type.String()),
  memberId: nullable(IdString),
  createdAt: Timestamp,
  decidedAt: nullable(Timestamp),
  decidedBy: nullable(Type.String()),
  piiMasked: Type.Boolean(),
});
const Settings = Type.Object({
  cardMode: Type.String(),
  cardPrefix: Type.String(),
  cardDigits: Type.Integer(),
  cardCheckDigit: Type.Boolean(),
  reviewApplications: Type.Boolean(),
  cardNextSeq: Type.Integer(),
  updatedAt: Timestamp,
});
const PoolEntry = Type.Object({ cardNo: Type.String(), batch: nullable(Type.String()), special: Type.Boolean(), createdAt: Timestamp, usedAt: nullable(Timestamp) });
const AttributeDef = Type.Object({
  key: Type.String(),
  label: Type.String(),
  type: Type.String(),
  required: Type.Boolean(),
  options: Type.Array(Type.String()),
  position: Type.Integer(),
  createdAt: Timestamp,
});
const KeyParams = Type.Object({ key: AttrKey }, strict);

const wholeList = <T>(items: T[]) => ({ items, nextCursor: null });

/** Members, cards, attributes, tags and join applications under /api/v1. */
export function membersRoutes(deps: { database: Database; config: Readonly<Config> }): FastifyPluginAsyncTypebox {
  const { db } = deps.database;

  return async (app) => {
    const tags = ['members'];

    // ------------------------------------------------------------ members
    app.post(
      '/members',
      {
        config: { access: 'tenant', permission: 'members.write' },
        schema: {
          tags,
          summary: 'Register a member (a card number is assigned at once)',
          body: Type.Object(
            {
              phone: Phone,
              name: Type.Optional(PersonName),
              gender: Type.Optional(Gender),
              birthday: Type.Optional(DateString),
              email: Type.Optional(Email),
              storeId: Type.Optional(IdString),
              attributes: Type.Optional(Attributes),
              tags: Type.Optional(Tags),
              cardNo: Type.Optional(Type.String({ ...CardNo, description: 'a free pool number (special ones too) or an unused number of the plan' })),
            },
            strict,
          ),
          response: { 201: Member },
        },
      },
      async (request, reply) => {
        const actor = tenantActor(request);
        const source = actor.type === 'api_key' ? 'api' : 'counter';
        return reply.status(201).send(await withTenant(db, actor.tenantId, (tx) => svc.createMember(tx, actor, request.body, source)));
      },
    );

    app.get(
      '/members',
      {
        config: { access: 'tenant', permission: 'members.read' },
        schema: {
          tags,
          summary: 'Search members (newest first, keyset pages)',
          querystring: Type.Object(
            {
              ...PageQuery,
              q: Type.Optional(Type.String({ maxLength: 100, description: 'fragment of name, phone or card number' })),
              phone: Type.Optional(Phone),
              cardNo: Type.Optional(CardNo),
              tier: Type.Optional(Type.String({ maxLength: 40 })),
              tag: Type.Optional(Type.String({ maxLength: 32 })),
              status: Type.Optional(Status),
              storeId: Type.Optional(IdString),
            },
            strict,
          ),
          response: { 200: pageOf(Member) },
        },
      },
      async (request) => {
        const actor = tenantActor(request);
        const { limit, ...rest } = request.query;
        return withTenant(db, actor.tenantId, (tx) => svc.listMembers(tx, actor, { ...rest, limit: limit ?? 50 }));
      },
    );

    app.get(
      '/members/lookup',
      {
        config: { access: 'tenant', permission: 'members.read' },
        schema: {
          tags,
          summary: 'Find one member by phone (any accepted form) or card number',
          querystring: Type.Object({ key: Type.String({ minLength: 1, maxLength: 32 }) }, strict),
          response: { 200: Member },
        },
      },
      async (request) => {
        return inTenant(db, request, (tx, actor) => svc.lookupMember(tx, actor, request.query.key));
      },
    );

    // ------------------------------------------------------------ settings (static paths before /members/:id)
    app.get(
      '/members/settings',
      { config: { access: 'tenant', permission: 'members.read' }, schema: { tags, summary: 'Card-number plan and joining review', response: { 200: Settings } } },
      async (request) => {
        return inTenant(db, request, (tx, actor) => cfg.getSettings(tx, actor.tenantId));
      },
    );
    app.put(
      '/members/settings',
      {
        config: { access: 'tenant', permission: 'settings.manage' },
        schema: {
          tags,
          summary: 'Change the card-number plan and joining review (fields left out keep their values)',
          body: Type.Object(
            {
              cardMode: Type.Optional(Type.Union([Type.Literal('sequence'), Type.Literal('pool')])),
              cardPrefix: Type.Optional(CardPrefix),
              cardDigits: Type.Optional(CardPlanDigits),
              cardCheckDigit: Type.Optional(Type.Boolean()),
              reviewApplications: Type.Optional(Type.Boolean()),
            },
            { ...strict, minProperties: 1 },
          ),
          response: { 200: Settings },
        },
      },
      async (request) => {
        return inTenant(db, request, (tx, actor) => cfg.putSettings(tx, actor, request.body));
      },
    );

    // ------------------------------------------------------------ card pool
    app.post(
      '/members/card-pool/batch',
      {
        config: { access: 'tenant', permission: 'settings.manage' },
        schema: {
          tags,
          summary: 'Generate a batch of card numbers into the pool (existing numbers are skipped)',
          body: Type.Object(
            {
              prefix: CardPrefix,
              digits: CardPlanDigits,
              from: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
              count: Type.Integer({ minimum: 1, maximum: cfg.MAX_POOL_BATCH }),
              checkDigit: Type.Optional(Type.Boolean()),
              batch: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })),
            },
            strict,
          ),
          response: {
            201: Type.Object({
              requested: Type.Integer(),
              added: Type.Integer(),
              skipped: Type.Integer(),
              batch: nullable(Type.String()),
              first: Type.String(),
              last: Type.String(),
            }),
          },
        },
      },
      async (request, reply) => {
        return reply.status(201).send(await inTenant(db, request, (tx, actor) => cfg.addPoolBatch(tx, actor, request.body)));
      },
    );
    app.post(
      '/members/card-pool',
      {
        config: { access: 'tenant', permission: 'settings.manage' },
        schema: {
          tags,
          summary: 'Add one card number (a special number is only handed out on request)',
          body: Type.Object({ cardNo: CardNo, special: Type.Optional(Type.Boolean({ default: true })), batch: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })) }, strict),
          response: { 201: PoolEntry },
        },
      },
      async (request, reply) => {
        return reply.status(201).send(await inTenant(db, request, (tx, actor) => cfg.addPoolNumber(tx, actor, request.body)));
      },
    );
    app.get(
      '/members/card-pool',
      {
        config: { access: 'tenant', permission: 'members.write' },
        schema: {
          tags,
          summary: 'Card numbers in the pool, in order',
          querystring: Type.Object(
            {
              ...PageQuery,
              status: Type.Optional(Type.Union([Type.Literal('free'), Type.Literal('used')])),
              special: Type.Optional(Type.Boolean()),
              batch: Type.Optional(Type.String({ maxLength: 40 })),
            },
            strict,
          ),
          response: { 200: pageOf(PoolEntry) },
        },
      },
      async (request) => {
        const actor = tenantActor(request);
        const { limit, ...rest } = request.query;
        return withTenant(db, actor.tenantId, (tx) => cfg.listPool(tx, actor.tenantId, { ...rest, limit: limit ?? 50 }));
      },
    );
    app.get(
      '/members/card-pool/counts',
      {
        config: { access: 'tenant', permission: 'members.write' },
        schema: {
          tags,
          summary: 'How many pool numbers are free (ordinary and special) and used',
          response: { 200: Type.Object({ free: Type.Integer(), freeSpecial: Type.Integer(), used: Type.Integer(), total: Type.Integer() }) },
        },
      },
      async (request) => {
        return inTenant(db, request, (tx, actor) => cfg.poolCounts(tx, actor.tenantId));
      },
    );

    // ------------------------------------------------------------ attribute definitions
    app.get(
      '/members/attributes',
      { config: { access: 'tenant', permission: 'members.read' }, schema: { tags, summary: 'Merchant-defined member attributes, in form order', response: { 200: pageOf(AttributeDef) } } },
      async (request) => {
        return wholeList(await inTenant(db, request, (tx, actor) => cfg.listAttributeDefs(tx, actor.tenantId)));
      },
    );
    app.post(
      '/members/attributes',
      {
        config: { access: 'tenant', permission: 'settings.manage' },
        schema: {
          tags,
          summary: 'Define a member attribute (at most 30)',
          body: Type.Object(
            {
              key: AttrKey,
              label: Type.String({ minLength: 1, maxLength: 50 }),
              type: AttrType,
              required: Type.Optional(Type.Boolean()),
              options: Type.Optional(Options),
              position: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 })),
            },
            strict,
          ),
          response: { 201: AttributeDef },
        },
      },
      async (request, reply) => {
        const actor = tenantActor(request);
        const body = request.body as cfg.AttributeDefInput;
        return reply.status(201).send(await withTenant(db, actor.tenantId, (tx) => cfg.createAttributeDef(tx, actor, body)));
      },
    );
    app.patch(
      '/members/attributes/:key',
      {
        config: { access: 'tenant', permission: 'settings.manage' },
        schema: {
          tags,
          params: KeyParams,
          body: Type.Object(
            {
              label: Type.Optional(Type.String({ minLength: 1, maxLength: 50 })),
              required: Type.Optional(Type.Boolean()),
              options: Type.Optional(Options),
              position: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 })),
            },
            { ...strict, minProperties: 1 },
          ),
          response: { 200: AttributeDef },
        },
      },
      async (request) => {
        return inTenant(db, request, (tx, actor) => cfg.updateAttributeDef(tx, actor, request.params.key, request.body));
      },
    );
    app.delete(
      '/members/attributes/:key',
      {
        config: { access: 'tenant', permission: 'settings.manage' },
        schema: {
          tags,
          summary: 'Delete an attribute: 409 while members hold values, unless ?purge=true also removes them',
          params: KeyParams,
          querystring: Type.Object({ purge: Type.Optional(Type.Boolean()) }, strict),
        },
      },
      async (request, reply) => {
        await inTenant(db, request, (tx, actor) => cfg.deleteAttributeDef(tx, actor, request.params.key, { purge: request.query.purge }));
        return reply.status(204).send();
      },
    );

    // ------------------------------------------------------------ tags
    app.get(
      '/members/tags',
      {
        config: { access: 'tenant', permission: 'members.read' },
        schema: { tags, summary: 'Tags in use, with member counts', response: { 200: pageOf(Type.Object({ tag: Type.String(), count: Type.Integer() })) } },
      },
      async (request) => {
        return wholeList(await inTenant(db, request, (tx, actor) => cfg.listTags(tx, actor.tenantId)));
      },
    );

    // ------------------------------------------------------------ one member
    app.get(
      '/members/:id',
      { config: { access: 'tenant', permission: 'members.read' }, schema: { tags, params: IdParams, response: { 200: Member } } },
      async (request) => {
        return inTenant(db, request, (tx, actor) => svc.getMember(tx, actor, request.params.id));
      },
    );
    app.patch(
      '/members/:id',
      {
        config: { access: 'tenant', permission: 'members.write' },
        schema: {
          tags,
          summary: 'Change profile fields; attributes merge (null clears one), tags replace',
          params: IdParams,
          body: Type.Object(
            {
              name: Type.Optional(nullable(PersonName)),
              gender: Type.Optional(nullable(Gender)),
              birthday: Type.Optional(nullable(DateString)),
              storeId: Type.Optional(nullable(IdString)),
              attributes: Type.Optional(Attributes),
              tags: Type.Optional(Tags),
              smsOptOut: Type.Optional(Type.Boolean()),
              email: Type.Optional(nullable(Email)),
              emailOptOut: Type.Optional(Type.Boolean()),
              status: Type.Optional(Status),
            },
            { ...strict, minProperties: 1 },
          ),
          response: { 200: Member },
        },
      },
      async (request) => {
        return inTenant(db, request, (tx, actor) => svc.updateMember(tx, actor, request.params.id, request.body));
      },
    );
    app.post(
      '/members/:id/phone',
      {
        config: { access: 'tenant', permission: 'members.write' },
        schema: {
          tags,
          summary: 'Rebind the card to a new phone number (card, balances and history stay)',
          params: IdParams,
          body: Type.Object({ phone: Phone, reason: Type.String({ minLength: 1, maxLength: 200 }) }, strict),
          response: { 200: Member },
        },
      },
      async (request) => {
        return inTenant(db, request, (tx, actor) => svc.changePhone(tx, actor, request.params.id, request.body));
      },
    );
    app.get(
      '/members/:id/changes',
      {
        config: { access: 'tenant', permission: 'members.read' },
        schema: { tags, summary: 'Change history, newest first', params: IdParams, querystring: Type.Object(PageQuery, strict), response: { 200: pageOf(Change) } },
      },
      async (request) => {
        return inTenant(db, request, (tx, actor) => svc.listChanges(tx, actor, request.params.id, { limit: request.query.limit ?? 50, cursor: request.query.cursor }));
      },
    );

    // ------------------------------------------------------------ join applications
    const appTags = ['member-applications'];
    app.post(
      '/member-applications',
      {
        config: { access: 'tenant', permission: 'members.write' },
        schema: {
          tags: appTags,
          summary: 'File a join application (approved at once when the merchant does not review)',
          body: Type.Object(
            {
              phone: Phone,
              name: Type.Optional(PersonName),
              gender: Type.Optional(Gender),
              birthday: Type.Optional(DateString),
              storeId: Type.Optional(IdString),
              attributes: Type.Optional(Attributes),
              tags: Type.Optional(Tags),
              source: Type.Optional(AppSource),
            },
            strict,
          ),
          response: { 201: Type.Intersect([Application, Type.Object({ member: nullable(Member) })]) },
        },
      },
      async (request, reply) => {
        const actor = tenantActor(request);
        const { application, member } = await withTenant(db, actor.tenantId, (tx) => apps.createApplication(tx, actor, request.body));
        return reply.status(201).send({ ...application, member });
      },
    );
    app.get(
      '/member-applications',
      {
        config: { access: 'tenant', permission: 'members.read' },
        schema: { tags: appTags, querystring: Type.Object({ ...PageQuery, status: Type.Optional(AppStatus) }, strict), response: { 200: pageOf(Application) } },
      },
      async (request) => {
        const actor = tenantActor(request);
        const { limit, ...rest } = request.query;
        return withTenant(db, actor.tenantId, (tx) => apps.listApplications(tx, actor, { ...rest, limit: limit ?? 50 }));
      },
    );
    app.get(
      '/member-applications/:id',
      { config: { access: 'tenant', permission: 'members.read' }, schema: { tags: appTags, params: IdParams, response: { 200: Application } } },
      async (request) => {
        return inTenant(db, request, (tx, actor) => apps.getApplication(tx, actor, request.params.id));
      },
    );
    app.post(
      '/member-applications/:id/approve',
      {
        config: { access: 'tenant', permission: 'members.write' },
        schema: {
          tags: appTags,
          summary: 'Approve: creates the member with a card number',
          params: IdParams,
          body: Type.Optional(Type.Object({ cardNo: Type.Optional(CardNo) }, strict)),
          response: { 200: Type.Object({ application: Application, member: Member }) },
        },
      },
      async (request) => {
        return inTenant(db, request, (tx, actor) => apps.approveApplication(tx, actor, request.params.id, { cardNo: request.body?.cardNo }));
      },
    );
    app.post(
      '/member-applications/:id/reject',
      {
        config: { access: 'tenant', permission: 'members.write' },
        schema: {
          tags: appTags,
          params: IdParams,
          body: Type.Object({ reason: Type.String({ minLength: 1, maxLength: 200 }) }, strict),
          response: { 200: Application },
        },
      },
      async (request) => {
        return inTenant(db, request, (tx, actor) => apps.rejectApplication(tx, actor, request.params.id, request.body.reason));
      },
    );
  };
}
