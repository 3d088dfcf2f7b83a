/**
 * Marketing routes: api.md "Segments and campaigns" — segments (preview, saved segments and
 * their counts). Campaigns come later in this folder.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Database } from '../platform/db/client.js';
import { inTenant } from '../platform/http/tenant-tx.js';
import { IdParams, IdString, Timestamp } from '../platform/http/schemas.js';
import * as svc from './segments.service.js';

const strict = { additionalProperties: false } as const;

const Filter = Type.Unknown({
  description:
    'A filter: {all: [...]}, {any: [...]}, {not: {...}} or a condition {field, op, value, days?}. Fields: name, gender, phone, cardNo, createdAt, storeId, smsOptOut, status, attributes.<key>, tag, tier, points, tierPoints, storedValueFen, birthdayMonth, lastVisitDaysAgo, spendFen + days, visits + days. At most 100 conditions, 8 levels.',
});
const Name = Type.String({ minLength: 1, maxLength: 100 });
const Segment = Type.Object({
  id: IdString,
  name: Type.String(),
  filter: Type.Unknown(),
  createdBy: Type.String(),
  createdAt: Timestamp,
  updatedBy: Type.String(),
  updatedAt: Timestamp,
});
const SegmentBody = Type.Object({ name: Name, filter: Filter }, strict);

export function marketingRoutes(deps: { database: Database }): FastifyPluginAsyncTypebox {
  const { db } = deps.database;
  return async (app) => {
    const tags = ['marketing'];
    const permission = 'campaigns.manage' as const;

    app.post(
      '/segments/preview',
      {
        config: { access: 'tenant', permission },
        schema: {
          tags,
          summary: 'Count the members a filter matches, with up to 10 of them (newest first; phones and names masked without members.pii; no sample without members.read)',
          body: Type.Object({ filter: Filter }, strict),
          response: {
            200: Type.Object({ count: Type.Integer(), sample: Type.Array(Type.Unknown({ description: 'Member, as GET /members returns it' })) }),
          },
        },
      },
      async (request) => {
        return inTenant(db, request, async (tx, actor) => {
          const res = await svc.preview(tx, actor, request.body.filter);
          return actor.permissions.has('members.read') ? res : { count: res.count, sample: [] };
        });
      },
    );

    app.post(
      '/segments',
      { config: { access: 'tenant', permission }, schema: { tags, summary: 'Save a segment', body: SegmentBody, response: { 201: Segment } } },
      async (request, reply) => {
        return reply.status(201).send(await inTenant(db, request, (tx, actor) => svc.createSegment(tx, actor, request.body)));
      },
    );

    app.get(
      '/segments',
      {
        config: { access: 'tenant', permission },
        schema: { tags, summary: 'Saved segments, newest first (at most 500)', response: { 200: Type.Object({ items: Type.Array(Segment), nextCursor: Type.Null() }) } },
      },
      async (request) => {
        return inTenant(db, request, async (tx, actor) => ({ items: await svc.listSegments(tx, actor.tenantId), nextCursor: null }));
      },
    );

    app.get(
      '/segments/:id',
      { config: { access: 'tenant', permission }, schema: { tags, summary: 'One saved segment', params: IdParams, response: { 200: Segment } } },
      async (request) => {
        return inTenant(db, request, (tx, actor) => svc.getSegment(tx, actor.tenantId, request.params.id));
      },
    );

    app.put(
      '/segments/:id',
      { config: { access: 'tenant', permission }, schema: { tags, summary: 'Rename a segment or change its filter', params: IdParams, body: SegmentBody, response: { 200: Segment } } },
      async (request) => {
        return inTenant(db, request, (tx, actor) => svc.updateSegment(tx, actor, request.params.id, request.body));
      },
    );

    app.delete(
      '/segments/:id',
      { config: { access: 'tenant', permission }, schema: { tags, summary: 'Delete a segment', params: IdParams } },
      async (request, reply) => {
        await inTenant(db, request, (tx, actor) => svc.deleteSegment(tx, actor, request.params.id));
        return reply.status(204).send();
      },
    );

    app.get(
      '/segments/:id/count',
      {
        config: { access: 'tenant', permission },
        schema: {
          tags,
          summary: "The current number of members in a saved segment (409 when an attribute its filter names has been deleted since)",
          params: IdParams,
          response: { 200: Type.Object({ id: IdString, count: Type.Integer(), countedAt: Timestamp }) },
        },
      },
      async (request) => {
        return inTenant(db, request, (tx, actor) => svc.segmentCount(tx, actor.tenantId, request.params.id));
      },
    );
  };
}
