/**
 * Campaign routes (api.md "Segments and campaigns"): create with estimate, preview, list,
 * read with live stats, send / pause / resume / cancel, delete a draft, results against the
 * hold-out, settings.
 * All under campaigns.manage; sending needs campaigns.approve when the merchant requires
 * approval; changing the settings needs campaigns.approve.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Database } from '../platform/db/client.js';
import { withTenant } from '../platform/db/with-tenant.js';
import { tenantActor } from '../platform/http/auth.js';
import { inTenant } from '../platform/http/tenant-tx.js';
import { IdParams, IdString, Timestamp } from '../platform/http/schemas.js';
import type { CampaignRuntime } from './campaigns.fanout.js';
import * as svc from './campaigns.service.js';
import { cancelCampaign, deleteCampaign } from './campaigns.cancel.js';

const strict = { additionalProperties: false } as const;

const Estimate = Type.Object({ recipients: Type.Integer(), suppressed: Type.Integer(), segments: Type.Integer(), costFen: Type.Integer() });
const Template = Type.Union([
  Type.String({ description: 'SMS text' }),
  Type.Object({ text: Type.String() }, strict),
  Type.Object({ subject: Type.String(), body: Type.String() }, strict),
]);
const Campaign = Type.Object({
  id: IdString,
  name: Type.String(),
  channel: Type.Union([Type.Literal('sms'), Type.Literal('email')]),
  segmentId: Type.Union([IdString, Type.Null()]),
  filter: Type.Unknown(),
  template: Type.Unknown(),
  marketing: Type.Boolean(),
  scheduleAt: Type.Union([Timestamp, Type.Null()]),
  holdoutPct: Type.Integer(),
  status: Type.String({ description: 'draft | scheduled | sending | paused | done | cancelled' }),
  subCode: Type.String({ description: 'replies to the campaign SMS come back on the port + this sub-code' }),
  estimate: Estimate,
  approvedBy: Type.Union([Type.String(), Type.Null()]),
  createdBy: Type.String(),
  createdAt: Timestamp,
  startedAt: Type.Union([Timestamp, Type.Null()]),
  finishedAt: Type.Union([Timestamp, Type.Null()]),
});
const Stats = Type.Object({
  recipients: Type.Integer({ description: 'snapshot, hold-out excluded' }),
  queued: Type.Integer(),
  sent: Type.Integer(),
  delivered: Type.Integer(),
  failed: Type.Integer(),
  suppressed: Type.Integer(),
  replies: Type.Integer(),
  optOuts: Type.Integer(),
  holdout: Type.Integer(),
  suppressedBy: Type.Record(Type.String(), Type.Integer()),
  cancelled: Type.Integer({ description: 'recipients who get nothing because the campaign was cancelled' }),
  cancelledMessages: Type.Integer({ description: 'messages withdrawn from the outbox by the cancel (refunded), not in failed' }),
  heldForQuietHours: Type.Integer(),
});
const CampaignWithStats = Type.Intersect([Campaign, Type.Object({ stats: Stats })]);
const Preview = Type.Object({
  memberId: Type.Union([IdString, Type.Null()]),
  subject: Type.Optional(Type.String()),
  text: Type.Union([Type.String(), Type.Null()]),
  characters: Type.Integer(),
  segments: Type.Integer(),
  encoding: Type.Union([Type.String(), Type.Null()]),
  tooLong: Type.Boolean(),
});
const Settings = Type.Object({
  needsApproval: Type.Boolean(),
  frequencyCap: Type.Object({ messages: Type.Integer({ minimum: 0, maximum: 1000, description: '0 = no cap' }), days: Type.Integer({ minimum: 1, maximum: 365 }) }, strict),
});
const Group = Type.Object({
  members: Type.Integer(),
  purchasers: Type.Integer(),
  purchases: Type.Integer(),
  revenueFen: Type.Integer(),
  conversionRate: Type.Number(),
  purchasesPerMember: Type.Number(),
  revenuePerMemberFen: Type.Number(),
});

export function campaignRoutes(deps: { database: Database; campaigns: CampaignRuntime }): FastifyPluginAsyncTypebox {
  const { db } = deps.database;
  const runtime = deps.campaigns;
  return async (app) => {
    const tags = ['marketing'];
    const permission = 'campaigns.manage' as const;

    /** After the commit: hand the run to pg-boss; if that fails, put the campaign back. */
    async function enqueueOrUndo(tenantId: string, id: string, startAfter: Date | null, undo: 'draft' | 'paused') {
      try {
        await runtime.enqueue(tenantId, id, startAfter);
      } catch (err) {
        await withTenant(db, tenantId, (tx) => tx.execute(svc.setStatusSql(tenantId, id, undo)));
        throw err;
      }
    }

    app.get(
      '/campaigns/settings',
      { config: { access: 'tenant', permission }, schema: { tags, summary: 'Campaign settings: approval, frequency cap', response: { 200: Settings } } },
      async (request) => inTenant(db, request, (tx, actor) => svc.getSettings(tx, actor.tenantId)),
    );

    app.put(
      '/campaigns/settings',
      {
        config: { access: 'tenant', permission: 'campaigns.approve' },
        schema: { tags, summary: 'Change the campaign settings', body: Type.Partial(Settings, strict), response: { 200: Settings } },
      },
      async (request) => inTenant(db, request, (tx, actor) => svc.putSettings(tx, actor, request.body)),
    );

    app.post(
      '/campaigns',
      {
        config: { access: 'tenant', permission },
        schema: {
          tags,
          summary: 'Create a draft campaign, with its estimate',
          body: Type.Object(
            {
              name: Type.String({ minLength: 1, maxLength: 100 }),
              channel: Type.Union([Type.Literal('sms'), Type.Literal('email')]),
              segmentId: Type.Optional(IdString),
              filter: Type.Optional(Type.Unknown()),
              template: Template,
              marketing: Type.Boolean(),
              scheduleAt: Type.Optional(Type.String({ format: 'date-time' })),
              holdoutPct: Type.Optional(Type.Integer({ minimum: 0, maximum: 50 })),
            },
            strict,
          ),
          response: { 201: Campaign },
        },
      },
      async (request, reply) => reply.status(201).send(await inTenant(db, request, (tx, actor) => svc.createCampaign(tx, actor, request.body))),
    );

    app.get(
      '/campaigns',
      {
        config: { access: 'tenant', permission },
        schema: { tags, summary: 'Campaigns, newest first (at most 500)', response: { 200: Type.Object({ items: Type.Array(Campaign), nextCursor: Type.Null() }) } },
      },
      async (request) => inTenant(db, request, async (tx, actor) => ({ items: await svc.listCampaigns(tx, actor.tenantId), nextCursor: null })),
    );

    app.get(
      '/campaigns/:id',
      {
        config: { access: 'tenant', permission },
        schema: { tags, summary: 'One campaign with live stats', params: IdParams, response: { 200: CampaignWithStats } },
      },
      async (request) => inTenant(db, request, (tx, actor) => svc.getCampaign(tx, actor.tenantId, request.params.id)),
    );

    app.post(
      '/campaigns/preview',
      {
        config: { access: 'tenant', permission },
        schema: {
          tags,
          summary: 'The message a sample member of the segment (or memberId) would get from a campaign not saved yet; nothing is stored',
          body: Type.Object(
            {
              channel: Type.Union([Type.Literal('sms'), Type.Literal('email')]),
              segmentId: Type.Optional(IdString),
              filter: Type.Optional(Type.Unknown()),
              template: Template,
              marketing: Type.Boolean(),
              memberId: Type.Optional(IdString),
            },
            strict,
          ),
          response: { 200: Preview },
        },
      },
      async (request) => inTenant(db, request, (tx, actor) => svc.previewDraft(tx, actor.tenantId, request.body)),
    );

    app.post(
      '/campaigns/:id/preview',
      {
        config: { access: 'tenant', permission },
        schema: {
          tags,
          summary: 'The message a member would get (a sample member of the segment when none is given)',
          params: IdParams,
          body: Type.Optional(Type.Object({ memberId: Type.Optional(IdString) }, strict)),
          response: { 200: Preview },
        },
      },
      async (request) => inTenant(db, request, (tx, actor) => svc.previewCampaign(tx, actor.tenantId, request.params.id, request.body?.memberId)),
    );

    app.post(
      '/campaigns/:id/send',
      {
        config: { access: 'tenant', permission },
        schema: { tags, summary: 'Send (or schedule) a draft: 409 insufficient_credit when the credit does not cover the estimate', params: IdParams, response: { 202: Campaign } },
      },
      async (request, reply) => {
        const actor = tenantActor(request);
        const r = await inTenant(db, request, (tx, a) => svc.sendCampaign(tx, a, request.params.id));
        await enqueueOrUndo(actor.tenantId, request.params.id, r.startAfter, 'draft');
        return reply.status(202).send(r.campaign);
      },
    );

    app.post(
      '/campaigns/:id/pause',
      { config: { access: 'tenant', permission }, schema: { tags, summary: 'Pause sending (takes effect between batches)', params: IdParams, response: { 200: Campaign } } },
      async (request) => inTenant(db, request, (tx, actor) => svc.pauseCampaign(tx, actor, request.params.id)),
    );

    app.post(
      '/campaigns/:id/resume',
      { config: { access: 'tenant', permission }, schema: { tags, summary: 'Resume a paused campaign', params: IdParams, response: { 202: Campaign } } },
      async (request, reply) => {
        const actor = tenantActor(request);
        const r = await inTenant(db, request, (tx, a) => svc.resumeCampaign(tx, a, request.params.id));
        await enqueueOrUndo(actor.tenantId, request.params.id, r.startAfter, 'paused');
        return reply.status(202).send(r.campaign);
      },
    );

    app.post(
      '/campaigns/:id/cancel',
      {
        config: { access: 'tenant', permission },
        schema: {
          tags,
          summary: 'Cancel a scheduled, sending or paused campaign for good: pending recipients and unsent messages are dropped, their SMS cost refunded (409 for a draft: delete it)',
          params: IdParams,
          body: Type.Optional(Type.Object({}, strict)),
          response: { 200: CampaignWithStats },
        },
      },
      async (request) => inTenant(db, request, (tx, actor) => cancelCampaign(tx, actor, request.params.id)),
    );

    app.delete(
      '/campaigns/:id',
      { config: { access: 'tenant', permission }, schema: { tags, summary: 'Delete a draft campaign (409 once sent)', params: IdParams } },
      async (request, reply) => {
        await inTenant(db, request, (tx, actor) => deleteCampaign(tx, actor, request.params.id));
        return reply.status(204).send();
      },
    );

    app.get(
      '/campaigns/:id/results',
      {
        config: { access: 'tenant', permission },
        schema: {
          tags,
          summary: 'Purchases and revenue of the messaged recipients in the N days after sending, against the hold-out group',
          params: IdParams,
          querystring: Type.Object({ days: Type.Optional(Type.Integer({ minimum: 1, maximum: 365, default: 7 })) }, strict),
          response: {
            200: Type.Object({
              id: IdString,
              days: Type.Integer(),
              from: Timestamp,
              to: Timestamp,
              recipients: Group,
              holdout: Group,
              lift: Type.Union([Type.Object({ revenuePerMemberFen: Type.Number(), conversionRate: Type.Number() }), Type.Null()]),
            }),
          },
        },
      },
      async (request) => inTenant(db, request, (tx, actor) => svc.campaignResults(tx, actor.tenantId, request.params.id, request.query.days ?? 7)),
    );
  };
}
