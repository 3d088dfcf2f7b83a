/**
 * Kannel gateway: MT through smsbox's sendsms HTTP interface, MO and delivery reports through
 * HTTP callbacks that Kannel makes to memberdesk (an sms-service get-url, and the dlr-url we
 * pass with every message). See README.md "SMS gateways" for the Kannel configuration.
 *
 * sendsms: `from` = the merchant port (with sub-code) every time — never rely on Kannel's
 * global-sender; `coding=0` for GSM-7 text, `coding=2` + `charset=UTF-8` otherwise (either
 * alone returns 202 and sends garbage or ????); `dlr-mask=31` with a dlr-url carrying our id
 * and the shared secret. Replies: 202 "0: Accepted" or "3: Queued for later delivery" (Kannel
 * stored it and delivers it when its SMSC is back) → accepted, gatewayMessageId = our id;
 * 4xx → PermanentGatewayError; 5xx, timeouts, refused connections → TransientGatewayError.
 *
 * Callbacks (public routes; the shared secret in the query is the authentication, compared in
 * constant time): missing → 401, wrong → 403, unusable parameters → 400 + onProtocolError.
 * The MO callback answers only after onInbound resolved, with an empty body (the service has
 * max-messages = 0, so Kannel never replies on its own); if onInbound fails it answers 503 and
 * Kannel (http-request-retry) calls again.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import {
  PermanentGatewayError,
  TransientGatewayError,
  type DeliveryState,
  type GatewayHandlers,
  type OutboundSms,
  type SmsGateway,
  type SubmitResult,
} from '../gateway.js';
import { isGsm7 } from './smpp-text.js';

export interface KannelGatewayOptions {
  /** e.g. http://127.0.0.1:13013/cgi-bin/sendsms */
  sendsmsUrl: string;
  username: string;
  password: string;
  /** Shared secret Kannel sends back in the callback URLs: [A-Za-z0-9._~-], 16+ characters. */
  callbackSecret: string;
  /** Base URL under which Kannel reaches memberdesk, e.g. http://127.0.0.1:3000 */
  publicUrl: string;
  /** Per sendsms request (default 10 s). */
  timeoutMs?: number;
  /** sendsms requests in flight at once (default 32). */
  concurrency?: number;
  log?: Pick<Logger, 'info' | 'warn' | 'error' | 'debug'>;
}

export const KANNEL_MO_PATH = '/api/v1/gateways/kannel/mo';
export const KANNEL_DLR_PATH = '/api/v1/gateways/kannel/dlr';

/**
 * The get-url of Kannel's sms-service that delivers MO to memberdesk (put it in kannel.conf):
 * %p sender, %P full destination (port + sub-code), %b the message (URL-encoded bytes, UTF-8
 * with mo-recode), %C its charset, %c coding, %T time.
 */
export function kannelMoGetUrl(publicUrl: string, secret: string): string {
  return `${publicUrl.replace(/\/+$/, '')}${KANNEL_MO_PATH}?secret=${secret}&from=%p&to=%P&text=%b&charset=%C&coding=%c&ts=%T`;
}

export const SECRET_PATTERN = /^[A-Za-z0-9._~-]{16,200}$/;

const silentLog = { info() {}, warn() {}, error() {}, debug() {} };

/** Kannel DLR types (dlr-mask bits) → our states. */
const DLR_TYPES: Record<number, { state: DeliveryState; name: string }> = {
  1: { state: 'delivered', name: 'delivered' },
  2: { state: 'failed', name: 'undelivered' },
  4: { state: 'accepted', name: 'buffered' },
  8: { state: 'accepted', name: 'smsc_accepted' },
  16: { state: 'failed', name: 'smsc_rejected' },
};

const PHONE = /^\+?[0-9]{1,21}$/;

/** Decodes a raw query string into name → bytes (Kannel's %b is URL-encoded binary). */
export function rawQuery(url: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const q = url.indexOf('?');
  if (q < 0) return out;
  for (const pair of url.slice(q + 1).split('&')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const name = decodeBytes(eq < 0 ? pair : pair.slice(0, eq)).toString('latin1');
    out.set(name, decodeBytes(eq < 0 ? '' : pair.slice(eq + 1)));
  }
  return out;
}

function decodeBytes(s: string): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x2b) bytes.push(0x20);
    else if (c === 0x25 && i + 2 < s.length + 0 && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 1, i + 3))) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (c < 0x80) bytes.push(c);
    else bytes.push(...Buffer.from(s[i]!, 'utf8'));
  }
  return Buffer.from(bytes);
}

function decodeText(bytes: Buffer, charset: string): string | null {
  const cs = charset.toUpperCase();
  if (cs === '' || cs === 'UTF-8' || cs === 'UTF8') {
    const text = bytes.toString('utf8');
    return Buffer.from(text, 'utf8').equals(bytes) ? text : null; // invalid UTF-8 → garbage
  }
  if (cs === 'UTF-16BE' || cs === 'UCS-2' || cs === 'UCS2') {
    if (bytes.length % 2) return null;
    return Buffer.from(bytes).swap16().toString('utf16le');
  }
  if (cs === 'WINDOWS-1252' || cs === 'ISO-8859-1' || cs === 'LATIN1' || cs === 'GSM' || cs === 'ASCII') return bytes.toString('latin1');
  return null;
}

export class KannelGateway implements SmsGateway {
  readonly name = 'kannel' as const;
  private handlers: GatewayHandlers | null = null;
  private readonly log: Pick<Logger, 'info' | 'warn' | 'error' | 'debug'>;
  private readonly secretDigest: Buffer;
  private inFlight = 0;
  private readonly waiters: (() => void)[] = [];
  private stopping = false;
  private inboundInFlight = 0;

  constructor(private readonly o: KannelGatewayOptions) {
    if (!SECRET_PATTERN.test(o.callbackSecret)) {
      throw new Error('Kannel callback secret must be 16–200 characters of A-Z a-z 0-9 . _ ~ - (it travels inside Kannel URLs)');
    }
    this.secretDigest = createHash('sha256').update(o.callbackSecret).digest();
    this.log = o.log ?? silentLog;
  }

  registerRoutes(app: FastifyInstance): void {
    const looseQuery = { hide: true, querystring: { type: 'object', additionalProperties: true } };
    app.get(KANNEL_MO_PATH, { config: { access: 'public' }, schema: looseQuery }, (req, reply) => this.mo(req, reply));
    app.get(KANNEL_DLR_PATH, { config: { access: 'public' }, schema: looseQuery }, (req, reply) => this.dlr(req, reply));
  }

  async start(handlers: GatewayHandlers): Promise<void> {
    this.handlers = handlers;
    this.stopping = false;
  }

  async submit(sms: OutboundSms): Promise<SubmitResult> {
    if (this.stopping) throw new TransientGatewayError('Kannel gateway is stopping');
    const gsm = isGsm7(sms.text);
    const dlrUrl =
      `${this.o.publicUrl.replace(/\/+$/, '')}${KANNEL_DLR_PATH}?secret=${this.o.callbackSecret}` +
      `&id=${encodeURIComponent(sms.id)}&type=%d&reply=%A&fid=%F&ts=%T`;
    const params = new URLSearchParams({
      username: this.o.username,
      password: this.o.password,
      from: sms.from,
      to: sms.to,
      text: sms.text,
      coding: gsm ? '0' : '2',
      charset: 'UTF-8',
    });
    if (sms.wantReport) {
      params.set('dlr-mask', '31');
      params.set('dlr-url', dlrUrl);
    }
    const url = `${this.o.sendsmsUrl}${this.o.sendsmsUrl.includes('?') ? '&' : '?'}${params.toString()}`;
    await this.acquire();
    let res: Response;
    let body: string;
    try {
      res = await fetch(url, { signal: AbortSignal.timeout(this.o.timeoutMs ?? 10_000) });
      body = (await res.text()).trim();
    } catch (err) {
      throw new TransientGatewayError(`Kannel sendsms unreachable: ${(err as Error).message}`, 1000);
    } finally {
      this.release();
    }
    if (res.status >= 200 && res.status < 300 && /^[03]:/.test(body)) return { gatewayMessageId: sms.id };
    if (res.status >= 500) throw new TransientGatewayError(`Kannel sendsms ${res.status}: ${body.slice(0, 200)}`, 1000);
    throw new PermanentGatewayError(`Kannel sendsms ${res.status}: ${body.slice(0, 200)}`, `http_${res.status}`);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const until = Date.now() + 10_000;
    while ((this.inFlight > 0 || this.inboundInFlight > 0) && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
  }

  private async acquire(): Promise<void> {
    if (this.inFlight < (this.o.concurrency ?? 32)) {
      this.inFlight++;
      return;
    }
    await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  private release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.inFlight--;
  }

  /** 401/403 on a missing or wrong secret; true when the request may go on. */
  private authorised(q: Map<string, Buffer>, reply: FastifyReply): boolean {
    const secret = q.get('secret');
    if (!secret || secret.length === 0) {
      void reply.code(401).type('text/plain').send('missing secret');
      return false;
    }
    const digest = createHash('sha256').update(secret).digest();
    if (!timingSafeEqual(digest, this.secretDigest)) {
      void reply.code(403).type('text/plain').send('wrong secret');
      return false;
    }
    return true;
  }

  private garbage(reply: FastifyReply, detail: string): FastifyReply {
    try {
      this.handlers?.onProtocolError('kannel', detail);
    } catch {
      // counting must not turn into a 500
    }
    this.log.warn({ detail }, 'Kannel: unusable callback');
    return reply.code(400).type('text/plain').send(detail);
  }

  private async mo(req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const q = rawQuery(req.raw.url ?? '');
    if (!this.authorised(q, reply)) return reply;
    const from = q.get('from')?.toString('latin1') ?? '';
    const to = q.get('to')?.toString('latin1') ?? '';
    if (!PHONE.test(from) || !PHONE.test(to)) return this.garbage(reply, `MO with unusable from/to: ${JSON.stringify([from, to])}`);
    const raw = q.get('text');
    if (!raw) return this.garbage(reply, 'MO without text');
    const charset = q.get('charset')?.toString('latin1') ?? 'UTF-8';
    const text = decodeText(raw, charset);
    if (text === null) return this.garbage(reply, `MO text not decodable as ${charset}`);
    if (!this.handlers) return reply.code(503).send('');
    this.inboundInFlight++;
    try {
      await this.handlers.onInbound({
        from: from.replace(/^\+/, ''),
        to: to.replace(/^\+/, ''),
        text,
        receivedAt: new Date(),
        gateway: 'kannel',
        raw: { charset, coding: q.get('coding')?.toString('latin1'), ts: q.get('ts')?.toString('latin1') },
      });
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'Kannel: MO handler failed; Kannel will retry');
      return reply.code(503).type('text/plain').send('');
    } finally {
      this.inboundInFlight--;
    }
    return reply.code(200).type('text/plain').send('');
  }

  private async dlr(req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const q = rawQuery(req.raw.url ?? '');
    if (!this.authorised(q, reply)) return reply;
    const id = q.get('id')?.toString('latin1') ?? '';
    const typeRaw = q.get('type')?.toString('latin1') ?? '';
    if (!/^[0-9]{1,20}$/.test(id)) return this.garbage(reply, `DLR with unusable id ${JSON.stringify(id.slice(0, 40))}`);
    const t = /^[0-9]{1,3}$/.test(typeRaw) ? DLR_TYPES[Number(typeRaw)] : undefined;
    if (!t) return this.garbage(reply, `DLR with unknown type ${JSON.stringify(typeRaw.slice(0, 40))}`);
    if (!this.handlers) return reply.code(503).send('');
    const smscReply = q.get('reply')?.toString('latin1').trim();
    try {
      await this.handlers.onDeliveryReport({
        gatewayMessageId: id,
        state: t.state,
        detail: [`type:${typeRaw} ${t.name}`, smscReply].filter(Boolean).join(' ').slice(0, 300),
        at: new Date(),
        gateway: 'kannel',
      });
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'Kannel: DLR handler failed');
      return reply.code(503).type('text/plain').send('');
    }
    return reply.code(200).type('text/plain').send('');
  }
}
