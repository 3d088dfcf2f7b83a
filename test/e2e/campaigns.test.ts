/**
 * Campaigns through the API against real PostgreSQL and the sandbox gateway: the estimate's
 * exact figures, a send to a 200-member segment (opt-outs suppressed and logged, the frequency
 * cap, the cost debited equals the estimate), no credit → 409 with nothing queued, pause and
 * resume, the hold-out group never messaged and the results against it, replies and opt-outs,
 * approval, bad input (400, nothing stored) and isolation between merchants.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeSms } from '../../src/messaging/index.js';
import { client, createTenant, loginAdmin, type Client } from '../support/http.js';
import { eventually, type SmsApp } from '../support/sms.js';
import { createTestDatabase, type TestDatabase } from '../support/test-db.js';
import { seedMembers, startCampaignApp } from '../support/campaigns.js';

let database: TestDatabase;
let owner: pg.Client;
let app: SmsApp;
let adminToken: string;

beforeAll(async () => {
  database = await createTestDatabase();
  owner = new pg.Client({ connectionString: database.url });
  await owner.connect();
  app = await startCampaignApp(database, { campaignFanout: { batchSize: 25 }, smsDispatcher: { batchSize: 100 } });
  adminToken = await loginAdmin(app.baseUrl);
}, 60_000);
afterAll(async () => {
  await app?.close();
  await owner?.end();
  await database?.drop();
});

async function merchant(slug: string, ext: string, creditFen: number) {
  const t = await createTenant(app.baseUrl, adminToken, slug, ext);
  if (creditFen > 0) expect((await client(app.baseUrl, adminToken).post(`/api/v1/platform/tenants/${slug}/sms-credit`, { amountFen: creditFen })).status).toBe(200);
  // no quiet hours, so marketing goes out at once whatever the time of the test
  expect((await t.api.put('/api/v1/sms/settings', { quietHours: { start: '00:00', end: '00:00' } })).status).toBe(200);
  return t;
}
const credit = async (tenantId: string) => Number((await owner.query(`SELECT credit_fen FROM tenants WHERE id = $1`, [tenantId])).rows[0].credit_fen);
const asTenant = async <T extends pg.QueryResultRow>(tenantId: string, text: string, values: unknown[] = []) => {
  await owner.query('BEGIN');
  await owner.query(`SELECT set_config('app.tenant_id', $1, true)`, [tenantId]);
  try {
    return (await owner.query<T>(text, values)).rows;
  } finally {
    await owner.query('COMMIT');
  }
};
const done = (api: Client, id: string, timeoutMs = 30_000) =>
  eventually(async () => {
    const r = await api.get(`/api/v1/campaigns/${id}`);
    return r.body.status === 'done' && r.body.stats.queued === 0 ? r.body : null;
  }, `campaign ${id} done`, timeoutMs);

const TAG = { all: [{ field: 'tag', op: 'eq', value: 'promo' }] };
// names of different lengths, so messages take 1, 2 or 3 segments
const nameOf = (i: number) => (i % 3 === 0 ? `会员${i}` : i % 3 === 1 ? '很长的名字'.repeat(6) + i : '长'.repeat(60) + i);

describe('a campaign to a 200-member segment', () => {
  let a: Awaited<ReturnType<typeof merchant>>;
  let ids: string[];
  let campaignId: string;
  let expected: { recipients: number; suppressed: number; segments: number; costFen: number };

  beforeAll(async () => {
    a = await merchant('camp-a', '71', 100_000);
    ids = await seedMembers(owner, a.tenant.id, 200, { prefix: '100', tag: 'promo', name: nameOf, optOut: (i) => i % 20 === 0 });
    // frequency cap: 1 marketing message in 30 days; members 1..5 already had one
    expect((await a.api.put('/api/v1/campaigns/settings', { frequencyCap: { messages: 1, days: 30 } })).status).toBe(200);
    for (let i = 1; i <= 5; i++) {
      const r = await a.api.post('/api/v1/sms/send', { to: `139100${String(i).padStart(5, '0')}`, text: 'earlier offer', kind: 'marketing', memberId: ids[i] });
      expect(r.status, JSON.stringify(r.body)).toBe(202);
    }
    // the expected estimate, member by member
    expected = { recipients: 200, suppressed: 0, segments: 0, costFen: 0 };
    for (let i = 0; i < 200; i++) {
      if (i % 20 === 0 || (i >= 1 && i <= 5)) {
        expected.suppressed++;
        continue;
      }
      const c = composeSms({ tenantName: 'Merchant camp-a', kind: 'marketing', body: `${nameOf(i)}您好，本周会员日双倍积分`, optOutHint: '回TD退订' });
      if (!c.ok) throw new Error('too long');
      expected.segments += c.value.segments;
    }
    expected.costFen = expected.segments * 5;
  }, 60_000);

  it('creates a draft with the exact estimate', async () => {
    const r = await a.api.post('/api/v1/campaigns', { name: '会员日', channel: 'sms', filter: TAG, template: '{name}您好，本周会员日双倍积分', marketing: true });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body.status).toBe('draft');
    expect(r.body.estimate).toEqual(expected);
    expect(expected.suppressed).toBe(15); // 10 opted out + 5 capped
    expect(expected.segments).toBeGreaterThan(185); // some take more than one segment
    campaignId = r.body.id;
  });

  it('previews the message for a sample member and a chosen one', async () => {
    const r = await a.api.post(`/api/v1/campaigns/${campaignId}/preview`, { memberId: ids[2] });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const c = composeSms({ tenantName: 'Merchant camp-a', kind: 'marketing', body: `${nameOf(2)}您好，本周会员日双倍积分`, optOutHint: '回TD退订' });
    expect(r.body).toMatchObject({ memberId: ids[2], text: c.ok && c.value.text, segments: c.ok && c.value.segments, tooLong: false });
    expect(r.body.characters).toBe(r.body.text.length);
    const sample = await a.api.post(`/api/v1/campaigns/${campaignId}/preview`, {});
    expect(sample.status).toBe(200);
    expect(ids).toContain(sample.body.memberId);
  });

  it('sends: one message per recipient, opt-outs suppressed and logged, the cap applied, the estimate debited', async () => {
    const before = await credit(a.tenant.id);
    const r = await a.api.post(`/api/v1/campaigns/${campaignId}/send`);
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    expect(r.body.subCode).toMatch(/^[0-9]+$/);
    const c = await done(a.api, campaignId);
    expect(c.stats).toMatchObject({ recipients: 200, queued: 0, sent: 185, failed: 0, suppressed: 15, holdout: 0, suppressedBy: { opted_out: 10, frequency_cap: 5 } });
    expect(before - (await credit(a.tenant.id))).toBe(expected.costFen);
    const msgs = await asTenant<{ member_id: string; status: string; fail_reason: string | null; segments: number; sender: string }>(
      a.tenant.id,
      `SELECT member_id::text, status, fail_reason, segments, sender FROM sms_outbound WHERE campaign_id = $1`,
      [campaignId],
    );
    const per = new Map<string, number>();
    for (const m of msgs) per.set(m.member_id, (per.get(m.member_id) ?? 0) + 1);
    expect([...per.values()].every((n) => n === 1)).toBe(true);
    const suppressed = msgs.filter((m) => m.status === 'suppressed');
    expect(suppressed).toHaveLength(10);
    expect(suppressed.every((m) => m.fail_reason === 'opted_out')).toBe(true);
    expect(new Set(suppressed.map((m) => m.member_id))).toEqual(new Set(ids.filter((_, i) => i % 20 === 0)));
    for (let i = 1; i <= 5; i++) expect(per.has(ids[i]!)).toBe(false);
    const billed = msgs.filter((m) => m.status !== 'suppressed');
    expect(billed).toHaveLength(185);
    expect(billed.reduce((s, m) => s + m.segments, 0)).toBe(expected.segments);
    expect(billed.every((m) => m.sender.endsWith(r.body.subCode))).toBe(true);
    // the sandbox got each of them once
    await eventually(async () => (await asTenant<{ n: number }>(a.tenant.id, `SELECT count(*)::int AS n FROM sms_outbound WHERE campaign_id = $1 AND status IN ('sent','delivered')`, [campaignId]))[0]!.n === 185 || null, 'dispatched');
    const sender = billed[0]!.sender; // the merchant's port + the campaign's sub-code
    const sandbox = app.app.sms.sandbox!.list({ limit: 20_000 }).filter((x) => x.from === sender);
    expect(sandbox).toHaveLength(185);
    expect(new Set(sandbox.map((x) => x.to)).size).toBe(185);
    // sending again is refused
    expect((await a.api.post(`/api/v1/campaigns/${campaignId}/send`)).status).toBe(409);
  });

  it('counts replies on the sub-code and opt-outs after the campaign', async () => {
    const c0 = (await a.api.get(`/api/v1/campaigns/${campaignId}`)).body;
    const r1 = await a.api.post('/api/v1/sms/sandbox/inbound', { from: '13910000007', text: '好的，周六去', subCode: c0.subCode });
    expect(r1.status, JSON.stringify(r1.body)).toBe(202);
    const r2 = await a.api.post('/api/v1/sms/sandbox/inbound', { from: '13910000008', text: 'TD' });
    expect(r2.status).toBe(202);
    const c = await eventually(async () => {
      const g = (await a.api.get(`/api/v1/campaigns/${campaignId}`)).body;
      return g.stats.replies === 1 && g.stats.optOuts === 1 ? g : null;
    }, 'reply and opt-out counted');
    expect(c.stats.sent).toBe(185);
  });

  it('lists campaigns', async () => {
    const r = await a.api.get('/api/v1/campaigns');
    expect(r.status).toBe(200);
    expect(r.body.items.map((x: { id: string }) => x.id)).toContain(campaignId);
  });

  it('keeps another merchant out', async () => {
    const b = await merchant('camp-b', '72', 1_000);
    expect((await b.api.get(`/api/v1/campaigns/${campaignId}`)).status).toBe(404);
    expect((await b.api.post(`/api/v1/campaigns/${campaignId}/send`)).status).toBe(404);
    expect((await b.api.post(`/api/v1/campaigns/${campaignId}/pause`)).status).toBe(404);
    expect((await b.api.get(`/api/v1/campaigns/${campaignId}/results`)).status).toBe(404);
    expect((await b.api.post(`/api/v1/campaigns/${campaignId}/preview`, {})).status).toBe(404);
    expect((await b.api.post(`/api/v1/campaigns/${campaignId}/resume`)).status).toBe(404);
    expect((await b.api.get('/api/v1/campaigns')).body.items).toEqual([]);
    // B cannot preview its own campaign with A's member either
    const own = await b.api.post('/api/v1/campaigns', { name: 'b0', channel: 'sms', filter: TAG, template: '{name}', marketing: false });
    expect((await b.api.post(`/api/v1/campaigns/${own.body.id}/preview`, { memberId: ids[3] })).status).toBe(404);
    // B's frequency-cap settings are its own
    expect((await b.api.get('/api/v1/campaigns/settings')).body.frequencyCap).toEqual({ messages: 4, days: 30 });
    // B's campaign over the same filter sees none of A's members
    const r = await b.api.post('/api/v1/campaigns', { name: 'b', channel: 'sms', filter: TAG, template: 'hi', marketing: true });
    expect(r.status).toBe(201);
    expect(r.body.estimate).toEqual({ recipients: 0, suppressed: 0, segments: 0, costFen: 0 });
  });
});

describe('no credit', () => {
  it('409 insufficient_credit: nothing queued, the campaign stays a draft', async () => {
    const c = await merchant('camp-poor', '73', 10); // two messages' worth
    await seedMembers(owner, c.tenant.id, 5, { prefix: '300', tag: 'promo' });
    const r = await c.api.post('/api/v1/campaigns', { name: 'x', channel: 'sms', filter: TAG, template: '你好{name}', marketing: true });
    expect(r.status).toBe(201);
    expect(r.body.estimate).toMatchObject({ recipients: 5, costFen: 25 });
    const s = await c.api.post(`/api/v1/campaigns/${r.body.id}/send`);
    expect(s.status).toBe(409);
    expect(s.headers.get('content-type')).toContain('application/problem+json');
    expect(s.body.type).toContain('insufficient_credit');
    expect((await c.api.get(`/api/v1/campaigns/${r.body.id}`)).body).toMatchObject({ status: 'draft', stats: { recipients: 0, queued: 0, sent: 0 } });
    const jobs = await owner.query(`SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'campaigns.fanout' AND data->>'campaignId' = $1`, [r.body.id]);
    expect(jobs.rows[0].n).toBe(0);
    expect((await asTenant<{ n: number }>(c.tenant.id, `SELECT count(*)::int AS n FROM sms_outbound WHERE tenant_id = $1`, [c.tenant.id]))[0]!.n).toBe(0);
    expect(await credit(c.tenant.id)).toBe(10);
  });
});

describe('hold-out and results', () => {
  it('sets aside exactly holdoutPct, never messages them, and compares purchases per member', async () => {
    const h = await merchant('camp-h', '74', 100_000);
    const ids = await seedMembers(owner, h.tenant.id, 100, { prefix: '400', tag: 'promo' });
    const r = await h.api.post('/api/v1/campaigns', { name: 'h', channel: 'sms', filter: TAG, template: '周末特惠', marketing: true, holdoutPct: 20 });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect((await h.api.post(`/api/v1/campaigns/${r.body.id}/send`)).status).toBe(202);
    const c = await done(h.api, r.body.id);
    expect(c.stats).toMatchObject({ recipients: 80, sent: 80, holdout: 20 });
    const groups = await asTenant<{ member_id: string; status: string }>(h.tenant.id, `SELECT member_id::text, status FROM campaign_recipients WHERE campaign_id = $1`, [r.body.id]);
    const held = groups.filter((g) => g.status === 'holdout').map((g) => g.member_id);
    const got = await asTenant<{ member_id: string }>(h.tenant.id, `SELECT member_id::text FROM sms_outbound WHERE campaign_id = $1`, [r.body.id]);
    expect(got).toHaveLength(80);
    expect(got.filter((g) => held.includes(g.member_id))).toEqual([]);
    // purchases after sending: two recipients buy 100 and 300 yuan, one held-out member 50 yuan
    const sentIds = ids.filter((id) => !held.includes(id));
    const buy = async (id: string, amountFen: number) => expect((await h.api.post('/api/v1/transactions', { member: { id }, amountFen })).status).toBe(201);
    await buy(sentIds[0]!, 10_000);
    await buy(sentIds[1]!, 30_000);
    await buy(held[0]!, 5_000);
    const res = await h.api.get(`/api/v1/campaigns/${r.body.id}/results?days=7`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.recipients).toEqual({ members: 80, purchasers: 2, purchases: 2, revenueFen: 40_000, conversionRate: 0.025, purchasesPerMember: 0.025, revenuePerMemberFen: 500 });
    expect(res.body.holdout).toEqual({ members: 20, purchasers: 1, purchases: 1, revenueFen: 5_000, conversionRate: 0.05, purchasesPerMember: 0.05, revenuePerMemberFen: 250 });
    expect(res.body.lift).toEqual({ revenuePerMemberFen: 250, conversionRate: -0.025 });
    expect((await h.api.get(`/api/v1/campaigns/${r.body.id}/results?days=0`)).status).toBe(400);
  });
});

describe('pause and resume', () => {
  it('stops between batches and continues where it stopped', async () => {
    const slow = await startCampaignApp(database, { campaignFanout: { batchSize: 10, pauseBetweenBatchesMs: 150 } });
    try {
      const token = await loginAdmin(slow.baseUrl);
      const p = await createTenant(slow.baseUrl, token, 'camp-p', '75');
      await client(slow.baseUrl, token).post('/api/v1/platform/tenants/camp-p/sms-credit', { amountFen: 100_000 });
      await p.api.put('/api/v1/sms/settings', { quietHours: { start: '00:00', end: '00:00' } });
      await seedMembers(owner, p.tenant.id, 120, { prefix: '500', tag: 'promo' });
      const r = await p.api.post('/api/v1/campaigns', { name: 'p', channel: 'sms', filter: TAG, template: '限时优惠', marketing: true });
      expect((await p.api.post(`/api/v1/campaigns/${r.body.id}/send`)).status).toBe(202);
      const progressed = async () => (await asTenant<{ n: number }>(p.tenant.id, `SELECT count(*)::int AS n FROM campaign_recipients WHERE campaign_id = $1 AND status <> 'pending'`, [r.body.id]))[0]!.n;
      await eventually(async () => (await progressed()) >= 20 || null, 'two batches', 20_000);
      const pa = await p.api.post(`/api/v1/campaigns/${r.body.id}/pause`);
      expect(pa.status).toBe(200);
      expect(pa.body.status).toBe('paused');
      const atPause = await progressed();
      await new Promise((res) => setTimeout(res, 800));
      expect(await progressed()).toBe(atPause);
      expect(atPause).toBeLessThan(120);
      const live = (await p.api.get(`/api/v1/campaigns/${r.body.id}`)).body;
      expect(live.status).toBe('paused');
      expect(live.stats.recipients).toBe(120);
      expect((await p.api.post(`/api/v1/campaigns/${r.body.id}/pause`)).status).toBe(409);
      const re = await p.api.post(`/api/v1/campaigns/${r.body.id}/resume`);
      expect(re.status).toBe(202);
      const c = await done(p.api, r.body.id, 60_000);
      expect(c.stats).toMatchObject({ recipients: 120, sent: 120, suppressed: 0 });
      const per = await asTenant<{ n: number; members: number }>(p.tenant.id, `SELECT count(*)::int AS n, count(DISTINCT member_id)::int AS members FROM sms_outbound WHERE campaign_id = $1`, [r.body.id]);
      expect(per[0]).toEqual({ n: 120, members: 120 });
    } finally {
      await slow.close();
    }
  }, 90_000);
});

describe('approval', () => {
  it('needs campaigns.approve to send when the merchant asks for approval', async () => {
    const m = await merchant('camp-ap', '76', 10_000);
    await seedMembers(owner, m.tenant.id, 3, { prefix: '600', tag: 'promo' });
    const planner = client(app.baseUrl, (await m.api.post('/api/v1/api-keys', { name: 'planner', permissions: ['campaigns.manage'] })).body.key);
    expect((await planner.put('/api/v1/campaigns/settings', { needsApproval: true })).status).toBe(403);
    expect((await m.api.put('/api/v1/campaigns/settings', { needsApproval: true })).body).toEqual({ needsApproval: true, frequencyCap: { messages: 4, days: 30 } });
    const r = await planner.post('/api/v1/campaigns', { name: 'x', channel: 'sms', filter: TAG, template: 'hello {name}', marketing: true });
    expect(r.status).toBe(201);
    const s = await planner.post(`/api/v1/campaigns/${r.body.id}/send`);
    expect(s.status).toBe(403);
    expect(s.body.type).toContain('approval_required');
    expect((await planner.get(`/api/v1/campaigns/${r.body.id}`)).body.status).toBe('draft');
    const ok = await m.api.post(`/api/v1/campaigns/${r.body.id}/send`);
    expect(ok.status).toBe(202);
    expect(ok.body.approvedBy).toBeTruthy();
    await done(m.api, r.body.id);
  });
});

describe('scheduling', () => {
  it('a campaign scheduled later waits as scheduled', async () => {
    const m = await merchant('camp-s', '77', 10_000);
    await seedMembers(owner, m.tenant.id, 2, { prefix: '700', tag: 'promo' });
    const at = new Date(Date.now() + 3_600_000).toISOString();
    const r = await m.api.post('/api/v1/campaigns', { name: 's', channel: 'sms', filter: TAG, template: 'later', marketing: true, scheduleAt: at });
    expect(r.status).toBe(201);
    const s = await m.api.post(`/api/v1/campaigns/${r.body.id}/send`);
    expect(s.status).toBe(202);
    expect(s.body.status).toBe('scheduled');
    const job = await owner.query(`SELECT start_after FROM pgboss.job WHERE name = 'campaigns.fanout' AND data->>'campaignId' = $1`, [r.body.id]);
    expect(new Date(job.rows[0].start_after).toISOString()).toBe(at);
  });
});

describe('scheduled run, credit running out, quiet hours', () => {
  it('runs at scheduleAt; members beyond the credit are suppressed no_credit, nothing overdrawn', async () => {
    const m = await merchant('camp-sc', '79', 10_000);
    await seedMembers(owner, m.tenant.id, 6, { prefix: '790', tag: 'promo' });
    const r = await m.api.post('/api/v1/campaigns', { name: 'sc', channel: 'sms', filter: TAG, template: '明天见', marketing: true, scheduleAt: new Date(Date.now() + 2_500).toISOString() });
    expect(r.status).toBe(201);
    expect((await m.api.post(`/api/v1/campaigns/${r.body.id}/send`)).body.status).toBe('scheduled');
    // the credit is spent elsewhere before the time comes: two messages' worth left
    await owner.query(`UPDATE tenants SET credit_fen = 10 WHERE id = $1`, [m.tenant.id]);
    const c = await done(m.api, r.body.id);
    expect(c.stats).toMatchObject({ recipients: 6, sent: 2, suppressed: 4, suppressedBy: { no_credit: 4 } });
    expect(await credit(m.tenant.id)).toBe(0);
    const logged = await asTenant<{ status: string; n: number }>(m.tenant.id, `SELECT status, count(*)::int AS n FROM sms_outbound WHERE campaign_id = $1 GROUP BY 1 ORDER BY 1`, [r.body.id]);
    const by = Object.fromEntries(logged.map((x) => [x.status, x.n]));
    expect(by.failed).toBe(4); // logged failed / no_credit by the SMS layer, not billed
    expect((by.sent ?? 0) + (by.delivered ?? 0) + (by.queued ?? 0)).toBe(2);
  });

  it('in quiet hours marketing waits for the morning (held, not submitted)', async () => {
    const m = await merchant('camp-q', '70', 10_000);
    const hh = (h: number) => `${String(((h % 24) + 24) % 24).padStart(2, '0')}:00`;
    const local = new Date().getUTCHours() + 8; // Asia/Shanghai
    expect((await m.api.put('/api/v1/sms/settings', { quietHours: { start: hh(local - 1), end: hh(local + 2) } })).status).toBe(200);
    await seedMembers(owner, m.tenant.id, 4, { prefix: '705', tag: 'promo' });
    const r = await m.api.post('/api/v1/campaigns', { name: 'q', channel: 'sms', filter: TAG, template: '早安', marketing: true });
    expect((await m.api.post(`/api/v1/campaigns/${r.body.id}/send`)).status).toBe(202);
    const c = await eventually(async () => {
      const g = (await m.api.get(`/api/v1/campaigns/${r.body.id}`)).body;
      return g.status === 'done' ? g : null;
    }, 'fan-out done');
    expect(c.stats).toMatchObject({ recipients: 4, queued: 4, sent: 0, heldForQuietHours: 4 });
  });
});

describe('a campaign that cannot be sent any more', () => {
  it('is paused (not retried forever) when its filter went stale before its scheduled run', async () => {
    const m = await merchant('camp-st', '69', 10_000);
    expect((await m.api.post('/api/v1/members/attributes', { key: 'club', label: 'Club', type: 'text' })).status).toBe(201);
    await seedMembers(owner, m.tenant.id, 2, { prefix: '690', tag: 'promo' });
    const filter = { all: [{ field: 'attributes.club', op: 'exists', value: true }] };
    const r = await m.api.post('/api/v1/campaigns', { name: 'st', channel: 'sms', filter, template: 'x', marketing: true, scheduleAt: new Date(Date.now() + 2_000).toISOString() });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect((await m.api.post(`/api/v1/campaigns/${r.body.id}/send`)).status).toBe(202);
    expect((await m.api.del('/api/v1/members/attributes/club')).status).toBe(204);
    const c = await eventually(async () => {
      const g = (await m.api.get(`/api/v1/campaigns/${r.body.id}`)).body;
      return g.status === 'paused' ? g : null;
    }, 'paused', 15_000);
    expect(c.stats.recipients).toBe(0);
  });
});

describe('bad input', () => {
  it('400 problem+json for unknown variables, past schedules, unknown fields, wrong template shapes; nothing stored', async () => {
    const m = await merchant('camp-bad', '78', 1_000);
    const base = { name: 'x', channel: 'sms', filter: TAG, template: 'hi', marketing: true };
    const cases: [Record<string, unknown>, string][] = [
      [{ ...base, template: '你好{nmae}' }, 'body.template.text'],
      [{ ...base, template: '{phone}' }, 'body.template.text'],
      [{ ...base, scheduleAt: new Date(Date.now() - 60_000).toISOString() }, 'body.scheduleAt'],
      [{ ...base, template: { subject: 's', body: 'b' } }, 'body.template.subject'],
      [{ ...base, channel: 'email', template: 'just text' }, 'body.template'],
      [{ ...base, template: '' }, 'body.template.text'],
      [{ ...base, segmentId: '1' }, 'body.segmentId'],
      [{ ...base, filter: { all: [{ field: 'nope', op: 'eq', value: 1 }] } }, 'body.filter'],
      [{ ...base, holdoutPct: 80 }, 'holdoutPct'],
      [{ ...base, extra: 1 }, 'extra'],
      [{ ...base, channel: 'fax' }, 'channel'],
    ];
    for (const [body, path] of cases) {
      const r = await m.api.post('/api/v1/campaigns', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.headers.get('content-type')).toContain('application/problem+json');
      expect(JSON.stringify(r.body), JSON.stringify(body)).toContain(path);
    }
    expect((await m.api.get('/api/v1/campaigns')).body.items).toEqual([]);
    expect((await m.api.post('/api/v1/campaigns/999999/send')).status).toBe(404);
    expect((await m.api.get('/api/v1/campaigns/abc')).status).toBe(400);
  });
});
