/**
 * Messaging routes: api.md "SMS" (message log, inbox, sandbox gateway) and what api.md leaves
 * open (listed in README.md): sending one SMS, SMS settings, keywords, sub-codes, reports,
 * unrouted inbound messages for the platform administrator.
 */
import { createHash } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { maskPhone } from '../members/index.js';
import { Type } from 'typebox';
import type { Database } from '../platform/db/client.js';
import { withPlatform } from '../platform/db/with-tenant.js';
import { forbidden, notFound, badRequest, conflict } from '../platform/http/problem.js';
import { PageQuery, decodeCursor, encodeCursor } from '../platform/http/pagination.js';
import { IdParams, IdString } from '../platform/http/schemas.js';
import { inTenant } from '../platform/http/tenant-tx.js';
import { tenantActor } from '../platform/http/auth.js';
import type pg from 'pg';
import { sql } from 'drizzle-orm';
import { TEMPLATE_KEYS } from './compose.rules.js';
import { smsServiceNumber, tenantPort } from './config.js';
import { routeDestination } from './inbound.rules.js';
import { gatewayAddress, parseRecipient } from './phone.js';
import {
  allocateSubCode,
  getOutbound,
  getSmsSettings,
  listKeywords,
  listMessages,
  listSubCodes,
  listThreads,
  openThread,
  replaceKeywords,
  replyToThread,
  sentView,
  type OutboundView,
  updateSmsSettings,
} from './queries.service.js';
import { REPORT_NAMES, reportWorkbook, smsReport, type ReportName } from './reports.service.js';
import type { SmsRuntime } from './runtime.js';
import { clientQuerier, sendSms, type Querier } from './send.service.js';

const tags = ['sms'];
const Obj = <T extends Parameters<typeof Type.Object>[0]>(p: T) => Type.Object(p, { additionalProperties: false });
const StatusFilter = Type.Union(['queued', 'sent', 'delivered', 'failed', 'suppressed'].map((s) => Type.Literal(s)));
const HhMm = Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' });

/** Without members.pii, phone numbers are shown masked (as member lists show them). */
function masker(request: FastifyRequest) {
  const pii = request.principal?.permissions.has('members.pii') ?? false;
  const phone = (v: unknown) => (pii || typeof v !== 'string' || !v.startsWith('+') ? v : maskPhone(v));
  const message = <T extends { direction: 'in' | 'out' }>(m: T): T =>
    pii ? m : m.direction === 'out' ? { ...m, to: phone((m as { to?: string }).to) } : { ...m, from: phone((m as { from?: string }).from) };
  const thread = <T extends { phone: string }>(t: T): T => (pii ? t : { ...t, phone: phone(t.phone) as string });
  return { message, thread };
}

/** One transaction bound to the tenant on a pooled client: BEGIN and set_config in one round trip. */
async function inTenantClient<T>(pool: pg.Pool, tenantId: string, fn: (q: Querier) => Promise<T>): Promise<T> {
  if (!/^\d{1,19}$/.test(tenantId)) throw new Error(`invalid tenant id ${JSON.stringify(tenantId)}`);
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query(`BEGIN; SELECT set_config('app.tenant_id', '${tenantId}', true)`);
    const out = await fn(clientQuerier(client));
    await client.query('COMMIT');
    return out;
  } catch (err) {
    await client.query('ROLLBACK').catch((e: Error) => {
      broken = e;
    });
    throw err;
  } finally {
    client.release(broken);
  }
}

/** JSON with object keys sorted (the same body in another key order is the same request). */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * The Idempotency-Key of POST /sms/send (api.md): the key, the hash of the body and an advisory
 * lock id for (tenant, key), or null without a key. A retry with the same key and body gets the
 * stored response (202) and sends nothing; another body → 409. A request that fails stores
 * nothing (the key rolls back with the message).
 */
function sendIdempotency(tenantId: string, key: string | undefined, body: unknown): { key: string; hash: Buffer; lockKey: bigint } | null {
  if (key === undefined) return null;
  const hash = createHash('sha256').update(`POST /api/v1/sms/send\n${canonicalJson(body ?? null)}`).digest();
  const lockKey = BigInt.asIntN(64, BigInt('0x' + createHash('sha256').update(`sms-idem:${tenantId}:${key}`).digest('hex').slice(0, 16)));
  return { key, hash, lockKey };
}

const e164Of = (digits: string) => (/^1\d{10}$/.test(digits) ? `+86${digits}` : `+${digits}`);

export function messagingRoutes(deps: { database: Database; sms: SmsRuntime }): FastifyPluginAsyncTypebox {
  const { db } = deps.database;
  const { sms } = deps;

  return async (app) => {
    // ------------------------------------------------------------ message log
    app.get(
      '/messages',
      {
        config: { access: 'tenant', permission: 'sms.read' },
        schema: {
          tags,
          summary: 'The message log, newest first (both directions unless direction is given)',
          querystring: Obj({
            direction: Type.Optional(Type.Union([Type.Literal('in'), Type.Literal('out')])),
            phone: Type.Optional(Type.String({ maxLength: 40 })),
            status: Type.Optional(StatusFilter),
            campaignId: Type.Optional(IdString),
            memberId: Type.Optional(IdString),
            ...PageQuery,
          }),
        },
      },
      async (request) => {
        const { limit = 50, ...q } = request.query;
        const page = await inTenant(db, request, (tx, actor) => listMessages(tx, actor.tenantId, { ...q, status: q.status as never, limit }));
        return { ...page, items: page.items.map(masker(request).message) };
      },
    );

    app.get(
      '/messages/:id',
      { config: { access: 'tenant', permission: 'sms.read' }, schema: { tags, summary: 'One outbound message', params: IdParams } },
      async (request) => masker(request).message(await inTenant(db, request, (tx, actor) => getOutbound(tx, actor.tenantId, request.params.id))),
    );

    app.post(
      '/sms/send',
      {
        config: { access: 'tenant', permission: 'sms.send' },
        schema: {
          tags,
          summary: 'Send one SMS (signed; marketing also gets the opt-out hint, waits out quiet hours, skips opted-out members) → 202',
          headers: Type.Object({
            'idempotency-key': Type.Optional(
              Type.String({ minLength: 1, maxLength: 200, pattern: '^[\\x21-\\x7E]+$', description: 'a retry with the same key and body gets the first response and sends nothing' }),
            ),
          }),
          body: Obj({
            to: Type.String({ minLength: 1, maxLength: 40 }),
            text: Type.String({ maxLength: 1000 }),
            kind: Type.Optional(Type.Union([Type.Literal('service'), Type.Literal('marketing')], { default: 'service' })),
            memberId: Type.Optional(IdString),
            subCode: Type.Optional(Type.String({ pattern: '^[0-9]{1,6}$' })),
          }),
        },
      },
      async (request, reply) => {
        const b = request.body;
        // the hot path: BEGIN and the tenant in one round trip, named prepared statements
        const actor = tenantActor(request);
        const idem = sendIdempotency(actor.tenantId, request.headers['idempotency-key'], b);
        const msg = await inTenantClient(deps.database.pool, actor.tenantId, async (q) => {
          if (idem) {
            // concurrent first uses queue on the key; the read starts after the first committed
            await q('sms_idem_lock', 'SELECT pg_advisory_xact_lock($1::bigint)', [idem.lockKey.toString()]);
            const [seen] = await q<{ request_hash: Buffer; response: OutboundView }>(
              'sms_idem_read',
              'SELECT request_hash, response FROM sms_idempotency WHERE tenant_id = $1 AND key = $2',
              [actor.tenantId, idem.key],
            );
            if (seen) {
              if (!seen.request_hash.equals(idem.hash)) throw conflict('This Idempotency-Key was already used for a different request', 'idempotency_key_reused');
              return seen.response;
            }
          }
          const view = sentView(await sendSms(q, { tenantId: actor.tenantId, to: b.to, text: b.text, kind: b.kind ?? 'service', memberId: b.memberId, subCode: b.subCode }), {
            memberId: b.memberId,
          });
          if (idem) {
            await q(
              'sms_idem_store',
              'INSERT INTO sms_idempotency (tenant_id, key, request_hash, status, response) VALUES ($1, $2, $3, 202, $4)',
              [actor.tenantId, idem.key, idem.hash, JSON.stringify(view)],
            );
          }
          return view;
        });
        return reply.status(202).send(masker(request).message(msg));
      },
    );

    // ------------------------------------------------------------ inbox
    app.get(
      '/inbox',
      {
        config: { access: 'tenant', permission: 'sms.read' },
        schema: {
          tags,
          summary: 'Feedback inbox threads, most recent first',
          querystring: Obj({ unread: Type.Optional(Type.Boolean()), phone: Type.Optional(Type.String({ maxLength: 40 })), ...PageQuery }),
        },
      },
      async (request) => {
        const { limit = 50, ...q } = request.query;
        const page = await inTenant(db, request, (tx, actor) => listThreads(tx, actor.tenantId, { ...q, limit }));
        return { ...page, items: page.items.map(masker(request).thread) };
      },
    );

    app.get(
      '/inbox/:id',
      { config: { access: 'tenant', permission: 'sms.read' }, schema: { tags, summary: 'A thread with its messages (marks it read)', params: IdParams } },
      async (request) => {
        const m = masker(request);
        const t = await inTenant(db, request, (tx, actor) => openThread(tx, actor.tenantId, request.params.id));
        return { ...m.thread(t), messages: t.messages.map(m.message) };
      },
    );

    app.post(
      '/inbox/:id/reply',
      {
        config: { access: 'tenant', permission: 'sms.send' },
        schema: { tags, summary: 'Answer a thread by SMS (service message from the tenant port) → 201', params: IdParams, body: Obj({ text: Type.String({ maxLength: 1000 }) }) },
      },
      async (request, reply) => {
        const msg = await inTenant(db, request, (tx, actor) => replyToThread(tx, actor, request.params.id, request.body.text));
        return reply.status(201).send(masker(request).message(msg));
      },
    );

    // ------------------------------------------------------------ settings, keywords, sub-codes
    const TemplatesBody = Obj(Object.fromEntries(TEMPLATE_KEYS.map((k) => [k, Type.Optional(Type.String({ maxLength: 500 }))])));
    app.get(
      '/sms/settings',
      { config: { access: 'tenant', permission: 'sms.read' }, schema: { tags, summary: 'Quiet hours, opt-out hint and reply templates' } },
      async (request) => inTenant(db, request, (tx, actor) => getSmsSettings(tx, actor.tenantId)),
    );
    app.put(
      '/sms/settings',
      {
        config: { access: 'tenant', permission: 'sms.settings' },
        schema: {
          tags,
          summary: 'Change quiet hours, the opt-out hint or reply templates (fields left out keep their value)',
          body: Obj({
            quietHours: Type.Optional(Obj({ start: HhMm, end: HhMm })),
            optOutHint: Type.Optional(Type.String({ maxLength: 40 })),
            templates: Type.Optional(TemplatesBody),
          }),
        },
      },
      async (request) => inTenant(db, request, (tx, actor) => updateSmsSettings(tx, actor, request.body as never)),
    );

    app.get(
      '/sms/keywords',
      { config: { access: 'tenant', permission: 'sms.read' }, schema: { tags, summary: "The tenant's own keywords and their replies" } },
      async (request) => inTenant(db, request, (tx, actor) => listKeywords(tx, actor.tenantId)),
    );
    app.put(
      '/sms/keywords',
      {
        config: { access: 'tenant', permission: 'sms.settings' },
        schema: {
          tags,
          summary: "Replace the tenant's own keywords (built-in ones → 409)",
          body: Obj({
            items: Type.Array(Obj({ keyword: Type.String({ minLength: 1, maxLength: 40 }), template: Type.String({ minLength: 1, maxLength: 500 }) }), { maxItems: 200 }),
          }),
        },
      },
      async (request) => inTenant(db, request, (tx, actor) => replaceKeywords(tx, actor, request.body.items)),
    );

    app.get(
      '/sms/sub-codes',
      { config: { access: 'tenant', permission: 'sms.read' }, schema: { tags, summary: 'Registered sub-codes (replies are matched to them)' } },
      async (request) => inTenant(db, request, (tx, actor) => listSubCodes(tx, actor.tenantId)),
    );
    app.post(
      '/sms/sub-codes',
      {
        config: { access: 'tenant', permission: 'sms.send' },
        schema: {
          tags,
          summary: 'Register a sub-code (a free one when code is left out) → 201',
          body: Obj({ code: Type.Optional(Type.String({ pattern: '^[0-9]{1,6}$' })), label: Type.Optional(Type.String({ maxLength: 100 })), campaignId: Type.Optional(IdString) }),
        },
      },
      async (request, reply) => reply.status(201).send(await inTenant(db, request, (tx, actor) => allocateSubCode(tx, actor.tenantId, request.body))),
    );

    // ------------------------------------------------------------ reports
    app.get(
      '/sms/reports/:name',
      {
        config: { access: 'tenant', permission: ['reports.read', 'sms.read'] },
        schema: {
          tags,
          summary: 'SMS reports: keywords (received by keyword), status (send status), replies (by sub-code), cost (and remaining credit); format=xlsx for Excel',
          params: Obj({ name: Type.Union(REPORT_NAMES.map((n) => Type.Literal(n))) }),
          querystring: Obj({
            from: Type.Optional(Type.String({ maxLength: 40 })),
            to: Type.Optional(Type.String({ maxLength: 40 })),
            format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('xlsx')], { default: 'json' })),
          }),
        },
      },
      async (request, reply) => {
        const { format = 'json', ...range } = request.query;
        const name = request.params.name as ReportName;
        const report = await inTenant(db, request, (tx, actor) => smsReport(tx, actor.tenantId, name, range));
        if (format === 'json') return report;
        const buf = await reportWorkbook(report);
        return reply
          .header('content-type', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
          .header('content-disposition', `attachment; filename="sms-${name}-${new Date().toISOString().slice(0, 10)}.xlsx"`)
          .send(buf);
      },
    );

    // ------------------------------------------------------------ platform: inbound no tenant took
    app.get(
      '/platform/sms/unrouted',
      {
        config: { access: 'platform' },
        schema: { tags, summary: 'Inbound messages no merchant port matched, and malformed ones (kept, newest first)', querystring: Obj({ ...PageQuery }) },
      },
      async (request) => {
        const limit = request.query.limit ?? 50;
        const before = decodeCursor(request.query.cursor);
        return withPlatform(db, async (tx) => {
          const { rows } = await tx.execute<Record<string, unknown>>(sql`
            SELECT id::text, gateway, sender, destination, body, state, error, received_at FROM sms_inbound_staging
             WHERE state IN ('unrouted', 'malformed') ${before ? sql`AND id < ${before}` : sql``}
             ORDER BY id DESC LIMIT ${limit + 1}`);
          const items = rows.slice(0, limit).map((r) => ({
            id: String(r.id),
            gateway: r.gateway,
            from: r.sender,
            to: r.destination,
            text: r.body,
            state: r.state,
            error: r.error ?? undefined,
            receivedAt: new Date(r.received_at as Date).toISOString(),
          }));
          return { items, nextCursor: rows.length > limit ? encodeCursor(items[items.length - 1]!.id) : null };
        });
      },
    );

    // ------------------------------------------------------------ sandbox gateway
    app.post(
      '/sandbox/sms/inbound',
      {
        config: { access: 'platform' },
        schema: {
          tags: ['sandbox'],
          summary: 'Simulate a mobile-originated SMS (as if the SMSC delivered it) → 202; processing may finish after the answer',
          body: Obj({ from: Type.String({ minLength: 1, maxLength: 40 }), to: Type.String({ minLength: 1, maxLength: 40 }), text: Type.String({ maxLength: 1000 }) }),
        },
      },
      async (request, reply) => {
        if (!sms.sandbox) throw notFound('Sandbox gateway (MEMBERDESK_SMS_GATEWAY is not sandbox)');
        const { from, to, text } = request.body;
        await sms.sandbox.inject({ from: from.replace(/[\s()-]/g, ''), to: to.replace(/[\s-]/g, ''), text });
        return reply.status(202).send({ status: 'accepted' });
      },
    );

    // A merchant's operator texts their OWN port (plus an optional sub-code) from a simulated phone:
    // the destination is built from the caller's tenant, so no other tenant's port is reachable
    // (ports never prefix each other, so the own port plus digits routes back to the caller).
    app.post(
      '/sms/sandbox/inbound',
      {
        config: { access: 'tenant', permission: 'sms.send' },
        schema: {
          tags: ['sandbox'],
          summary: "Simulate an SMS from a phone to the caller's own port (+ sub-code) → 202; sandbox gateway only (404 otherwise)",
          body: Obj({
            from: Type.String({ minLength: 1, maxLength: 40, description: 'the simulated mobile phone' }),
            text: Type.String({ maxLength: 1000 }),
            subCode: Type.Optional(Type.String({ pattern: '^[0-9]{1,6}$', description: "digits after the tenant's port (a campaign's reply code)" })),
          }),
          response: { 202: Obj({ status: Type.Literal('accepted'), to: Type.String({ description: 'the destination address: port + sub-code' }) }) },
        },
      },
      async (request, reply) => {
        if (!sms.sandbox) throw notFound('Sandbox gateway (MEMBERDESK_SMS_GATEWAY is not sandbox)');
        const actor = tenantActor(request);
        const { from, text, subCode } = request.body;
        const sender = gatewayAddress(parseRecipient(from, 'body.from'));
        const { rows } = await deps.database.pool.query<{ sms_extension: string }>('SELECT sms_extension FROM tenants WHERE id = $1', [actor.tenantId]);
        if (!rows[0]) throw notFound('Tenant');
        const to = tenantPort(rows[0].sms_extension) + (subCode ?? '');
        await sms.sandbox.inject({ from: sender, to, text });
        return reply.status(202).send({ status: 'accepted' as const, to });
      },
    );

    app.get(
      '/sandbox/sms/outbox',
      {
        config: { access: 'authenticated' },
        schema: {
          tags: ['sandbox'],
          summary: 'What was submitted to the simulated SMSC, newest first (platform admin: all; operator: own tenant)',
          querystring: Obj({ to: Type.Optional(Type.String({ maxLength: 40 })), since: Type.Optional(Type.String({ maxLength: 40 })), ...PageQuery }),
        },
      },
      async (request) => {
        if (!sms.sandbox) throw notFound('Sandbox gateway (MEMBERDESK_SMS_GATEWAY is not sandbox)');
        const p = request.principal!;
        let match: ((from: string) => boolean) | undefined;
        if (p.kind !== 'platform') {
          if (!p.tenantId) throw forbidden();
          if (!p.permissions.has('sms.read')) throw forbidden('Missing permission sms.read');
          const { rows } = await deps.database.pool.query<{ id: string; sms_extension: string }>('SELECT id::text, sms_extension FROM tenants');
          const own = rows.find((r) => r.id === p.tenantId)?.sms_extension;
          const exts = rows.map((r) => r.sms_extension);
          match = (from) => routeDestination(from, smsServiceNumber(), exts)?.extension === own;
        }
        const { limit = 50, cursor, since, to } = request.query;
        let sinceDate: Date | undefined;
        if (since !== undefined) {
          sinceDate = new Date(since);
          if (Number.isNaN(sinceDate.getTime())) throw badRequest('since is not a date-time', [{ path: 'querystring.since', message: 'must be ISO 8601' }]);
        }
        const before = decodeCursor(cursor);
        const recs = sms.sandbox.list({
          to: to === undefined ? undefined : gatewayAddress(parseRecipient(to, 'querystring.to')),
          since: sinceDate,
          before: before === null ? undefined : Number(before),
          limit: limit + 1,
          match: match ? (r) => match(r.from) : undefined,
        });
        const items = recs.slice(0, limit).map((r) => ({
          id: String(r.seq),
          from: r.from,
          to: e164Of(r.to),
          text: r.text,
          segments: r.segments,
          status: r.status,
          messageId: r.messageId,
          gatewayMessageId: r.gatewayMessageId,
          createdAt: r.createdAt.toISOString(),
        }));
        return { items, nextCursor: recs.length > limit ? encodeCursor(items[items.length - 1]!.id) : null };
      },
    );
  };
}
