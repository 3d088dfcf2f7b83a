/**
 * Member events (活动管理) routes, all under campaigns.manage: CRUD, invite the targets by SMS
 * (the event's sub-code), sign-ups (console; SMS replies come through messaging's inbound),
 * attendance with activity points, results. See events.service.ts.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Database } from '../platform/db/client.js';
import { tenantActor } from '../platform/http/auth.js';
import { inTenant } from '../platform/http/tenant-tx.js';
import { IdParams, IdString, Timestamp } from '../platform/http/schemas.js';
import * as svc from './events.service.js';

const strict = { additionalProperties: false } as const;
const Nullable = <T extends import('typebox').TSchema>(t: T) => Type.Union([t, Type.Null()]);

const EventBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    place: Type.Optional(Type.String({ maxLength: 200 })),
    startsAt: Timestamp,
    endsAt: Timestamp,
    capacity: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'omitted = no limit' })),
    signupDeadline: Type.Optional(Timestamp),
    segmentId: Type.Optional(IdString),
    filter: Type.Optional(Type.Unknown({ description: 'a segment filter (see POST /segments/preview); give this or segmentId' })),
    invitation: Type.String({ minLength: 1, maxLength: 500, description: 'SMS text; variables {name} {cardNo} {merchant} {event} {place} {startsAt}' }),
    confirmation: Type.Optional(Type.String({ minLength: 1, maxLength: 500, description: 'reply to an SMS sign-up (same variables); omitted = the default' })),
    points: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000, description: 'activity points for attending' })),
  },
  strict,
);
const Event = Type.Object({
  id: IdString,
  name: Type.String(),
  description: Type.String(),
  place: Type.String(),
  startsAt: Timestamp,
  endsAt: Timestamp,
  capacity: Nullable(Type.Integer()),
  signupDeadline: Nullable(Timestamp),
  segmentId: Nullable(IdString),
  filter: Type.Unknown(),
  invitation: Type.String(),
  confirmation: Type.String(),
  points: Type.Integer(),
  subCode: Nullable(Type.String({ description: 'replies to the invitation come back on the port + this sub-code' })),
  invitedAt: Nullable(Timestamp),
  signedUp: Type.Integer(),
  createdBy: Type.String(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
const MemberParams = Type.Object({ id: IdString, memberId: IdString }, strict);

export function eventRoutes(deps: { database: Database }): FastifyPluginAsyncTypebox {
  const { db, pool } = deps.database;
  return async (app) => {
    const tags = ['marketing'];
    const permission = 'campaigns.manage' as const;
    const config = { access: 'tenant' as const, permission };

    app.post('/events', { config, schema: { tags, summary: 'Create an event', body: EventBody, response: { 201: Event } } }, async (request, reply) =>
      reply.status(201).send(await inTenant(db, request, (tx, actor) => svc.createEvent(tx, actor, request.body))),
    );
    app.get(
      '/events',
      { config, schema: { tags, summary: 'Events, latest start first (at most 500)', response: { 200: Type.Object({ items: Type.Array(Event), nextCursor: Type.Null() }) } } },
      async (request) => inTenant(db, request, async (tx, actor) => ({ items: await svc.listEvents(tx, actor.tenantId), nextCursor: null })),
    );
    app.get('/events/:id', { config, schema: { tags, summary: 'One event', params: IdParams, response: { 200: Event } } }, async (request) =>
      inTenant(db, request, (tx, actor) => svc.getEvent(tx, actor.tenantId, request.params.id)),
    );
    app.put('/events/:id', { config, schema: { tags, summary: 'Change an event (capacity not below the sign-ups)', params: IdParams, body: EventBody, response: { 200: Event } } }, async (request) =>
      inTenant(db, request, (tx, actor) => svc.updateEvent(tx, actor, request.params.id, request.body)),
    );
    app.delete('/events/:id', { config, schema: { tags, summary: 'Delete an event (409 once attendance is recorded)', params: IdParams } }, async (request, reply) => {
      await inTenant(db, request, (tx, actor) => svc.deleteEvent(tx, actor, request.params.id));
      return reply.status(204).send();
    });

    app.post(
      '/events/:id/invite',
      {
        config,
        schema: {
          tags,
          summary: 'Send the invitation (marketing SMS from the event sub-code) to the targeted members not invited yet; opted-out members get nothing',
          params: IdParams,
          response: {
            202: Type.Object({ subCode: Type.String(), targeted: Type.Integer(), queued: Type.Integer(), optedOut: Type.Integer(), failed: Type.Integer(), alreadyInvited: Type.Integer() }),
          },
        },
      },
      async (request, reply) => reply.status(202).send(await inTenant(db, request, (tx, actor) => svc.inviteEvent(tx, actor, request.params.id))),
    );

    app.get(
      '/events/:id/signups',
      { config, schema: { tags, summary: 'Members signed up (phones and names masked without members.pii)', params: IdParams } },
      async (request) => inTenant(db, request, async (tx, actor) => ({ items: await svc.listSignups(tx, actor.tenantId, request.params.id, actor.permissions.has('members.pii')), nextCursor: null })),
    );
    app.post(
      '/events/:id/signups',
      {
        config,
        schema: {
          tags,
          summary: 'Sign a member up (409 event_full, signup_closed, already_signed_up)',
          params: IdParams,
          body: Type.Object({ memberId: IdString }, strict),
          response: { 201: Type.Object({ eventId: IdString, memberId: IdString, via: Type.Literal('console') }) },
        },
      },
      async (request, reply) => reply.status(201).send(await inTenant(db, request, (tx, actor) => svc.signUpByConsole(tx, actor, request.params.id, request.body.memberId))),
    );
    app.delete('/events/:id/signups/:memberId', { config, schema: { tags, summary: 'Cancel a sign-up', params: MemberParams } }, async (request, reply) => {
      await inTenant(db, request, (tx, actor) => svc.cancelSignup(tx, actor, request.params.id, request.params.memberId));
      return reply.status(204).send();
    });

    app.post(
      '/events/:id/attendance',
      {
        config,
        schema: {
          tags,
          summary: "Record attendance and award the event's points once per member (through the loyalty ledger)",
          params: IdParams,
          body: Type.Object({ memberIds: Type.Array(IdString, { minItems: 1, maxItems: 500 }) }, strict),
          response: { 200: Type.Object({ recorded: Type.Integer(), alreadyRecorded: Type.Integer(), pointsAwarded: Type.Integer(), membersAwarded: Type.Integer() }) },
        },
      },
      async (request) => svc.recordAttendance(db, pool, tenantActor(request), request.params.id, request.body.memberIds),
    );

    app.get(
      '/events/:id/results',
      {
        config,
        schema: {
          tags,
          summary: 'Invited, signed up (SMS / console), attended, points awarded, and purchases of attendees in [startsAt, startsAt + days)',
          params: IdParams,
          querystring: Type.Object({ days: Type.Optional(Type.Integer({ minimum: 1, maximum: 365, default: 7 })) }, strict),
        },
      },
      async (request) => inTenant(db, request, (tx, actor) => svc.eventResults(tx, actor.tenantId, request.params.id, request.query.days ?? 7)),
    );
  };
}
