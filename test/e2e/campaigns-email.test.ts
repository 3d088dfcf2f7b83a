/**
 * An email campaign against a real SMTP server (test/peers/smtp.ts): the estimate (no address
 * and unsubscribed members suppressed; no segments or cost), one email per recipient rendered
 * with the member's values and an unsubscribe link, opted-out ones logged suppressed.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SmtpSink } from '../peers/smtp.js';
import { startEmailApp } from '../support/email.js';
import { createTenant, loginAdmin } from '../support/http.js';
import { eventually, type SmsApp } from '../support/sms.js';
import { createTestDatabase, type TestDatabase } from '../support/test-db.js';
import { seedMembers } from '../support/campaigns.js';

let database: TestDatabase;
let sink: SmtpSink;
let app: SmsApp;
let owner: pg.Client;

beforeAll(async () => {
  sink = await SmtpSink.start();
  database = await createTestDatabase();
  app = await startEmailApp(database, { smtpPort: sink.port });
  owner = new pg.Client({ connectionString: database.url });
  await owner.connect();
});
afterAll(async () => {
  await owner?.end();
  await app?.close();
  await database?.drop();
  await sink?.close();
});

describe('an email campaign', () => {
  it('estimates, sends one email per reachable member, suppresses the others', async () => {
    const t = await createTenant(app.baseUrl, await loginAdmin(app.baseUrl), 'mailcamp', '91');
    const ids = await seedMembers(owner, t.tenant.id, 12, { prefix: '910', tag: 'promo', name: (i) => `会员${i}`, email: (i) => (i < 10 ? `m${i}@example.cn` : null) });
    await owner.query(`UPDATE members SET email_opt_out = true WHERE tenant_id = $1 AND id = ANY($2::bigint[])`, [t.tenant.id, [ids[0], ids[5]]]);
    const r = await t.api.post('/api/v1/campaigns', {
      name: 'mail',
      channel: 'email',
      filter: { all: [{ field: 'tag', op: 'eq', value: 'promo' }] },
      template: { subject: '{name}的专属优惠', body: '您好{name}，您有{points}积分。' },
      marketing: true,
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body.estimate).toEqual({ recipients: 12, suppressed: 4, segments: 0, costFen: 0 });
    const p = await t.api.post(`/api/v1/campaigns/${r.body.id}/preview`, { memberId: ids[3] });
    expect(p.body).toMatchObject({ memberId: ids[3], subject: '会员3的专属优惠', text: '您好会员3，您有0积分。' });
    expect((await t.api.post(`/api/v1/campaigns/${r.body.id}/send`)).status).toBe(202);
    const c = await eventually(async () => {
      const g = (await t.api.get(`/api/v1/campaigns/${r.body.id}`)).body;
      return g.status === 'done' && g.stats.sent === 8 ? g : null;
    }, 'emails sent', 30_000);
    expect(c.stats).toMatchObject({ recipients: 12, queued: 0, sent: 8, failed: 0, suppressed: 4, suppressedBy: { no_address: 2, opted_out: 2 } });
    await eventually(async () => sink.received.length >= 8 || null, 'emails received');
    const to = sink.received.map((m) => m.envelopeTo[0]);
    expect(new Set(to)).toEqual(new Set([1, 2, 3, 4, 6, 7, 8, 9].map((i) => `m${i}@example.cn`)));
    expect(to).toHaveLength(8);
    const m3 = sink.received.find((m) => m.envelopeTo[0] === 'm3@example.cn')!;
    expect(m3.parsed.subject).toBe('会员3的专属优惠');
    expect(m3.raw.toString('latin1')).toMatch(/List-Unsubscribe:\s+<http/);
    expect(m3.parsed.text).toContain('您好会员3，您有0积分。');
    const logged = await owner.query(`SELECT status, fail_reason FROM email_messages WHERE tenant_id = $1 AND campaign_id = $2 AND status = 'suppressed'`, [t.tenant.id, r.body.id]);
    expect(logged.rows).toEqual([{ status: 'suppressed', fail_reason: 'opted_out' }, { status: 'suppressed', fail_reason: 'opted_out' }]);
  });
});
