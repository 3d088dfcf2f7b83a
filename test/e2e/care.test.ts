/**
 * Automated care against real PostgreSQL, the sandbox SMS gateway and a real SMTP sink. "Now"
 * is passed into runTenantCare (the clock is never faked); rules and the log go through HTTP.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/test-db.js';
import { client, loginAdmin } from '../support/http.js';
import { eventually, smsTenant, type SmsApp, type SmsTenant } from '../support/sms.js';
import { startEmailApp } from '../support/email.js';
import { SmtpSink } from '../peers/smtp.js';
import pino from 'pino';
import { runTenantCare } from '../../src/marketing/care.service.js';
import { careJob } from '../../src/marketing/care.job.js';
import { startJobs } from '../../src/platform/jobs/queue.js';

let database: TestDatabase;
let app: SmsApp;
let smtp: SmtpSink;
let owner: pg.Client;
let a: SmsTenant;
let b: SmsTenant;

beforeAll(async () => {
  smtp = await SmtpSink.start();
  database = await createTestDatabase();
  app = await startEmailApp(database, { smtpPort: smtp.port });
  a = await smsTenant(app.baseUrl, 'care-a', '71', 1_000_000);
  b = await smsTenant(app.baseUrl, 'care-b', '72', 1_000_000);
  owner = new pg.Client({ connectionString: database.url });
  await owner.connect();
});
afterAll(async () => {
  await owner?.end();
  await app?.close();
  await database?.drop();
  await smtp?.close();
});

let phoneSeq = 0;
async function member(t: SmsTenant, extra: Record<string, unknown> = {}): Promise<string> {
  phoneSeq++;
  const phone = `1380${String(process.pid % 1000).padStart(3, '0')}${String(phoneSeq).padStart(4, '0')}`;
  const r = await t.api.post('/api/v1/members', { phone, name: `会员${phoneSeq}`, ...extra });
  if (r.status !== 201) throw new Error(`member: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.id as string;
}

const putRule = (t: SmsTenant, kind: string, body: Record<string, unknown>) => t.api.put(`/api/v1/care/rules/${kind}`, body);

async function sendsOf(t: SmsTenant, kind: string): Promise<{ member_id: string; occasion: string; status: string; message_id: string | null }[]> {
  const { rows } = await owner.query(
    `SELECT s.member_id::text, s.occasion, s.status, s.message_id::text FROM care_sends s JOIN care_rules r ON r.tenant_id = s.tenant_id AND r.id = s.rule_id
      WHERE s.tenant_id = $1 AND r.kind = $2 ORDER BY s.id`,
    [t.id, kind],
  );
  return rows;
}
const membersSent = async (t: SmsTenant, kind: string) => (await sendsOf(t, kind)).map((s) => s.member_id).sort();
const smsTo = async (memberId: string) =>
  (await owner.query<{ body: string; kind: string; status: string }>(`SELECT body, kind, status FROM sms_outbound WHERE member_id = $1 ORDER BY id`, [memberId])).rows;

describe('rules over HTTP', () => {
  it('lists all five kinds (off by default) and saves one; bad input is a 400 problem and stores nothing', async () => {
    const list = await a.api.get('/api/v1/care/rules');
    expect(list.status).toBe(200);
    expect(list.body.items.map((r: { kind: string }) => r.kind)).toEqual(['birthday', 'inactive', 'tier_upgrade', 'points_change', 'points_expiring']);
    expect(list.body.items.every((r: { enabled: boolean; id: string | null }) => !r.enabled && r.id === null)).toBe(true);
    expect(list.body.items.find((r: { kind: string }) => r.kind === 'birthday').messageKind).toBe('marketing');
    expect(list.body.items.find((r: { kind: string }) => r.kind === 'points_expiring').messageKind).toBe('service');

    const bad: [string, Record<string, unknown>, string][] = [
      ['birthday', { enabled: true, channel: 'sms', template: '{name}送您{coupon}', sendTime: '09:00' }, 'body.template'],
      ['birthday', { enabled: true, channel: 'sms', template: '生日快乐', sendTime: '24:00' }, 'sendTime'],
      ['birthday', { enabled: true, channel: 'sms', template: '生日快乐', sendTime: '9:00' }, 'sendTime'],
      ['birthday', { enabled: true, channel: 'sms', template: '生日快乐', sendTime: '09:00', coupon: 'X' }, 'coupon'],
      ['birthday', { enabled: true, channel: 'sms', template: '生日快乐', sendTime: '09:00', days: 31 }, 'body.days'],
      ['tier_upgrade', { enabled: true, channel: 'sms', template: '恭喜', sendTime: '09:00', days: 3 }, 'body.days'],
      ['birthday', { enabled: true, channel: 'email', template: '生日快乐', sendTime: '09:00' }, 'body.subject'],
      ['birthday', { enabled: true, channel: 'email', subject: '{phone}', template: '生日快乐', sendTime: '09:00' }, 'body.subject'],
      ['birthday', { enabled: true, channel: 'fax', template: '生日快乐', sendTime: '09:00' }, 'channel'],
      ['anniversary', { enabled: true, channel: 'sms', template: '生日快乐', sendTime: '09:00' }, 'kind'],
    ];
    for (const [kind, body, path] of bad) {
      const r = await putRule(a, kind, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.headers.get('content-type')).toContain('application/problem+json');
      expect(JSON.stringify(r.body)).toContain(path);
    }
    expect((await owner.query('SELECT count(*)::int AS n FROM care_rules')).rows[0].n).toBe(0);

    const ok = await putRule(a, 'inactive', { enabled: false, channel: 'sms', template: '{name}，好久不见', sendTime: '10:30', days: 45 });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ kind: 'inactive', enabled: false, sendTime: '10:30', days: 45, minPoints: null, messageKind: 'marketing' });
  });

  it('needs campaigns.manage', async () => {
    const k = await a.api.post('/api/v1/api-keys', { name: 'care-reader', permissions: ['members.read'] });
    expect(k.status).toBe(201);
    const other = client(app.baseUrl, k.body.key);
    expect((await other.get('/api/v1/care/rules')).status).toBe(403);
    expect((await other.get('/api/v1/care/sends')).status).toBe(403);
    expect((await other.post('/api/v1/care/run', {})).status).toBe(403);
  });
});

describe('birthday', () => {
  it('greets on the local birthday (UTC still on the day before), N days before, Feb 29 on Feb 28, opted-out members not at all', async () => {
    const today = await member(a, { birthday: '1990-11-23' });
    const utcDay = await member(a, { birthday: '1990-11-22' });
    const ahead = await member(a, { birthday: '1985-11-26' });
    const optedOut = await member(a, { birthday: '1992-11-23' });
    const leap = await member(a, { birthday: '2000-02-29' });
    await owner.query('UPDATE members SET sms_opt_out = true WHERE id = $1', [optedOut]);
    expect((await putRule(a, 'birthday', { enabled: true, channel: 'sms', template: '亲爱的{name}，{merchant}祝您生日快乐！', sendTime: '01:00' })).status).toBe(200);

    // 2026-11-22 16:30 UTC is 00:30 on 23 November in Shanghai: before the send time
    const early = await runTenantCare(database.db, a.id, { now: new Date('2026-11-22T16:30:00Z'), kind: 'birthday' });
    expect(early).toEqual([expect.objectContaining({ kind: 'birthday', skipped: 'before_send_time', queued: 0 })]);
    expect(await membersSent(a, 'birthday')).toEqual([]);

    // 17:30 UTC (22 Nov) = 01:30 local on 23 Nov: the 23 November birthday, not the 22nd
    const now = new Date('2026-11-22T17:30:00Z');
    const r1 = await runTenantCare(database.db, a.id, { now, kind: 'birthday' });
    expect(r1[0]).toMatchObject({ queued: 1, suppressed: 0, failed: 0 });
    expect(await membersSent(a, 'birthday')).toEqual([today]);
    expect((await sendsOf(a, 'birthday'))[0]).toMatchObject({ occasion: '2026', status: 'queued' });
    const [msg] = await smsTo(today);
    expect(msg!.kind).toBe('marketing');
    expect(msg!.body).toMatch(/^【Merchant care-a】亲爱的会员\d+，Merchant care-a祝您生日快乐！.*TD/);
    expect(await smsTo(utcDay)).toEqual([]);
    expect(await smsTo(optedOut)).toEqual([]);

    // later the same day: done; a manual rerun sends nothing new either
    expect((await runTenantCare(database.db, a.id, { now: new Date('2026-11-22T20:00:00Z'), kind: 'birthday' }))[0]!.skipped).toBe('done_today');
    expect((await runTenantCare(database.db, a.id, { now, kind: 'birthday', manual: true }))[0]!.queued).toBe(0);

    // three days ahead: the 26 November birthday; the 23rd is not greeted again (same year)
    expect((await putRule(a, 'birthday', { enabled: true, channel: 'sms', template: '{name}，生日快乐！', sendTime: '01:00', days: 3 })).status).toBe(200);
    await runTenantCare(database.db, a.id, { now, kind: 'birthday' });
    expect(await membersSent(a, 'birthday')).toEqual([today, ahead].sort());

    // 29 February birthdays: on 28 February 2027 (three days before: on 25 February)
    await runTenantCare(database.db, a.id, { now: new Date('2027-02-24T18:00:00Z'), kind: 'birthday' }); // 25 Feb 02:00 local
    expect((await sendsOf(a, 'birthday')).filter((s) => s.member_id === leap)).toEqual([expect.objectContaining({ occasion: '2027' })]);

    // the log over HTTP, paged
    const p1 = await a.api.get('/api/v1/care/sends?kind=birthday&limit=2');
    expect(p1.status).toBe(200);
    expect(p1.body.items).toHaveLength(2);
    expect(p1.body.items[0]).toMatchObject({ kind: 'birthday', channel: 'sms', memberId: leap, occasion: '2027', status: 'queued' });
    expect(p1.body.items[0].messageId).toMatch(/^\d+$/);
    const p2 = await a.api.get(`/api/v1/care/sends?kind=birthday&limit=2&cursor=${p1.body.nextCursor}`);
    expect(p2.body.items).toHaveLength(1);
    expect(p2.body.nextCursor).toBeNull();
    expect(p1.body.items[0].phone).toMatch(/^\+86\d{11}$/);
    // without members.pii: phones and names masked
    const k = await a.api.post('/api/v1/api-keys', { name: 'care-no-pii', permissions: ['campaigns.manage'] });
    const masked = await client(app.baseUrl, k.body.key).get('/api/v1/care/sends?kind=birthday&limit=1');
    expect(masked.status).toBe(200);
    expect(masked.body.items[0].phone).toContain('*');
    expect(masked.body.items[0].memberName).not.toBe(p1.body.items[0].memberName);
  });

  it('west of UTC: the local date is behind UTC (Los Angeles)', async () => {
    const w = await smsTenant(app.baseUrl, 'care-w', '75', 100_000);
    await owner.query(`UPDATE tenants SET timezone = 'America/Los_Angeles' WHERE id = $1`, [w.id]);
    const local = await member(w, { birthday: '1980-11-22' });
    const utc = await member(w, { birthday: '1980-11-23' });
    expect((await putRule(w, 'birthday', { enabled: true, channel: 'sms', template: '生日快乐', sendTime: '20:00' })).status).toBe(200);
    const [r] = await runTenantCare(database.db, w.id, { now: new Date('2026-11-23T05:00:00Z') }); // 21:00 on 22 Nov in Los Angeles
    expect(r).toMatchObject({ queued: 1 });
    expect(await membersSent(w, 'birthday')).toEqual([local]);
    expect(await smsTo(utc)).toEqual([]);
  });

  it('fires once per occasion across two concurrent runs; a rule switched off sends nothing', async () => {
    const ids = await Promise.all(Array.from({ length: 12 }, () => member(a, { birthday: '1991-06-15' })));
    expect((await putRule(a, 'birthday', { enabled: true, channel: 'sms', template: '{name}，生日快乐！', sendTime: '08:00' })).status).toBe(200);
    const now = new Date('2026-06-15T02:00:00Z'); // 10:00 local
    const runs = await Promise.all([
      runTenantCare(database.db, a.id, { now, kind: 'birthday', batchSize: 5 }),
      runTenantCare(database.db, a.id, { now, kind: 'birthday', batchSize: 5, manual: true }),
    ]);
    expect(runs[0]![0]!.queued + runs[1]![0]!.queued).toBe(12);
    const sent = await sendsOf(a, 'birthday');
    for (const id of ids) expect(sent.filter((s) => s.member_id === id)).toHaveLength(1);
    const { rows } = await owner.query(`SELECT member_id::text, count(*)::int AS n FROM sms_outbound WHERE member_id = ANY($1::bigint[]) GROUP BY 1`, [ids]);
    expect(rows).toHaveLength(12);
    expect(rows.every((r) => r.n === 1)).toBe(true);

    // off: a new birthday member is not greeted
    const late = await member(a, { birthday: '1993-06-15' });
    expect((await putRule(a, 'birthday', { enabled: false, channel: 'sms', template: '{name}，生日快乐！', sendTime: '08:00' })).status).toBe(200);
    expect(await runTenantCare(database.db, a.id, { now, manual: true, kind: 'birthday' })).toEqual([]);
    expect(await smsTo(late)).toEqual([]);
  });
});

describe('inactive', () => {
  it('reminds members without a purchase for N days (never bought: from joining), once per lapse', async () => {
    const now = new Date();
    const day = 86_400_000;
    const buy = async (memberId: string, daysAgo: number) => {
      const r = await a.api.post(
        '/api/v1/transactions',
        { member: { id: memberId }, amountFen: 1000, occurredAt: new Date(now.getTime() - daysAgo * day).toISOString() },
        { 'idempotency-key': randomUUID() },
      );
      expect(r.status, JSON.stringify(r.body)).toBe(201);
    };
    const neverBought = await member(a);
    const lapsed = await member(a);
    const recent = await member(a);
    const newcomer = await member(a);
    await owner.query(`UPDATE members SET created_at = now() - interval '100 days' WHERE id = ANY($1::bigint[])`, [[neverBought, lapsed, recent]]);
    await owner.query(`UPDATE members SET created_at = now() - interval '10 days' WHERE id = $1`, [newcomer]);
    await buy(lapsed, 40);
    await buy(recent, 5);
    expect((await putRule(a, 'inactive', { enabled: true, channel: 'sms', template: '{name}，好久不见，期待您再次光临', sendTime: '00:00', days: 30 })).status).toBe(200);

    await runTenantCare(database.db, a.id, { now, kind: 'inactive' });
    const first = await sendsOf(a, 'inactive');
    expect(first.map((s) => s.member_id).sort()).toEqual([neverBought, lapsed].sort());
    expect(first.find((s) => s.member_id === neverBought)!.occasion).toBe('joined');
    expect(first.find((s) => s.member_id === lapsed)!.occasion).toMatch(/^purchase:\d{4}-/);

    // again (manual, same day): nothing new
    expect((await runTenantCare(database.db, a.id, { now, kind: 'inactive', manual: true }))[0]!.queued).toBe(0);

    // the lapsed member came back 35 days ago and lapsed again: a new occasion
    await buy(lapsed, 35);
    expect((await runTenantCare(database.db, a.id, { now, kind: 'inactive', manual: true }))[0]!.queued).toBe(1);
    expect((await sendsOf(a, 'inactive')).filter((s) => s.member_id === lapsed)).toHaveLength(2);
    expect(await smsTo(recent)).toEqual([]);
    expect(await smsTo(newcomer)).toEqual([]);
  });
});

describe('service kinds', () => {
  it('tier upgrade: greets upgrades after the rule was switched on, opted-out members included (service)', async () => {
    const up = await member(a);
    const optedOut = await member(a);
    const down = await member(a);
    const imported = await member(a);
    const insertChange = (memberId: string, direction: string, cause = 'purchase') =>
      owner.query(
        `INSERT INTO loyalty_tier_changes (tenant_id, member_id, from_code, to_code, direction, cause, actor_type, actor_name)
         VALUES ($1, $2, 'silver', 'gold', $3, $4, 'system', 'test')`,
        [a.id, memberId, direction, cause],
      );
    await insertChange(up, 'up'); // before the rule is on: never greeted
    expect((await putRule(a, 'tier_upgrade', { enabled: true, channel: 'sms', template: '恭喜{name}升级为{tier}会员！', sendTime: '00:00' })).status).toBe(200);
    await owner.query('UPDATE members SET sms_opt_out = true WHERE id = $1', [optedOut]);
    await insertChange(up, 'up');
    await insertChange(optedOut, 'up');
    await insertChange(down, 'down');
    await insertChange(imported, 'up', 'opening_balance'); // brought over from another system: no congratulations
    const now = new Date();
    await runTenantCare(database.db, a.id, { now, kind: 'tier_upgrade' });
    await runTenantCare(database.db, a.id, { now, kind: 'tier_upgrade' });
    expect(await membersSent(a, 'tier_upgrade')).toEqual([up, optedOut].sort());
    const [m] = await smsTo(optedOut);
    expect(m).toMatchObject({ kind: 'service', status: expect.stringMatching(/queued|submitting|sent|delivered/) });
    expect(m!.body).not.toContain('TD');
  });

  it('points change: ledger entries at or above the threshold, once each', async () => {
    const m = await member(a);
    expect((await putRule(a, 'points_change', { enabled: true, channel: 'sms', template: '积分变动，当前积分{points}', sendTime: '00:00', minPoints: 5 })).status).toBe(200);
    for (const amountFen of [300, 20_000]) {
      const r = await a.api.post('/api/v1/transactions', { member: { id: m }, amountFen }, { 'idempotency-key': randomUUID() });
      expect(r.status).toBe(201);
    }
    const { rows } = await owner.query(`SELECT id::text, delta::int FROM loyalty_ledger WHERE member_id = $1 AND kind = 'points' ORDER BY id`, [m]);
    const expected = rows.filter((r) => Math.abs(r.delta) >= 5).map((r) => r.id);
    expect(expected.length).toBeGreaterThan(0);
    await Promise.all([runTenantCare(database.db, a.id, { kind: 'points_change' }), runTenantCare(database.db, a.id, { kind: 'points_change', manual: true })]);
    expect((await sendsOf(a, 'points_change')).map((s) => s.occasion)).toEqual(expected);
  });

  it('points expiring within N local days: once per expiry date', async () => {
    const soon = await member(a);
    const later = await member(a);
    const now = new Date();
    const day = 86_400_000;
    for (const [id, days] of [
      [soon, 3],
      [later, 20],
    ] as const) {
      const exp = new Date(now.getTime() + days * day);
      await owner.query(
        `INSERT INTO loyalty_point_lots (tenant_id, member_id, ref_type, earned_at, expires_at, original, remaining) VALUES ($1, $2, 'test', now(), $3, 100, 100)`,
        [a.id, id, exp],
      );
      await owner.query(`UPDATE members SET points = 100, points_expire_at = $2 WHERE id = $1`, [id, exp]);
    }
    expect((await putRule(a, 'points_expiring', { enabled: true, channel: 'sms', template: '您有积分即将过期，当前积分{points}', sendTime: '00:00', days: 7 })).status).toBe(200);
    await runTenantCare(database.db, a.id, { now, kind: 'points_expiring' });
    await runTenantCare(database.db, a.id, { now, kind: 'points_expiring', manual: true });
    const sent = await sendsOf(a, 'points_expiring');
    expect(sent.map((s) => s.member_id)).toEqual([soon]);
    expect(sent[0]!.occasion).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect((await smsTo(soon))[0]!.body).toContain('当前积分100');
  });
});

describe('email channel', () => {
  it('sends birthday greetings by email through the SMTP server; no address or unsubscribed → nothing', async () => {
    const mailed = await member(b, { birthday: '1988-03-10', email: 'li.na@example.cn' });
    const unsubscribed = await member(b, { birthday: '1988-03-10', email: 'wang@example.cn' });
    const noAddress = await member(b, { birthday: '1988-03-10' });
    await owner.query('UPDATE members SET email_opt_out = true WHERE id = $1', [unsubscribed]);
    const put = await putRule(b, 'birthday', { enabled: true, channel: 'email', subject: '{name}，生日快乐', template: '亲爱的{name}：\n{merchant}祝您生日快乐！', sendTime: '09:00' });
    expect(put.status).toBe(200);
    const res = await runTenantCare(database.db, b.id, { now: new Date('2026-03-10T01:30:00Z') }); // 09:30 local
    expect(res[0]).toMatchObject({ kind: 'birthday', queued: 1 });
    const mail = await eventually(async () => smtp.received.find((m) => m.envelopeTo.includes('li.na@example.cn')), 'birthday email');
    expect(mail.parsed.subject).toMatch(/^会员\d+，生日快乐$/);
    expect(mail.parsed.text).toContain('Merchant care-b祝您生日快乐！');
    expect(mail.raw.toString('latin1')).toMatch(/List-Unsubscribe:\s+<http/); // marketing: unsubscribe link
    expect(mail.parsed.text).toContain('/api/v1/email/unsubscribe?token=');
    expect(await membersSent(b, 'birthday')).toEqual([mailed]);
    expect(smtp.received.some((m) => m.envelopeTo.includes('wang@example.cn'))).toBe(false);
    expect(await smsTo(noAddress)).toEqual([]);
  });
});

describe('tenants are isolated', () => {
  it("a merchant's run and log never touch another's members, rules or sends", async () => {
    const aSends = (await owner.query(`SELECT count(*)::int AS n FROM care_sends WHERE tenant_id = $1`, [a.id])).rows[0].n;
    const bLog = await b.api.get('/api/v1/care/sends?limit=500');
    expect(bLog.status).toBe(200);
    expect(bLog.body.items.length).toBeGreaterThan(0);
    const bMembers = new Set((await owner.query(`SELECT id::text FROM members WHERE tenant_id = $1`, [b.id])).rows.map((r) => r.id));
    expect(bLog.body.items.every((s: { memberId: string }) => bMembers.has(s.memberId))).toBe(true);
    const aRules = (await a.api.get('/api/v1/care/rules')).body.items;
    const bRules = (await b.api.get('/api/v1/care/rules')).body.items;
    expect(bRules.find((r: { kind: string }) => r.kind === 'birthday').channel).toBe('email');
    expect(aRules.find((r: { kind: string }) => r.kind === 'birthday').channel).toBe('sms');

    // B's manual run over HTTP sends nothing to A's members
    const run = await b.api.post('/api/v1/care/run', {});
    expect(run.status).toBe(200);
    expect(run.body.rules.map((r: { kind: string }) => r.kind)).toEqual(['birthday']);
    expect((await owner.query(`SELECT count(*)::int AS n FROM care_sends WHERE tenant_id = $1`, [a.id])).rows[0].n).toBe(aSends);
    const wrongKind = await b.api.post('/api/v1/care/run', { kind: 'inactive' });
    expect(wrongKind.status).toBe(404);
    expect((await b.api.post('/api/v1/care/run', { kind: 'inactive', extra: 1 })).status).toBe(400);
  });
});

describe('credit', () => {
  it('out of credit: the rule stops, the occasions left are greeted after a top-up the same day, none twice', async () => {
    const price = Number((await owner.query(`SELECT sms_price_fen FROM tenants WHERE slug = 'care-a'`)).rows[0].sms_price_fen);
    expect(price).toBeGreaterThan(0);
    const d = await smsTenant(app.baseUrl, 'care-d', '74', 2 * price);
    const ids = [await member(d, { birthday: '1990-08-08' }), await member(d, { birthday: '1991-08-08' }), await member(d, { birthday: '1992-08-08' })];
    expect((await putRule(d, 'birthday', { enabled: true, channel: 'sms', template: '生日快乐', sendTime: '09:00' })).status).toBe(200);
    const now = new Date('2026-08-08T02:00:00Z'); // 10:00 local
    const [first] = await runTenantCare(database.db, d.id, { now });
    expect(first).toMatchObject({ queued: 2, skipped: 'no_credit' });
    expect(await membersSent(d, 'birthday')).toEqual(ids.slice(0, 2));
    const admin = client(app.baseUrl, await loginAdmin(app.baseUrl));
    expect((await admin.post('/api/v1/platform/tenants/care-d/sms-credit', { amountFen: 10 * price })).status).toBe(200);
    const [second] = await runTenantCare(database.db, d.id, { now: new Date('2026-08-08T03:00:00Z') });
    expect(second).toMatchObject({ queued: 1 });
    expect(second!.skipped).toBeUndefined();
    expect(await membersSent(d, 'birthday')).toEqual(ids);
    expect((await runTenantCare(database.db, d.id, { now, manual: true }))[0]!.queued).toBe(0);
    const statuses = (await smsTo(ids[2]!)).map((m) => m.status);
    expect(statuses.filter((x) => x === 'failed')).toHaveLength(1); // the attempt without credit, in the message log
    expect(statuses.filter((x) => x !== 'failed')).toHaveLength(1);
  });
});

describe('the scheduled job', () => {
  it('is scheduled with pg-boss and, when it runs, greets what is due', async () => {
    const c = await smsTenant(app.baseUrl, 'care-c', '73', 100_000);
    const m = await member(c);
    expect((await c.api.put('/api/v1/care/rules/tier_upgrade', { enabled: true, channel: 'sms', template: '恭喜{name}升级！', sendTime: '00:00' })).status).toBe(200);
    await owner.query(
      `INSERT INTO loyalty_tier_changes (tenant_id, member_id, from_code, to_code, direction, cause, actor_type, actor_name)
       VALUES ($1, $2, 'silver', 'gold', 'up', 'purchase', 'system', 'test')`,
      [c.id, m],
    );
    const jobs = await startJobs({ url: database.url, log: pino({ level: 'silent' }), scheduled: [careJob(database)] });
    try {
      expect((await jobs.boss.getSchedules()).map((s) => s.name)).toContain('care.run');
      await jobs.boss.send('care.run', { platform: true });
      await eventually(async () => (await membersSent(c, 'tier_upgrade')).includes(m), 'the job greeted the upgrade', 20_000);
    } finally {
      await jobs.stop();
    }
  });
});
