/**
 * Email across restarts, against a real SMTP server (test/peers/smtp.ts): a process that dies
 * while its sends hang leaves them to the next process, which sends each exactly once; a graceful
 * stop drains what is in flight (recorded as sent, never sent again); two processes side by side
 * never send one message twice. And a deployment without any SMTP server refuses to queue.
 */
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/test-db.js';
import { eventually, type SmsApp } from '../support/sms.js';
import { emailTenant, startEmailApp } from '../support/email.js';
import { SmtpSink, type ReceivedMail } from '../peers/smtp.js';

let database: TestDatabase;
let owner: pg.Client;
let sink: SmtpSink;
const apps: SmsApp[] = [];

beforeAll(async () => {
  sink = await SmtpSink.start();
  database = await createTestDatabase();
  owner = new pg.Client({ connectionString: database.url });
  await owner.connect();
});
afterEach(() => {
  sink.hang = false;
  sink.dataDelayMs = 0;
});
afterAll(async () => {
  for (const x of apps) await x.close().catch(() => undefined);
  await owner?.end();
  await database?.drop();
  await sink?.close();
});

const states = async (ids: string[]) =>
  (await owner.query<{ state: string; n: number }>(`SELECT state, count(*)::int AS n FROM email_outbox WHERE message_id = ANY($1::bigint[]) GROUP BY 1 ORDER BY 1`, [ids])).rows;
/** memberdesk's message id of a received email (tenant.id in X-Memberdesk-Message). */
const idOf = (m: ReceivedMail) => m.header('x-memberdesk-message')!.split('.')[1]!;
const receivedIds = (ids: string[]) => sink.received.map(idOf).filter((id) => ids.includes(id));

describe('a restart in the middle of sending email', () => {
  it('after a crash: messages left submitting are sent exactly once by the next process, none lost', async () => {
    sink.hang = true; // the server takes the connection and never answers MAIL FROM
    const a = await startEmailApp(database, { smtpPort: sink.port, emailDispatcher: { batchSize: 2, loops: 2, stopTimeoutMs: 300 } });
    apps.push(a);
    const t = await emailTenant(a.baseUrl, 'crash-mail', '71');
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) {
      const r = await t.api.post('/api/v1/email/send', { to: `crash${i}@example.cn`, subject: `第${i}封`, body: `崩溃测试 ${i}` });
      expect(r.status).toBe(202);
      ids.push(r.body.id);
    }
    // both loops have claimed a batch and are waiting on the silent server
    await eventually(async () => ((await states(ids)).find((s) => s.state === 'submitting')?.n ?? 0) >= 2 || null, 'both loops claimed');
    await eventually(async () => sink.hung >= 1 || null, 'a send waiting on the server');
    const stuck = (await states(ids)).find((s) => s.state === 'submitting')!.n;
    expect(await states(ids)).toEqual([
      { state: 'queued', n: 10 - stuck },
      { state: 'submitting', n: stuck },
    ]);
    // the process goes away without its sends settling
    await a.close();
    // and another one died harder still: its claim, with no heartbeat left
    await owner.query(
      `UPDATE email_outbox SET state = 'submitting', claimed_by = 'pid-that-died', claimed_at = now() - interval '1 hour'
        WHERE message_id IN (SELECT message_id FROM email_outbox WHERE state = 'queued' AND message_id = ANY($1::bigint[]) LIMIT 2)`,
      [ids],
    );
    expect(sink.received).toHaveLength(0);

    sink.hang = false;
    const b = await startEmailApp(database, { smtpPort: sink.port });
    apps.push(b);
    await eventually(async () => ((await states(ids)).every((s) => s.state === 'sent') ? true : null), 'all sent', 15_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(receivedIds(ids).sort()).toEqual([...ids].sort());
    const msgs = await owner.query(`SELECT status, count(*)::int AS n FROM email_messages WHERE id = ANY($1::bigint[]) GROUP BY 1`, [ids]);
    expect(msgs.rows).toEqual([{ status: 'sent', n: 10 }]);
    await b.close();
  });

  it('a graceful stop drains what is in flight: recorded as sent, not sent again by the next process', async () => {
    sink.dataDelayMs = 300;
    const c = await startEmailApp(database, { smtpPort: sink.port, emailDispatcher: { batchSize: 3, loops: 2 } });
    apps.push(c);
    const t = await emailTenant(c.baseUrl, 'drain-mail', '72');
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) ids.push((await t.api.post('/api/v1/email/send', { to: `drain${i}@example.cn`, subject: `排空 ${i}`, body: '优雅停止' })).body.id);
    await eventually(async () => ((await states(ids)).some((s) => s.state === 'submitting') ? true : null), 'in flight');
    await c.close();
    expect((await states(ids)).filter((s) => s.state === 'submitting')).toEqual([]);
    const sentBefore = (await states(ids)).find((s) => s.state === 'sent')?.n ?? 0;
    expect(sentBefore).toBeGreaterThan(0);
    expect(receivedIds(ids)).toHaveLength(sentBefore);
    sink.dataDelayMs = 0;
    const d = await startEmailApp(database, { smtpPort: sink.port });
    apps.push(d);
    await eventually(async () => ((await states(ids)).every((s) => s.state === 'sent') ? true : null), 'all sent', 15_000);
    await new Promise((r) => setTimeout(r, 300));
    // every message exactly once across both processes
    expect(receivedIds(ids).sort()).toEqual([...ids].sort());
    await d.close();
  });

  it('two processes side by side never send one message twice', async () => {
    const e = await startEmailApp(database, { smtpPort: sink.port, emailDispatcher: { batchSize: 5, loops: 2 } });
    const f = await startEmailApp(database, { smtpPort: sink.port, emailDispatcher: { batchSize: 5, loops: 2 } });
    apps.push(e, f);
    const t = await emailTenant(e.baseUrl, 'pair-mail', '73');
    const sends = Array.from({ length: 60 }, (_, i) => t.api.post('/api/v1/email/send', { to: `pair${i}@example.cn`, subject: `并行 ${i}`, body: '两个进程' }));
    const ids = (await Promise.all(sends)).map((r) => r.body.id as string);
    await eventually(async () => ((await states(ids)).every((s) => s.state === 'sent') ? true : null), 'all sent', 20_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(receivedIds(ids).sort()).toEqual([...ids].sort());
    await e.close();
    await f.close();
  });

  it("a merchant's own SMTP server must be on the internet unless the deployment allows private ones", async () => {
    const h = await startEmailApp(database, { smtpPort: sink.port, tenantPrivate: false });
    apps.push(h);
    const t = await emailTenant(h.baseUrl, 'ssrf-mail', '75');
    for (const host of ['127.0.0.1', '10.0.0.5', '169.254.169.254', '[::1]', 'localhost']) {
      const r = await t.api.put('/api/v1/email/settings', { fromAddress: 'shop@ssrf.cn', smtp: { host, port: sink.port } });
      expect(r.status, host).toBe(400);
      expect(JSON.stringify(r.body)).toContain('body.smtp.host');
    }
    // a name that resolves to an internal address (as DNS may say after the check): refused at sending
    await owner.query(`INSERT INTO email_settings (tenant_id, from_address, smtp_host, smtp_port) VALUES ($1, 'shop@ssrf.cn', 'localhost', $2)`, [t.id, sink.port]);
    const before = sink.accepted;
    const sent = await t.api.post('/api/v1/email/send', { to: 'victim@example.cn', subject: '内部', body: '不应连接' });
    expect(sent.status).toBe(202);
    const done = await eventually(async () => {
      const r = await t.api.get(`/api/v1/email/messages/${sent.body.id}`);
      return r.body.status !== 'queued' ? r.body : null;
    }, 'settled');
    expect(done).toMatchObject({ status: 'failed', failReason: 'smtp_host_not_allowed' });
    expect(sink.accepted).toBe(before);
    expect(sink.attempts.get('victim@example.cn')).toBeUndefined();
    await h.close();
  });

  it('without any SMTP server (none of its own, no deployment one) a send is a 409 and nothing is queued', async () => {
    const g = await startEmailApp(database, {});
    apps.push(g);
    const t = await emailTenant(g.baseUrl, 'nosmtp-mail', '74');
    const before = (await owner.query(`SELECT count(*)::int AS n FROM email_messages`)).rows[0].n;
    const r = await t.api.post('/api/v1/email/send', { to: 'x@example.cn', subject: 's', body: 'b' });
    expect(r.status).toBe(409);
    expect(r.body.code ?? r.body.type).toContain('email_not_configured');
    expect((await owner.query(`SELECT count(*)::int AS n FROM email_messages`)).rows[0].n).toBe(before);
    const s = await t.api.get('/api/v1/email/settings');
    expect(s.body).toMatchObject({ effective: null, defaultSmtpAvailable: false });
    await g.close();
  });
});
