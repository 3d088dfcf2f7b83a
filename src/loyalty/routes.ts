/**
 * Loyalty routes (api.md "Consumption and value", "Loyalty settings", the member ledger).
 * Handlers read the tenant actor, call one service, and answer; value-moving ones pass the
 * Idempotency-Key and answer with the stored status and body on a retry.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type pg from 'pg';
import type { Database } from '../platform/db/client.js';
import { tenantActor, type TenantActor } from '../platform/http/auth.js';
import { PageQuery, pageOf } from '../platform/http/pagination.js';
import { badRequest } from '../platform/http/problem.js';
import { inTenant } from '../platform/http/tenant-tx.js';
import { IdParams, IdString } from '../platform/http/schemas.js';
import { adjustPoints, cashOut, overrideTier, redeemPoints, topUp } from './balance.service.js';
import { actorOf, tenantTimezone } from './config.repo.js';
import type { LoyaltyRulesInput } from './config.rules.js';
import { getRules, getTiers, putRules, putTiers } from './config.service.js';
import { inLoyaltyTx, type LoyaltyTx } from './db.js';
import { idempotencyOf, type IdempotencyRequest, type Outcome } from './idempotency.js';
import { narrowScope, type LedgerActor } from './ledger.repo.js';
import { instantRange } from './range.rules.js';
import { PurchaseBatcher } from './purchase.batcher.js';
import { quotePurchase, refundPurchase } from './purchase.service.js';
import { getTransaction, listExpiring, listLedger, listTierChanges, listTransactions, loyaltySummaryOf, reconcile } from './queries.js';
import * as S from './schemas.js';

const tags = ['loyalty'];

/** The idempotency key of a request, bound to its tenant, method, path and body. */
function idem(request: FastifyRequest, tenantId: string) {
  const key = (request.headers as Record<string, string | undefined>)['idempotency-key'];
  return idempotencyOf(tenantId, key, request.method, request.url.split('?')[0]!, request.body);
}

/** What a value-moving service needs of the request besides its params and body. */
interface ValueCall {
  tenantId: string;
  actor: LedgerActor;
  ip: string;
  idem: IdempotencyRequest | null;
}

/** A value-moving handler: runs the service with the tenant actor and the Idempotency-Key, and
 * answers with the outcome's status and body (the stored ones on a retry). */
async function moveValue(request: FastifyRequest, reply: FastifyReply, run: (call: ValueCall) => Promise<Outcome<unknown>>) {
  const actor = tenantActor(request);
  const out = await run({ tenantId: actor.tenantId, actor: actorOf(actor), ip: actor.ip, idem: idem(request, actor.tenantId) });
  return reply.status(out.status).send(out.body);
}

/** `inTenant` for the loyalty queries, which run raw SQL on a LoyaltyTx rather than drizzle. */
function inLoyaltyTenant<T>(pool: pg.Pool, request: FastifyRequest, fn: (tx: LoyaltyTx, actor: TenantActor) => Promise<T>): Promise<T> {
  const actor = tenantActor(request);
  return inLoyaltyTx(pool, actor.tenantId, (tx) => fn(tx, actor));
}

export function loyaltyRoutes(deps: { database: Database }): FastifyPluginAsyncTypebox {
  const { pool, db } = deps.database;
  const purchases = new PurchaseBatcher(pool);

  return async (app) => {
    // ------------------------------------------------------------ purchases
    app.post(
      '/transactions',
      {
        config: { access: 'tenant', permission: 'loyalty.write' },
        schema: { tags, summary: 'Record a purchase (consumption): discount, tenders, points', headers: S.IdemHeaders, body: S.PurchaseBody, response: { 201: S.PurchaseSchema } },
      },
      async (request, reply) => moveValue(request, reply, (c) => purchases.record(c.tenantId, c.actor, request.body, c.idem)),
    );

    app.post(
      '/transactions/quote',
      {
        config: { access: 'tenant', permission: 'loyalty.write' },
        schema: { tags, summary: 'What a purchase would cost and earn, without recording it', body: S.PurchaseBody, response: { 200: S.QuoteSchema } },
      },
      async (request) => quotePurchase(pool, tenantActor(request).tenantId, request.body),
    );

    app.get(
      '/transactions',
      {
        config: { access: 'tenant', permission: 'members.read' },
        schema: {
          tags,
          summary: 'Purchases, newest first',
          description:
            '`from` / `to`: an ISO 8601 date-time with an offset, or a date (YYYY-MM-DD, a whole day in the tenant timezone); purchases with `from <= occurredAt < to` (a date `to` includes its day).',
          querystring: Type.Object(
            {
              memberId: Type.Optional(IdString),
              storeId: Type.Optional(IdString),
              from: Type.Optional(Type.String({ maxLength: 40 })),
              to: Type.Optional(Type.String({ maxLength: 40 })),
              ...PageQuery,
            },
            S.strict,
          ),
          response: { 200: pageOf(S.TransactionItemSchema) },
        },
      },
      async (request) =>
        inLoyaltyTenant(pool, request, async (tx, actor) => {
          const { memberId, storeId, limit, cursor } = request.query;
          const range = await instantRange(request.query, () => tenantTimezone(tx));
          if (Array.isArray(range)) throw badRequest('Invalid date range', range);
          return listTransactions(tx, { memberId, storeId, ...range, limit: limit ?? 50, cursor, scope: narrowScope(actor), pii: actor.permissions.has('members.pii') });
        }),
    );

    app.get(
      '/transactions/:id',
      { config: { access: 'tenant', permission: 'members.read' }, schema: { tags, summary: 'A purchase with its items, tenders and refunds', params: IdParams, response: { 200: S.TransactionDetailSchema } } },
      async (request) => inLoyaltyTenant(pool, request, (tx, actor) => getTransaction(tx, request.params.id, narrowScope(actor), actor.permissions.has('members.pii'))),
    );

    app.post(
      '/transactions/:id/refund',
      {
        config: { access: 'tenant', permission: 'loyalty.write' },
        // a full refund may come without a body
        preValidation: async (request) => {
          if (request.body === undefined || request.body === null) (request as { body: unknown }).body = {};
        },
        schema: { tags, summary: 'Refund a purchase in full (no amount) or in part', params: IdParams, headers: S.IdemHeaders, body: S.RefundBody, response: { 201: S.RefundSchema } },
      },
      async (request, reply) => moveValue(request, reply, (c) => refundPurchase(pool, c.tenantId, c.actor, request.params.id, request.body, c.idem)),
    );

    // ------------------------------------------------------------ member balances
    app.post(
      '/members/:id/points/redeem',
      {
        config: { access: 'tenant', permission: 'loyalty.write' },
        schema: { tags, summary: 'Redeem points (409 when the balance is short)', params: IdParams, headers: S.IdemHeaders, body: S.RedeemBody, response: { 201: S.PointsMovementSchema } },
      },
      async (request, reply) => moveValue(request, reply, (c) => redeemPoints(pool, c.tenantId, c.actor, request.params.id, request.body, c.idem)),
    );

    app.post(
      '/members/:id/points/adjust',
      {
        config: { access: 'tenant', permission: 'loyalty.adjust' },
        schema: { tags, summary: 'Adjust reward points or tier points by hand, with a reason (audited)', params: IdParams, headers: S.IdemHeaders, body: S.AdjustBody, response: { 201: S.PointsMovementSchema } },
      },
      async (request, reply) => moveValue(request, reply, (c) => adjustPoints(pool, c.tenantId, c.actor, c.ip, request.params.id, request.body, c.idem)),
    );

    app.post(
      '/members/:id/stored-value/top-up',
      {
        config: { access: 'tenant', permission: 'loyalty.write' },
        schema: { tags, summary: 'Top up stored value (bonus by the top-up rules)', params: IdParams, headers: S.IdemHeaders, body: S.TopUpBody, response: { 201: S.TopUpSchema } },
      },
      async (request, reply) => moveValue(request, reply, (c) => topUp(pool, c.tenantId, c.actor, request.params.id, request.body, c.idem)),
    );

    app.post(
      '/members/:id/stored-value/cash-out',
      {
        config: { access: 'tenant', permission: 'loyalty.adjust' },
        schema: {
          tags,
          summary: 'Pay stored value back (principal only; the bonus that came with it is forfeited in proportion), with a reason (audited)',
          params: IdParams,
          headers: S.IdemHeaders,
          body: S.CashOutBody,
          response: { 201: S.CashOutSchema },
        },
      },
      async (request, reply) => moveValue(request, reply, (c) => cashOut(pool, c.tenantId, c.actor, c.ip, request.params.id, request.body, c.idem)),
    );

    app.post(
      '/members/:id/tier',
      {
        config: { access: 'tenant', permission: 'loyalty.adjust' },
        schema: { tags, summary: 'Set a member’s tier by hand, with a reason (audited)', params: IdParams, headers: S.IdemHeaders, body: S.TierOverrideBody, response: { 201: S.TierOverrideSchema } },
      },
      async (request, reply) => moveValue(request, reply, (c) => overrideTier(pool, c.tenantId, c.actor, c.ip, request.params.id, request.body, c.idem)),
    );

    app.get(
      '/members/:id/ledger',
      { config: { access: 'tenant', permission: 'members.read' }, schema: { tags, summary: 'A member’s ledger, newest first', params: IdParams, querystring: S.LedgerQuery, response: { 200: pageOf(S.LedgerItemSchema) } } },
      async (request) =>
        inLoyaltyTenant(pool, request, (tx) => listLedger(tx, request.params.id, { kind: request.query.kind, limit: request.query.limit ?? 50, cursor: request.query.cursor })),
    );

    app.get(
      '/members/:id/loyalty',
      { config: { access: 'tenant', permission: 'members.read' }, schema: { tags, summary: 'Balances, tier, next tier, period and expiring points of a member', params: IdParams, response: { 200: S.SummarySchema } } },
      async (request) => inLoyaltyTenant(pool, request, (tx) => loyaltySummaryOf(tx, request.params.id)),
    );

    app.get(
      '/members/:id/tier-changes',
      {
        config: { access: 'tenant', permission: 'members.read' },
        schema: { tags, summary: 'A member’s tier changes, newest first', params: IdParams, querystring: Type.Object(PageQuery, S.strict), response: { 200: pageOf(S.TierChangeItemSchema) } },
      },
      async (request) =>
        inLoyaltyTenant(pool, request, (tx) => listTierChanges(tx, { memberId: request.params.id, limit: request.query.limit ?? 50, cursor: request.query.cursor })),
    );

    // ------------------------------------------------------------ settings and overviews
    app.get(
      '/loyalty/tiers',
      { config: { access: 'tenant', permission: 'members.read' }, schema: { tags, summary: 'Tiers, lowest first', response: { 200: S.TiersSchema } } },
      async (request) => getTiers(pool, tenantActor(request).tenantId),
    );

    app.put(
      '/loyalty/tiers',
      { config: { access: 'tenant', permission: 'loyalty.settings' }, schema: { tags, summary: 'Replace the tiers (members re-evaluated in batches: upgrades now, downgrades at period end); a tier may also be reached by spend in the period (spendThresholdFen)', body: S.TiersSchema, response: { 200: S.TiersSchema } } },
      async (request) => {
        const actor = tenantActor(request);
        return putTiers(pool, actor.tenantId, actorOf(actor), request.body);
      },
    );

    app.get(
      '/loyalty/rules',
      {
        config: { access: 'tenant', permission: 'members.read' },
        schema: {
          tags,
          summary: 'Earn rules, discount, redemption rate, expiry, points plan periods, stored-value rules (current or an older version)',
          querystring: Type.Object({ version: Type.Optional(Type.Integer({ minimum: 0 })) }, S.strict),
          response: { 200: S.RulesSchema },
        },
      },
      async (request) => getRules(pool, tenantActor(request).tenantId, request.query.version),
    );

    app.put(
      '/loyalty/rules',
      { config: { access: 'tenant', permission: 'loyalty.settings' }, schema: { tags, summary: 'Replace the rules (a new version; omitted fields take their defaults)', body: S.RulesBody, response: { 200: S.RulesSchema } } },
      async (request) => {
        const actor = tenantActor(request);
        return putRules(pool, actor.tenantId, actorOf(actor), request.body as LoyaltyRulesInput & { version?: number });
      },
    );

    app.get(
      '/loyalty/expiring',
      {
        config: { access: 'tenant', permission: 'members.read' },
        schema: {
          tags,
          summary: 'Members about to lose reward points (expiring lots, period-end lapse)',
          querystring: Type.Object({ withinDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 366, default: 30 })), ...PageQuery }, S.strict),
          response: { 200: pageOf(S.ExpiringItemSchema) },
        },
      },
      async (request) =>
        inLoyaltyTenant(pool, request, (tx) =>
          listExpiring(tx, { withinDays: request.query.withinDays ?? 30, limit: request.query.limit ?? 50, cursor: request.query.cursor }),
        ),
    );

    app.get(
      '/loyalty/tier-changes',
      {
        config: { access: 'tenant', permission: 'members.read' },
        schema: { tags, summary: 'Tier changes of all members, newest first', querystring: Type.Object(PageQuery, S.strict), response: { 200: pageOf(S.TierChangeItemSchema) } },
      },
      async (request) => inLoyaltyTenant(pool, request, (tx) => listTierChanges(tx, { limit: request.query.limit ?? 50, cursor: request.query.cursor })),
    );

    app.get(
      '/loyalty/reconcile',
      { config: { access: 'tenant', permission: 'loyalty.settings' }, schema: { tags, summary: 'Check every balance against its ledger and lots', response: { 200: S.ReconcileSchema } } },
      async (request) => inTenant(db, request, (tx, actor) => reconcile(tx, actor.tenantId)),
    );
  };
}
