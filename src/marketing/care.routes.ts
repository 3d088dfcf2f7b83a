/**
 * Automated care routes (all `campaigns.manage`): the rules, the log of care messages, and the
 * merchant's manual run.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Database } from '../platform/db/client.js';
import { withTenant } from '../platform/db/with-tenant.js';
import { tenantActor } from '../platform/http/auth.js';
import { audit } from '../platform/tenancy/audit.js';
import { inTenant } from '../platform/http/tenant-tx.js';
import { IdString, Timestamp } from '../platform/http/schemas.js';
import { PageQuery, pageOf } from '../platform/http/pagination.js';
import type { CareKind } from './care.rules.js';
import * as svc from './care.service.js';

const strict = { additionalProperties: false } as const;
const Kind = Type.Union(
  [Type.Literal('birthday'), Type.Literal('inactive'), Type.Literal('tier_upgrade'), Type.Literal('points_change'), Type.Literal('points_expiring')],
  { description: 'birthday | inactive | tier_upgrade | points_change | points_expiring' },
);
const Channel = Type.Union([Type.Literal('sms'), Type.Literal('email')]);

const Rule = Type.Object({
  id: Type.Union([IdString, Type.Null()]),
  kind: Kind,
  enabled: Type.Boolean(),
  channel: Channel,
  subject: Type.Union([Type.String(), Type.Null()]),
  template: Type.String(),
  sendTime: Type.String(),
  days: Type.Union([Type.Integer(), Type.Null()]),
  minPoints: Type.Union([Type.Integer(), Type.Null()]),
  messageKind: Type.Union([Type.Literal('marketing'), Type.Literal('service')]),
  updatedBy: Type.Union([Type.String(), Type.Null()]),
  updatedAt: Type.Union([Timestamp, Type.Null()]),
});

const RuleBody = Type.Object(
  {
    enabled: Type.Boolean(),
    channel: Channel,
    subject: Type.Optional(Type.Union([Type.String({ maxLength: 1000 }), Type.Null()], { description: 'email only: the subject template' })),
    template: Type.String({ minLength: 1, maxLength: 20_000, description: 'SMS: {name} {cardNo} {points} {tier} {storedValue} {store} {phone} {merchant}; email: the same without {phone}' }),
    sendTime: Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$', description: 'local time of day HH:MM (merchant timezone)' }),
    days: Type.Optional(Type.Union([Type.Integer(), Type.Null()], { description: 'birthday: days before (0–30); inactive: days without purchase (1–3650); points_expiring: days ahead (1–365)' })),
    minPoints: Type.Optional(Type.Union([Type.Integer(), Type.Null()], { description: 'points_change: smallest change notified (default 1)' })),
  },
  strict,
);

const Send = Type.Object({
  id: IdString,
  ruleId: IdString,
  kind: Kind,
  channel: Channel,
  memberId: IdString,
  memberName: Type.Union([Type.String(), Type.Null()]),
  phone: Type.String(),
  occasion: Type.String(),
  messageId: Type.Union([IdString, Type.Null()]),
  status: Type.String(),
  failReason: Type.Union([Type.String(), Type.Null()]),
  sentAt: Timestamp,
});

const RunResult = Type.Object({
  kind: Kind,
  ruleId: IdString,
  skipped: Type.Optional(Type.String()),
  queued: Type.Integer(),
  suppressed: Type.Integer(),
  failed: Type.Integer(),
});

export function careRoutes(deps: { database: Database }): FastifyPluginAsyncTypebox {
  const { db } = deps.database;
  return async (app) => {
    const tags = ['care'];
    const permission = 'campaigns.manage' as const;

    app.get(
      '/care/rules',
      {
        config: { access: 'tenant', permission },
        schema: { tags, summary: 'The automated care rules, one per kind (a kind never saved shows its default, off)', response: { 200: Type.Object({ items: Type.Array(Rule) }) } },
      },
      async (request) => inTenant(db, request, async (tx, actor) => ({ items: await svc.listRules(tx, actor.tenantId) })),
    );

    app.put(
      '/care/rules/:kind',
      {
        config: { access: 'tenant', permission },
        schema: {
          tags,
          summary: 'Save the care rule of a kind (template variables checked; fields of other kinds refused)',
          params: Type.Object({ kind: Kind }, strict),
          body: RuleBody,
          response: { 200: Rule },
        },
      },
      async (request) => inTenant(db, request, (tx, actor) => svc.putRule(tx, actor, request.params.kind as CareKind, request.body)),
    );

    app.get(
      '/care/sends',
      {
        config: { access: 'tenant', permission },
        schema: {
          tags,
          summary: 'Care messages sent, newest first (phones and names masked without members.pii)',
          querystring: Type.Object({ kind: Type.Optional(Kind), memberId: Type.Optional(IdString), ...PageQuery }, strict),
          response: { 200: pageOf(Send) },
        },
      },
      async (request) =>
        inTenant(db, request, (tx, actor) => {
          const q = request.query;
          return svc.listSends(tx, actor, {
            limit: q.limit ?? 50,
            ...(q.kind ? { kind: q.kind as CareKind } : {}),
            ...(q.memberId ? { memberId: q.memberId } : {}),
            ...(q.cursor ? { cursor: q.cursor } : {}),
          });
        }),
    );

    app.post(
      '/care/run',
      {
        config: { access: 'tenant', permission },
        schema: {
          tags,
          summary: 'Run the enabled care rules now, whatever their send time (each occasion is still greeted once)',
          body: Type.Object({ kind: Type.Optional(Kind) }, strict),
          response: { 200: Type.Object({ rules: Type.Array(RunResult) }) },
        },
      },
      async (request) => {
        const actor = tenantActor(request);
        const kind = request.body.kind as CareKind | undefined;
        const rules = await svc.runNow(db, actor, kind);
        const queued = rules.reduce((n, r) => n + r.queued, 0);
        await withTenant(db, actor.tenantId, (tx) => audit(tx, actor, 'care.run', null, { kind: kind ?? null, queued }));
        return { rules };
      },
    );
  };
}
