/**
 * SMS lottery routes (短信抽奖): CRUD /lotteries, entries, the draw and its verification,
 * winners and prize collection. Permission: campaigns.manage, like segments.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Database } from '../platform/db/client.js';
import { inTenant } from '../platform/http/tenant-tx.js';
import { IdParams, IdString, Timestamp } from '../platform/http/schemas.js';
import { PageQuery, pageOf } from '../platform/http/pagination.js';
import { LOTTERY_TEMPLATE_KEYS } from './lottery.rules.js';
import * as svc from './lottery.service.js';

const strict = { additionalProperties: false } as const;
const Nullable = <T extends import('typebox').TSchema>(t: T) => Type.Union([t, Type.Null()]);

const DateTime = Type.String({
  maxLength: 40,
  description: 'YYYY-MM-DDTHH:mm[:ss] in the merchant timezone, or an instant with Z / ±HH:mm',
});
const Prize = Type.Object({ name: Type.String({ minLength: 1, maxLength: 50 }), count: Type.Integer({ minimum: 1, maximum: 10_000 }) }, strict);
const Templates = Type.Object(
  Object.fromEntries(LOTTERY_TEMPLATE_KEYS.map((k) => [k, Type.Optional(Type.String({ maxLength: 300 }))])),
  { ...strict, description: 'Reply templates (empty = no reply). Variables: {lottery} {prize} {answer} {merchant} {name} {cardNo} {phone}' },
);
const fields = {
  name: Type.String({ minLength: 1, maxLength: 100 }),
  answers: Type.Array(Type.String({ minLength: 1, maxLength: 50 }), { minItems: 1, maxItems: 20, description: 'Accepted answers; compared ignoring case, width and spaces' }),
  startsAt: DateTime,
  endsAt: DateTime,
  entriesPerPhone: Type.Integer({ minimum: 1, maximum: 100, description: 'Valid entries one phone may have (default 1)' }),
  membersOnly: Type.Boolean({ description: 'Only members may enter (default false: anyone)' }),
  prizes: Type.Array(Prize, { minItems: 1, maxItems: 50 }),
  templates: Templates,
};
const CreateBody = Type.Object(
  {
    name: fields.name,
    answers: fields.answers,
    startsAt: fields.startsAt,
    endsAt: fields.endsAt,
    entriesPerPhone: Type.Optional(fields.entriesPerPhone),
    membersOnly: Type.Optional(fields.membersOnly),
    prizes: fields.prizes,
    templates: Type.Optional(fields.templates),
  },
  strict,
);
const PatchBody = Type.Object(
  {
    name: Type.Optional(fields.name),
    answers: Type.Optional(fields.answers),
    startsAt: Type.Optional(fields.startsAt),
    endsAt: Type.Optional(fields.endsAt),
    entriesPerPhone: Type.Optional(fields.entriesPerPhone),
    membersOnly: Type.Optional(fields.membersOnly),
    prizes: Type.Optional(fields.prizes),
    templates: Type.Optional(fields.templates),
  },
  strict,
);

const Lottery = Type.Object({
  id: IdString,
  name: Type.String(),
  answers: Type.Array(Type.String()),
  startsAt: Timestamp,
  endsAt: Timestamp,
  timezone: Type.String(),
  entriesPerPhone: Type.Integer(),
  membersOnly: Type.Boolean(),
  prizes: Type.Array(Type.Object({ name: Type.String(), count: Type.Integer() })),
  templates: Type.Record(Type.String(), Type.String()),
  status: Type.Union([Type.Literal('scheduled'), Type.Literal('open'), Type.Literal('closed'), Type.Literal('drawn')]),
  entries: Type.Integer({ description: 'valid entries' }),
  attempts: Type.Integer({ description: 'every cj# routed to this lottery' }),
  drawnAt: Nullable(Timestamp),
  createdBy: Type.String(),
  createdAt: Timestamp,
  updatedBy: Type.String(),
  updatedAt: Timestamp,
});
const Outcome = Type.Union([Type.Literal('valid'), Type.Literal('wrong_answer'), Type.Literal('outside_window'), Type.Literal('already_entered'), Type.Literal('not_member')]);
const Entry = Type.Object({
  id: IdString,
  phone: Type.String({ description: 'masked without members.pii' }),
  memberId: Nullable(IdString),
  answer: Type.String(),
  outcome: Outcome,
  entryNo: Nullable(Type.Integer()),
  receivedAt: Timestamp,
});
const Winner = Type.Object({
  id: IdString,
  rank: Type.Integer(),
  entryId: IdString,
  phone: Type.String({ description: 'masked without members.pii' }),
  memberId: Nullable(IdString),
  prize: Type.String(),
  prizeIndex: Type.Integer(),
  messageId: Nullable(IdString),
  collectedAt: Nullable(Timestamp),
  collectedBy: Nullable(Type.String()),
});
const Draw = Type.Object({
  lotteryId: IdString,
  algorithm: Type.String(),
  seed: Type.String({ description: '32 bytes from crypto.randomBytes, hex' }),
  entryCount: Type.Integer(),
  entriesHash: Type.String({ description: 'SHA-256 over "id:phone\\n" of the valid entries in id order' }),
  winnerEntryIds: Type.Array(IdString),
  drawnBy: Type.String(),
  drawnAt: Timestamp,
  winners: Type.Array(Winner),
});
const Verify = Type.Object({
  lotteryId: IdString,
  verified: Type.Boolean(),
  algorithm: Type.String(),
  seed: Type.String(),
  entryCount: Type.Integer(),
  recomputedEntryCount: Type.Integer(),
  entriesHash: Type.String(),
  recomputedEntriesHash: Type.String(),
  winnerEntryIds: Type.Array(IdString),
  recomputedWinnerEntryIds: Type.Array(IdString),
  problems: Type.Array(Type.String()),
});

export function lotteryRoutes(deps: { database: Database }): FastifyPluginAsyncTypebox {
  const { db } = deps.database;
  return async (app) => {
    const tags = ['marketing'];
    const config = { access: 'tenant', permission: 'campaigns.manage' } as const;

    app.post('/lotteries', { config, schema: { tags, summary: 'Create an SMS lottery (短信抽奖)', body: CreateBody, response: { 201: Lottery } } }, async (request, reply) => {
      return reply.status(201).send(await inTenant(db, request, (tx, actor) => svc.createLottery(tx, actor, request.body as svc.LotteryInput)));
    });

    app.get(
      '/lotteries',
      { config, schema: { tags, summary: 'Lotteries, newest first', querystring: Type.Object(PageQuery, strict), response: { 200: pageOf(Lottery) } } },
      async (request) => inTenant(db, request, (tx, actor) => svc.listLotteries(tx, actor.tenantId, { limit: request.query.limit ?? 50, cursor: request.query.cursor })),
    );

    app.get('/lotteries/:id', { config, schema: { tags, summary: 'One lottery', params: IdParams, response: { 200: Lottery } } }, async (request) =>
      inTenant(db, request, (tx, actor) => svc.getLottery(tx, actor.tenantId, request.params.id)),
    );

    app.patch(
      '/lotteries/:id',
      { config, schema: { tags, summary: 'Change a lottery (until it is drawn; 409 after)', params: IdParams, body: PatchBody, response: { 200: Lottery } } },
      async (request) => inTenant(db, request, (tx, actor) => svc.updateLottery(tx, actor, request.params.id, request.body as svc.LotteryPatch)),
    );

    app.delete('/lotteries/:id', { config, schema: { tags, summary: 'Delete a lottery nobody has entered (409 otherwise)', params: IdParams } }, async (request, reply) => {
      await inTenant(db, request, (tx, actor) => svc.deleteLottery(tx, actor, request.params.id));
      return reply.status(204).send();
    });

    app.get(
      '/lotteries/:id/entries',
      {
        config,
        schema: {
          tags,
          summary: 'Every cj# attempt routed to the lottery with its outcome, newest first',
          params: IdParams,
          querystring: Type.Object({ ...PageQuery, outcome: Type.Optional(Outcome), phone: Type.Optional(Type.String({ maxLength: 40 })) }, strict),
          response: { 200: pageOf(Entry) },
        },
      },
      async (request) =>
        inTenant(db, request, (tx, actor) =>
          svc.listEntries(tx, actor, request.params.id, {
            limit: request.query.limit ?? 50,
            cursor: request.query.cursor,
            outcome: request.query.outcome,
            phone: request.query.phone,
          }),
        ),
    );

    app.post(
      '/lotteries/:id/draw',
      {
        config,
        schema: {
          tags,
          summary: 'Draw the winners (once, after the entry window) and notify them by SMS',
          params: IdParams,
          body: Type.Optional(Type.Object({}, strict)),
          response: { 201: Draw },
        },
      },
      async (request, reply) => reply.status(201).send(await inTenant(db, request, (tx, actor) => svc.drawLottery(tx, actor, request.params.id))),
    );

    app.get('/lotteries/:id/draw', { config, schema: { tags, summary: 'The stored draw (404 not_drawn before)', params: IdParams, response: { 200: Draw } } }, async (request) =>
      inTenant(db, request, (tx, actor) => svc.getDraw(tx, actor, request.params.id)),
    );

    app.get(
      '/lotteries/:id/draw/verify',
      { config, schema: { tags, summary: 'Recompute the draw from the stored seed and entries and compare', params: IdParams, response: { 200: Verify } } },
      async (request) => inTenant(db, request, (tx, actor) => svc.verifyDraw(tx, actor, request.params.id)),
    );

    app.get(
      '/lotteries/:id/winners',
      { config, schema: { tags, summary: 'Winners in rank order, for prize collection', params: IdParams, response: { 200: Type.Object({ items: Type.Array(Winner), nextCursor: Type.Null() }) } } },
      async (request) => inTenant(db, request, (tx, actor) => svc.listWinners(tx, actor, request.params.id)),
    );

    app.post(
      '/lotteries/:id/winners/:winnerId/collected',
      {
        config,
        schema: {
          tags,
          summary: 'Record that a winner collected the prize (409 already_collected)',
          params: Type.Object({ id: IdString, winnerId: IdString }, strict),
          body: Type.Optional(Type.Object({}, strict)),
          response: { 200: Winner },
        },
      },
      async (request) => inTenant(db, request, (tx, actor) => svc.markCollected(tx, actor, request.params.id, request.params.winnerId)),
    );
  };
}
