import ExcelJS from 'exceljs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, login, loginAdmin, type Client } from '../support/http.js';
import { eventually, smsTenant, startSmsServer, type SmsTenant } from '../support/sms.js';

let srv: Awaited<ReturnType<typeof startSmsServer>>;
let admin: Client;
let shop: SmsTenant;
let owner: pg.Client;

beforeAll(async () => {
  srv = await startSmsServer();
  admin = client(srv.baseUrl, await loginAdmin(srv.baseUrl));
  shop = await smsTenant(srv.baseUrl, 'send-shop', '41', 1_000);
  owner = new pg.Client({ connectionString: srv.database.url });
  await owner.connect();
});
afterAll(async () => {
  await owner?.end();
  await srv?.close();
});

const creditOf = async (slug: string) =>
  (await admin.get('/api/v1/platform/tenants')).body.items.find((t: { slug: string }) => t.slug === slug).creditFen as number;
const ledgerSum = async (tenantId: string) =>
  Number((await owner.query('SELECT coalesce(sum(delta_fen), 0)::text AS s FROM sms_credit_ledger WHERE tenant_id = $1', [tenantId])).rows[0].s);
const message = (id: string) => shop.api.get(`/api/v1/messages/${id}`).then((r) => r.body);
const settle = (id: string, status: string) => eventually(async () => ((await message(id)).status === status ? message(id) : null), `message ${id} ${status}`);

describe('billing', () => {
  it('costs exactly segments × price; a long Chinese message is billed ⌈n/67⌉', async () => {
    const credit0 = await creditOf('send-shop');
    const short = await shop.api.post('/api/v1/sms/send', { to: '13700000001', text: '取件码 1234' });
    expect(short.status).toBe(202);
    expect(short.body).toMatchObject({ segments: 1, costFen: 5, status: 'queued' });
    // 【Merchant send-shop】 is 20 characters; 200 more → 220 → ⌈220/67⌉ = 4
    const body = '会'.repeat(200);
    const long = await shop.api.post('/api/v1/sms/send', { to: '13700000001', text: body });
    expect(long.body).toMatchObject({ segments: 4, costFen: 20 });
    // 70 characters exactly is one segment; 71 two
    const seventy = await shop.api.post('/api/v1/sms/send', { to: '13700000001', text: '会'.repeat(50) });
    expect(seventy.body.segments).toBe(1);
    const seventyOne = await shop.api.post('/api/v1/sms/send', { to: '13700000001', text: '会'.repeat(51) });
    expect(seventyOne.body).toMatchObject({ segments: 2, costFen: 10 });
    expect(await creditOf('send-shop')).toBe(credit0 - 40);
    expect(await ledgerSum(shop.id)).toBe(await creditOf('send-shop'));
    await settle(long.body.id, 'delivered');
    const outbox = await admin.get('/api/v1/sandbox/sms/outbox?to=%2B8613700000001');
    const rec = outbox.body.items.find((i: { text: string }) => i.text.endsWith(body));
    expect(rec).toMatchObject({ segments: 4, from: shop.port });
  });

  it('no credit → failed no_credit, not submitted, credit unchanged', async () => {
    const poor = await smsTenant(srv.baseUrl, 'poor-shop', '42', 4);
    const r = await poor.api.post('/api/v1/sms/send', { to: '13700000002', text: '你好' });
    expect(r.status).toBe(202);
    expect(r.body).toMatchObject({ status: 'failed', failReason: 'no_credit', costFen: 0 });
    expect(await creditOf('poor-shop')).toBe(4);
    expect(await ledgerSum(poor.id)).toBe(4);
    await new Promise((res) => setTimeout(res, 200));
    const out = await admin.get('/api/v1/sandbox/sms/outbox?to=13700000002');
    expect(out.body.items).toHaveLength(0);
    expect((await poor.api.get(`/api/v1/messages/${r.body.id}`)).body.status).toBe('failed');
  });

  it('a permanent submit failure is refunded through the ledger; a transient one is retried and sent once', async () => {
    const credit0 = await creditOf('send-shop');
    const r = await shop.api.post('/api/v1/sms/send', { to: '19900001234', text: '你好' });
    expect(r.body.status).toBe('queued');
    const failed = await settle(r.body.id, 'failed');
    expect(failed.failReason).toMatch(/^rejected/);
    expect(await creditOf('send-shop')).toBe(credit0);
    expect(await ledgerSum(shop.id)).toBe(credit0);
    const { rows } = await owner.query(`SELECT reason, delta_fen::int FROM sms_credit_ledger WHERE tenant_id = $1 AND ref_id = $2 ORDER BY id`, [shop.id, r.body.id]);
    expect(rows).toEqual([
      { reason: 'sms_send', delta_fen: -5 },
      { reason: 'sms_refund', delta_fen: 5 },
    ]);
    const t = await shop.api.post('/api/v1/sms/send', { to: '19900021234', text: '稍后重试' });
    const sent = await eventually(async () => {
      const m = await message(t.body.id);
      return m.status === 'delivered' ? m : null;
    }, 'retried message delivered');
    expect(sent.attempts).toBe(2);
    const out = await admin.get('/api/v1/sandbox/sms/outbox?to=19900021234');
    expect(out.body.items).toHaveLength(1);
  });
});

describe('delivery reports', () => {
  it('move status forward only; a failed report after delivered is ignored; unknown ids are counted', async () => {
    const r = await shop.api.post('/api/v1/sms/send', { to: '13700000003', text: 'dlr' });
    const m = await settle(r.body.id, 'delivered');
    const gw = (await owner.query('SELECT gateway_message_id FROM sms_outbox WHERE message_id = $1', [m.id])).rows[0].gateway_message_id;
    await srv.app.sms.sandbox!.report(gw, 'accepted');
    await srv.app.sms.sandbox!.report(gw, 'failed');
    expect((await message(m.id)).status).toBe('delivered');
    // DLR failed (UNDELIV) from the sandbox's failing range
    const f = await shop.api.post('/api/v1/sms/send', { to: '19900011234', text: 'x' });
    const undeliv = await settle(f.body.id, 'failed');
    expect(undeliv.failReason).toContain('undelivered');
    const metric = async () => {
      const text = await (await fetch(`${srv.baseUrl}/metrics`)).text();
      return Number(/^memberdesk_sms_dlr_unknown_total (\d+)/m.exec(text)?.[1] ?? 'NaN');
    };
    const before = await metric();
    await srv.app.sms.sandbox!.report('no-such-id', 'delivered');
    await srv.app.sms.sandbox!.report('', 'delivered');
    expect(await metric()).toBe(before + 2);
  });
});

describe('quiet hours', () => {
  it('hold a marketing message until they end; service messages go at once', async () => {
    // quiet from one hour ago to two hours ahead, Shanghai time
    const hh = (d: number) => {
      const h = (new Date().getUTCHours() + 8 + d + 24) % 24;
      return `${String(h).padStart(2, '0')}:00`;
    };
    const put = await shop.api.put('/api/v1/sms/settings', { quietHours: { start: hh(-1), end: hh(2) } });
    expect(put.status).toBe(200);
    const mk = await shop.api.post('/api/v1/sms/send', { to: '13700000004', text: '新品上市', kind: 'marketing' });
    expect(mk.body.status).toBe('queued');
    expect(new Date(mk.body.nextAttemptAt).getTime()).toBeGreaterThan(Date.now() + 3600_000);
    const sv = await shop.api.post('/api/v1/sms/send', { to: '13700000004', text: '验证码 0000' });
    await settle(sv.body.id, 'delivered');
    expect((await message(mk.body.id)).status).toBe('queued');
    const out = await admin.get('/api/v1/sandbox/sms/outbox?to=13700000004');
    expect(out.body.items.map((i: { text: string }) => i.text)).toEqual(['【Merchant send-shop】验证码 0000']);
    // when the quiet period ends it goes (simulate the morning by moving its due time)
    await owner.query(`UPDATE sms_outbox SET due_at = now() WHERE message_id = $1`, [mk.body.id]);
    await owner.query(`NOTIFY sms_outbox`);
    await settle(mk.body.id, 'delivered');
  });
});

describe('bad input', () => {
  it('is a 4xx problem and changes nothing', async () => {
    const credit0 = await creditOf('send-shop');
    const count = async () => Number((await owner.query('SELECT count(*) AS n FROM sms_outbound')).rows[0].n);
    const n0 = await count();
    const cases: [unknown, number][] = [
      [{ to: 'not-a-phone', text: 'x' }, 400],
      [{ to: '13700000005', text: '   ' }, 400],
      [{ to: '13700000005', text: '长'.repeat(490) }, 400],
      [{ to: '13700000005', text: 'x', extra: 1 }, 400],
      [{ to: '13700000005', text: 'x', kind: 'spam' }, 400],
      [{ to: '13700000005', text: 'x', subCode: '12a' }, 400],
      [{ to: '13700000005' }, 400],
    ];
    for (const [body, status] of cases) {
      const r = await shop.api.post('/api/v1/sms/send', body);
      expect(r.status, JSON.stringify(body)).toBe(status);
      expect(r.headers.get('content-type')).toContain('application/problem+json');
    }
    expect((await shop.api.put('/api/v1/sms/settings', { quietHours: { start: '25:00', end: '08:00' } })).status).toBe(400);
    expect((await shop.api.get('/api/v1/messages?cursor=zzz')).status).toBe(400);
    expect((await shop.api.get('/api/v1/messages?status=weird')).status).toBe(400);
    expect((await shop.api.get('/api/v1/sms/reports/status?from=yesterday')).status).toBe(400);
    expect((await admin.post('/api/v1/sandbox/sms/inbound', { from: '1', to: '2' })).status).toBe(400);
    expect((await shop.api.post('/api/v1/sandbox/sms/inbound', { from: '13700000005', to: shop.port, text: '888' })).status).toBe(403);
    expect(await count()).toBe(n0);
    expect(await creditOf('send-shop')).toBe(credit0);
  });
});

describe('reports', () => {
  it('give status, cost and remaining credit as JSON and as Excel', async () => {
    const status = await shop.api.get('/api/v1/sms/reports/status');
    expect(status.status).toBe(200);
    expect(status.body.items.find((i: { status: string }) => i.status === 'delivered').messages).toBeGreaterThan(0);
    const cost = await shop.api.get('/api/v1/sms/reports/cost');
    expect(cost.body.totals.creditFen).toBe(await creditOf('send-shop'));
    expect(cost.body.totals.costFen).toBe(1_000 - (await creditOf('send-shop')));
    const token = await login(srv.baseUrl, 'owner', 'owner-password-1', 'send-shop');
    const xlsx = await fetch(`${srv.baseUrl}/api/v1/sms/reports/cost?format=xlsx`, { headers: { authorization: `Bearer ${token}` } });
    expect(xlsx.status).toBe(200);
    expect(xlsx.headers.get('content-type')).toContain('spreadsheetml');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(await xlsx.arrayBuffer());
    const ws = wb.worksheets[0]!;
    expect(ws.getRow(1).getCell(1).value).toBe('日期 Day');
    const values = ws.getSheetValues().flat().filter((v) => v !== undefined && v !== null);
    expect(values).toContain(await creditOf('send-shop'));
    for (const name of ['keywords', 'replies']) expect((await shop.api.get(`/api/v1/sms/reports/${name}`)).status).toBe(200);
  });
});
