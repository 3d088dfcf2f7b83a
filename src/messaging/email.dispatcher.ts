/**
 * The email dispatcher: the SMS dispatcher's shape (dispatcher.ts) over SMTP. Claims due
 * messages from `email_outbox` in batches (FOR UPDATE SKIP LOCKED, so processes side by side
 * never take the same message), reads the batch's content and the tenants' SMTP settings, sends
 * each message through nodemailer (pooled connections per SMTP server), and records the batch's
 * results in one transaction, fenced to this dispatcher's claim.
 *
 * Outcomes: accepted → `sent`; a 4xx reply or a broken connection → queued again with back-off
 * (2 s, 4 s, … 10 min) until MAX_ATTEMPTS, then `failed`; a 5xx reply → `failed` at once.
 * Never twice / at-least-once: see README.md ("Email").
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import nodemailer, { type Transporter } from 'nodemailer';
import type pg from 'pg';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import { emailDeployment, type SmtpServer } from './email.config.js';
import { classifySmtpError, isPublicAddress } from './email.rules.js';
import { OutboxWorker } from './outbox-worker.js';
import { MAX_ATTEMPTS, retryDelayMs } from './schedule.rules.js';

export interface EmailDispatcherOptions {
  pool: pg.Pool;
  log: Logger;
  registry?: Registry;
  instanceId?: string;
  /** Messages per claim (and per result write). */
  batchSize?: number;
  /** Batches in flight at once. */
  loops?: number;
  /** Poll interval when idle; a NOTIFY email_outbox wakes the loops earlier. */
  pollMs?: number;
  orphanAfterMs?: number;
  heartbeatMs?: number;
  /** How long stop() waits for in-flight sends before leaving them to recovery. */
  stopTimeoutMs?: number;
  /** Delay before the next attempt after the n-th failed one (schedule.rules.ts retryDelayMs). */
  retryDelay?: (attempt: number) => number;
  /** SMTP connections per server at most. */
  maxConnections?: number;
  /** SMTP socket timeout (no answer for this long: the attempt failed, retried). */
  socketTimeoutMs?: number;
}

interface Claimed {
  message_id: string;
  tenant_id: string;
  attempts: number;
}

interface Loaded {
  id: string;
  tenant_id: string;
  kind: 'service' | 'marketing';
  status: string;
  from_name: string;
  from_address: string;
  reply_to: string | null;
  recipient: string;
  subject: string;
  body: string;
  html: string;
  unsubscribe_url: string | null;
  smtp: 'tenant' | 'default';
  smtp_host: string | null;
  smtp_port: number | null;
  smtp_secure: boolean | null;
  smtp_user: string | null;
  smtp_password: string | null;
}

type Outcome =
  | { id: string; kind: 'sent'; messageId: string; response: string }
  | { id: string; kind: 'retry'; dueAt: Date; error: string }
  | { id: string; kind: 'failed'; reason: string };

/** The Message-ID header of a memberdesk email (stable across attempts of the same message). */
export const messageIdOf = (tenantId: string, id: string, fromAddress: string) => `<md.${tenantId}.${id}@${fromAddress.slice(fromAddress.lastIndexOf('@') + 1)}>`;

export class EmailDispatcher extends OutboxWorker {
  private readonly batchSize: number;
  private readonly retryDelay: (attempt: number) => number;
  private readonly maxConnections: number;
  private readonly socketTimeoutMs: number;
  /** Pooled SMTP transports by server and credentials. */
  private readonly transports = new Map<string, Transporter>();
  private readonly metrics: { sent: Counter; failed: Counter; retried: Counter; recovered: Counter };

  constructor(opts: EmailDispatcherOptions) {
    const registers = opts.registry ? [opts.registry] : [];
    const metrics = {
      sent: new Counter({ name: 'memberdesk_email_sent_total', help: 'Email accepted by the SMTP server', registers }),
      failed: new Counter({ name: 'memberdesk_email_failed_total', help: 'Email refused for good (5xx, or retries exhausted)', registers }),
      retried: new Counter({ name: 'memberdesk_email_retried_total', help: 'Email sends that failed transiently and were queued again', registers }),
      recovered: new Counter({ name: 'memberdesk_email_recovered_total', help: 'Email left submitting by a dispatcher that died, queued again', registers }),
    };
    super(
      { outbox: 'email_outbox', registry: 'email_dispatchers', what: 'email' },
      { ...opts, log: opts.log.child({ component: 'email-dispatcher' }), loops: opts.loops ?? 2 },
      metrics.recovered,
    );
    this.metrics = metrics;
    this.batchSize = opts.batchSize ?? 50;
    this.retryDelay = opts.retryDelay ?? ((n) => retryDelayMs(n));
    this.maxConnections = opts.maxConnections ?? 3;
    this.socketTimeoutMs = opts.socketTimeoutMs ?? 60_000;
  }

  protected async prune(): Promise<void> {
    await this.pool.query(`DELETE FROM email_outbox WHERE state IN ('sent', 'failed') AND updated_at < now() - interval '7 days'`);
  }

  protected override async afterLoops(): Promise<void> {
    for (const t of this.transports.values()) t.close();
    this.transports.clear();
  }

  /** One batch: claim, load, send concurrently, record. Returns the number claimed. */
  async runBatch(): Promise<number> {
    const { rows: claimed } = await this.pool.query<Claimed>({
      name: 'email_claim',
      text: `UPDATE email_outbox o
          SET state = 'submitting', claimed_by = $1, claimed_at = now(), attempts = o.attempts + 1, updated_at = now()
        WHERE o.message_id IN (SELECT message_id FROM email_outbox
                                WHERE state = 'queued' AND due_at <= now()
                                ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED)
        RETURNING o.message_id::text, o.tenant_id::text, o.attempts`,
      values: [this.instanceId, this.batchSize],
    });
    if (claimed.length === 0) return 0;
    const loaded = await this.load(claimed);
    const attempts = new Map(claimed.map((c) => [c.message_id, c.attempts]));
    const resolved = new Map<string, Promise<string[]>>();
    const outcomes = await Promise.all(
      claimed.map(async (c): Promise<Outcome> => {
        const m = loaded.get(c.message_id);
        if (!m) return { id: c.message_id, kind: 'failed', reason: 'message_missing' };
        return this.send(m, attempts.get(m.id) ?? 1, resolved);
      }),
    );
    for (let attempt = 1; ; attempt++) {
      try {
        await this.record(outcomes, attempts);
        break;
      } catch (err) {
        // the messages went out: their results must be written, so a database hiccup is retried
        if (attempt >= 5) throw err;
        this.log.warn({ err, attempt }, 'recording email results failed; retrying');
        await new Promise((r) => setTimeout(r, 200 * attempt));
      }
    }
    return claimed.length;
  }

  /** The claimed messages with their tenants' SMTP settings: one query per tenant, one transaction. */
  private async load(claimed: Claimed[]): Promise<Map<string, Loaded>> {
    const byTenant = new Map<string, string[]>();
    for (const c of claimed) byTenant.set(c.tenant_id, [...(byTenant.get(c.tenant_id) ?? []), c.message_id]);
    const out = new Map<string, Loaded>();
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN READ ONLY');
      for (const [tenantId, ids] of byTenant) {
        await client.query(`SELECT set_config('app.tenant_id', $1, true)`, [tenantId]);
        const { rows } = await client.query<Loaded>({
          name: 'email_load',
          text: `SELECT m.id::text, m.tenant_id::text, m.kind, m.status, m.from_name, m.from_address, m.reply_to, m.recipient, m.subject,
                        m.body, m.html, m.unsubscribe_url, m.smtp, s.smtp_host, s.smtp_port, s.smtp_secure, s.smtp_user, s.smtp_password
                   FROM email_messages m LEFT JOIN email_settings s ON s.tenant_id = m.tenant_id
                  WHERE m.tenant_id = $1 AND m.id = ANY($2::bigint[])`,
          values: [tenantId, ids],
        });
        for (const r of rows) out.set(r.id, r);
      }
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
    return out;
  }

  private transport(server: SmtpServer & { servername?: string }): Transporter {
    const key = JSON.stringify([server.host, server.servername, server.port, server.secure, server.user, server.password]);
    let t = this.transports.get(key);
    if (!t) {
      if (this.transports.size >= 200) {
        // many merchants' servers (or changing addresses): close the oldest pool
        const [oldKey, old] = this.transports.entries().next().value as [string, Transporter];
        old.close();
        this.transports.delete(oldKey);
      }
      t = nodemailer.createTransport({
        host: server.host,
        // connected by address (resolved and checked below); TLS still verifies the host name
        tls: server.servername ? { servername: server.servername } : undefined,
        port: server.port,
        secure: server.secure,
        auth: server.user ? { user: server.user, pass: server.password } : undefined,
        pool: true,
        maxConnections: this.maxConnections,
        connectionTimeout: 10_000,
        greetingTimeout: 10_000,
        socketTimeout: this.socketTimeoutMs,
      });
      this.transports.set(key, t);
    }
    return t;
  }

  /**
   * A merchant's own server, by address: the host name is resolved here (once per batch) and
   * every address it has must be public unless the deployment allows private ones
   * (MEMBERDESK_SMTP_TENANT_PRIVATE) — a merchant must not make memberdesk connect to services
   * inside its network. Connecting to the checked address leaves no second lookup to rebind.
   */
  private async tenantServer(m: Loaded, resolved: Map<string, Promise<string[]>>): Promise<(SmtpServer & { servername?: string }) | { reason: string; retry: boolean }> {
    if (!m.smtp_host || !m.smtp_port) return { reason: 'smtp_not_configured', retry: false };
    const host = m.smtp_host.replace(/^\[(.*)\]$/, '$1');
    let addresses: string[];
    if (isIP(host)) addresses = [host];
    else {
      let p = resolved.get(host);
      if (!p) {
        p = lookup(host, { all: true }).then((r) => r.map((a) => a.address));
        resolved.set(host, p);
      }
      try {
        addresses = await p;
      } catch (err) {
        return { reason: `smtp_dns:${(err as { code?: string }).code ?? 'error'}`, retry: true };
      }
    }
    if (addresses.length === 0) return { reason: 'smtp_dns:ENOTFOUND', retry: true };
    if (!emailDeployment().allowPrivateTenantSmtp && !addresses.every(isPublicAddress)) return { reason: 'smtp_host_not_allowed', retry: false };
    return {
      host: addresses[0]!,
      servername: isIP(host) ? undefined : host,
      port: m.smtp_port,
      secure: Boolean(m.smtp_secure),
      user: m.smtp_user ?? '',
      password: m.smtp_password ?? '',
    };
  }

  private async send(m: Loaded, attempt: number, resolved: Map<string, Promise<string[]>>): Promise<Outcome> {
    let server: (SmtpServer & { servername?: string }) | null;
    if (m.smtp === 'tenant') {
      const s = await this.tenantServer(m, resolved);
      if ('reason' in s) {
        if (s.retry && attempt < MAX_ATTEMPTS) return { id: m.id, kind: 'retry', dueAt: new Date(Date.now() + this.retryDelay(attempt)), error: s.reason };
        return { id: m.id, kind: 'failed', reason: s.reason };
      }
      server = s;
    } else {
      server = emailDeployment().smtp;
    }
    if (!server) return { id: m.id, kind: 'failed', reason: 'smtp_not_configured' };
    const messageId = messageIdOf(m.tenant_id, m.id, m.from_address);
    const headers: Record<string, string> = { 'X-Memberdesk-Message': `${m.tenant_id}.${m.id}` };
    if (m.kind === 'marketing' && m.unsubscribe_url) {
      // RFC 2369 / RFC 8058: mail clients show an unsubscribe button that POSTs one click
      headers['List-Unsubscribe'] = `<${m.unsubscribe_url}>`;
      headers['List-Unsubscribe-Post'] = 'List-Unsubscribe=One-Click';
    }
    try {
      const info = await this.transport(server).sendMail({
        from: { name: m.from_name, address: m.from_address },
        to: m.recipient,
        replyTo: m.reply_to ?? undefined,
        subject: m.subject,
        text: m.body,
        html: m.html,
        messageId,
        headers,
      });
      if (info.rejected && info.rejected.length > 0) return { id: m.id, kind: 'failed', reason: `rejected ${String(info.response ?? '').slice(0, 200)}` };
      return { id: m.id, kind: 'sent', messageId, response: String(info.response ?? '').slice(0, 500) };
    } catch (err) {
      const verdict = classifySmtpError(err as { code?: string; responseCode?: number; response?: string; message?: string });
      if (verdict.retry && attempt < MAX_ATTEMPTS) return { id: m.id, kind: 'retry', dueAt: new Date(Date.now() + this.retryDelay(attempt)), error: verdict.reason };
      return { id: m.id, kind: 'failed', reason: verdict.retry ? `gave_up ${verdict.reason}` : verdict.reason };
    }
  }

  /** One batch's results: outbox rows (fenced to this claimer), then the tenants' message rows
   * (forward-only) — one transaction. */
  private async record(outcomes: Outcome[], attempts: Map<string, number>): Promise<void> {
    const client = await this.pool.connect();
    let sent = 0;
    let retried = 0;
    let failed = 0;
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<{ message_id: string; tenant_id: string; state: string }>({
        name: 'email_record_outbox',
        text: `UPDATE email_outbox o
            SET state = r.state, due_at = coalesce(r.due, o.due_at),
                claimed_by = CASE WHEN r.state = 'queued' THEN NULL ELSE o.claimed_by END, updated_at = now()
           FROM unnest($1::bigint[], $2::text[], $3::timestamptz[]) AS r(id, state, due)
          WHERE o.message_id = r.id AND o.state = 'submitting' AND o.claimed_by = $4
        RETURNING o.message_id::text, o.tenant_id::text, o.state`,
        values: [
          outcomes.map((o) => o.id),
          outcomes.map((o) => (o.kind === 'sent' ? 'sent' : o.kind === 'retry' ? 'queued' : 'failed')),
          outcomes.map((o) => (o.kind === 'retry' ? o.dueAt.toISOString() : null)),
          this.instanceId,
        ],
      });
      const byId = new Map(outcomes.map((o) => [o.id, o]));
      const byTenant = new Map<string, Outcome[]>();
      for (const r of rows) byTenant.set(r.tenant_id, [...(byTenant.get(r.tenant_id) ?? []), byId.get(r.message_id)!]);
      for (const [tenantId, list] of byTenant) {
        await client.query(`SELECT set_config('app.tenant_id', $1, true)`, [tenantId]);
        await client.query({
          name: 'email_record_messages',
          text: `UPDATE email_messages m
              SET status = CASE WHEN m.status IN ('queued', 'submitting') AND r.state <> 'queued' THEN r.state ELSE m.status END,
                  fail_reason = CASE WHEN r.state = 'failed' AND m.status IN ('queued', 'submitting') THEN r.reason ELSE m.fail_reason END,
                  smtp_message_id = coalesce(r.mid, m.smtp_message_id),
                  smtp_response = coalesce(r.resp, r.reason, m.smtp_response),
                  sent_at = CASE WHEN r.state = 'sent' THEN coalesce(m.sent_at, now()) ELSE m.sent_at END,
                  final_at = CASE WHEN r.state IN ('sent', 'failed') THEN coalesce(m.final_at, now()) ELSE m.final_at END,
                  next_attempt_at = r.due, attempts = r.attempts
             FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[], $8::int[])
                  AS r(id, state, reason, mid, resp, due, attempts)
            WHERE m.tenant_id = $1 AND m.id = r.id`,
          values: [
            tenantId,
            list.map((o) => o.id),
            list.map((o) => (o.kind === 'sent' ? 'sent' : o.kind === 'retry' ? 'queued' : 'failed')),
            list.map((o) => (o.kind === 'failed' ? o.reason : o.kind === 'retry' ? o.error : null)),
            list.map((o) => (o.kind === 'sent' ? o.messageId : null)),
            list.map((o) => (o.kind === 'sent' ? o.response : null)),
            list.map((o) => (o.kind === 'retry' ? o.dueAt.toISOString() : null)),
            list.map((o) => attempts.get(o.id) ?? 1),
          ],
        });
        for (const o of list) {
          if (o.kind === 'sent') sent++;
          else if (o.kind === 'retry') retried++;
          else failed++;
        }
      }
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
    this.metrics.sent.inc(sent);
    this.metrics.retried.inc(retried);
    this.metrics.failed.inc(failed);
    if (failed > 0) this.log.warn({ failed }, 'email refused for good by the SMTP server');
  }
}
