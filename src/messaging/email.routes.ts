/**
 * Email routes (README.md "Email"): sender settings, sending one email, the email log, and the
 * public unsubscribe link of marketing email. Permissions are the messaging ones (sms.read,
 * sms.send, sms.settings): they cover both channels.
 */
import { createHash } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { Database } from '../platform/db/client.js';
import { withTenant } from '../platform/db/with-tenant.js';
import { conflict } from '../platform/http/problem.js';
import { PageQuery } from '../platform/http/pagination.js';
import { IdParams, IdString } from '../platform/http/schemas.js';
import { inTenant } from '../platform/http/tenant-tx.js';
import { escapeHtml, parseUnsubscribeToken } from './email.rules.js';
import {
  getEmailMessage,
  getEmailSettings,
  listEmailMessages,
  maskEmailView,
  sendEmail,
  sentEmailView,
  unsubscribe,
  updateEmailSettings,
  type EmailView,
} from './email.service.js';
import type { EmailRuntime } from './email.runtime.js';
import { querier } from './send.service.js';

const tags = ['email'];
const Obj = <T extends Parameters<typeof Type.Object>[0]>(p: T) => Type.Object(p, { additionalProperties: false });
const nullable = <T extends import('typebox').TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Address = Type.String({ minLength: 1, maxLength: 254, description: 'local@domain' });

const pii = (request: FastifyRequest) => request.principal?.permissions.has('members.pii') ?? false;

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

function page(title: string, text: string, form?: string): string {
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${escapeHtml(title)}</title></head>
<body style="font-family:sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem"><h1 style="font-size:1.3rem">${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p>${form ?? ''}</body></html>`;
}

export function emailRoutes(deps: { database: Database; email: EmailRuntime }): FastifyPluginAsyncTypebox {
  const { db } = deps.database;

  return async (app) => {
    // RFC 8058 one-click unsubscribe POSTs "List-Unsubscribe=One-Click" as a form (this plugin only)
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 4096 }, (_req, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(String(body))));
    });

    app.get(
      '/email/settings',
      { config: { access: 'tenant', permission: 'sms.read' }, schema: { tags, summary: 'Sender and SMTP settings (the password is never shown, only passwordSet)' } },
      async (request) => inTenant(db, request, (tx, actor) => getEmailSettings(tx, actor.tenantId)),
    );

    app.put(
      '/email/settings',
      {
        config: { access: 'tenant', permission: 'sms.settings' },
        schema: {
          tags,
          summary: "Change sender settings (fields left out keep their value); smtp: null returns to the deployment's server",
          body: Obj({
            fromName: Type.Optional(nullable(Type.String({ minLength: 1, maxLength: 100 }))),
            fromAddress: Type.Optional(nullable(Address)),
            replyTo: Type.Optional(nullable(Address)),
            smtp: Type.Optional(
              nullable(
                Obj({
                  host: Type.String({ minLength: 1, maxLength: 253 }),
                  port: Type.Integer({ minimum: 1, maximum: 65535 }),
                  secure: Type.Optional(Type.Boolean({ description: 'implicit TLS (default: port 465); otherwise STARTTLS when offered' })),
                  user: Type.Optional(nullable(Type.String({ minLength: 1, maxLength: 200 }))),
                  password: Type.Optional(nullable(Type.String({ minLength: 1, maxLength: 200, description: 'write-only; left out keeps the stored one' }))),
                }),
              ),
            ),
          }),
        },
      },
      async (request) => inTenant(db, request, (tx, actor) => updateEmailSettings(tx, actor, request.body)),
    );

    app.post(
      '/email/send',
      {
        config: { access: 'tenant', permission: 'sms.send' },
        schema: {
          tags,
          summary: 'Send one email to a member (templates with {name} {cardNo} {points} {tier} {storedValue} {store} {merchant}) → 202',
          headers: Type.Object({
            'idempotency-key': Type.Optional(
              Type.String({ minLength: 1, maxLength: 200, pattern: '^[\\x21-\\x7E]+$', description: 'a retry with the same key and body gets the first response and sends nothing' }),
            ),
          }),
          body: Obj({
            memberId: Type.Optional(IdString),
            to: Type.Optional(Type.String({ minLength: 1, maxLength: 254, description: 'an address instead of the member’s (service email only without memberId)' })),
            subject: Type.String({ maxLength: 1000 }),
            body: Type.String({ maxLength: 40_000 }),
            marketing: Type.Optional(Type.Boolean({ default: false, description: 'marketing: unsubscribe footer and header, skipped for members who unsubscribed' })),
          }),
        },
      },
      async (request, reply) => {
        const b = request.body;
        const key = request.headers['idempotency-key'];
        const view = await inTenant(db, request, async (tx, actor) => {
          const q = querier(tx);
          let idem: { hash: Buffer; lock: string } | null = null;
          if (key !== undefined) {
            const hash = createHash('sha256').update(`POST /api/v1/email/send\n${canonicalJson(b)}`).digest();
            const lock = BigInt.asIntN(64, BigInt('0x' + createHash('sha256').update(`email-idem:${actor.tenantId}:${key}`).digest('hex').slice(0, 16))).toString();
            idem = { hash, lock };
            // simultaneous first uses queue on the key; the read starts after the first committed
            await q('email_idem_lock', 'SELECT pg_advisory_xact_lock($1::bigint)', [lock]);
            const [seen] = await q<{ request_hash: Buffer; response: EmailView }>(
              'email_idem_read',
              'SELECT request_hash, response FROM email_idempotency WHERE tenant_id = $1 AND key = $2',
              [actor.tenantId, key],
            );
            if (seen) {
              if (!seen.request_hash.equals(hash)) throw conflict('This Idempotency-Key was already used for a different request', 'idempotency_key_reused');
              return seen.response;
            }
          }
          const sent = sentEmailView(
            await sendEmail(q, {
              tenantId: actor.tenantId,
              memberId: b.memberId ?? null,
              to: b.to ?? null,
              subject: b.subject,
              body: b.body,
              kind: b.marketing ? 'marketing' : 'service',
            }),
          );
          if (idem) {
            await q('email_idem_store', 'INSERT INTO email_idempotency (tenant_id, key, request_hash, status, response) VALUES ($1, $2, $3, 202, $4)', [
              actor.tenantId,
              key,
              idem.hash,
              JSON.stringify(sent),
            ]);
          }
          return sent;
        });
        deps.email.dispatcher.wake();
        return reply.status(202).send(maskEmailView(view, pii(request)));
      },
    );

    app.get(
      '/email/messages',
      {
        config: { access: 'tenant', permission: 'sms.read' },
        schema: {
          tags,
          summary: 'The email log, newest first (addresses masked without members.pii)',
          querystring: Obj({
            status: Type.Optional(Type.Union(['queued', 'sent', 'failed', 'suppressed'].map((s) => Type.Literal(s)))),
            memberId: Type.Optional(IdString),
            campaignId: Type.Optional(IdString),
            to: Type.Optional(Address),
            ...PageQuery,
          }),
        },
      },
      async (request) => {
        const { limit = 50, ...q } = request.query;
        const p = await inTenant(db, request, (tx, actor) => listEmailMessages(tx, actor.tenantId, { ...q, status: q.status as never, limit }));
        return { ...p, items: p.items.map((v) => maskEmailView(v, pii(request))) };
      },
    );

    app.get(
      '/email/messages/:id',
      { config: { access: 'tenant', permission: 'sms.read' }, schema: { tags, summary: 'One email', params: IdParams } },
      async (request) => maskEmailView(await inTenant(db, request, (tx, actor) => getEmailMessage(tx, actor.tenantId, request.params.id)), pii(request)),
    );

    // ------------------------------------------------------------ unsubscribe (public: the link in the email)
    const Token = Obj({ token: Type.String({ minLength: 1, maxLength: 200 }) });
    app.get(
      '/email/unsubscribe',
      { config: { access: 'public' }, schema: { tags, summary: 'The unsubscribe page of a marketing email (a button that confirms)', querystring: Token } },
      async (request, reply) => {
        const token = request.query.token;
        const form = `<form method="post" action="?token=${encodeURIComponent(token)}"><button type="submit">确认退订 / Unsubscribe</button></form>`;
        return reply
          .type('text/html; charset=utf-8')
          .send(page('退订邮件 / Unsubscribe', '确认后将不再收到此商家的营销邮件。You will no longer receive marketing email from this merchant.', form));
      },
    );
    app.post(
      '/email/unsubscribe',
      {
        config: { access: 'public' },
        schema: { tags, summary: 'Unsubscribe from marketing email (RFC 8058 one-click; the confirm button)', querystring: Token },
      },
      async (request, reply) => {
        const parts = parseUnsubscribeToken(request.query.token);
        const ok = parts ? await withTenant(db, parts.tenantId, (tx) => unsubscribe(tx, parts.tenantId, request.query.token)) : false;
        reply.type('text/html; charset=utf-8');
        if (!ok) return reply.status(400).send(page('链接无效 / Invalid link', '这个退订链接无效。This unsubscribe link is not valid.'));
        return reply.send(page('已退订 / Unsubscribed', '您将不再收到此商家的营销邮件。You will no longer receive marketing email from this merchant.'));
      },
    );
  };
}
