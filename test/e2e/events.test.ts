/**
 * Member events (活动管理, issue 5) through the API against real PostgreSQL and the sandbox SMS
 * gateway: invite a segment (opted-out members get nothing; one message each from the event's
 * sub-code), a reply to the sub-code signs the member up and is confirmed by SMS, capacity holds
 * under 30 concurrent sign-ups, attendance awards the points once (ledger = balance, reconcile
 * ok), results, another merchant sees nothing, bad input → 400 problem+json with nothing stored.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, createTenant, loginAdmin } from '../support/http.js';
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
  app = await startCampaignApp(database, { smsDispatcher: { batchSize: 100 } });
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
  expect((await t.api.put('/api/v1/sms/settings', { quietHours: { start: '00:00', end: '00:00' } })).status).toBe(200);
  return t;
}
const asTenant = async <T extends pg.QueryResultRow>(tenantId: string, text: string, values: unknown[] = []) => {
  await owner.query('BEGIN');
  await owner.query(`SELECT set_config('app.tenant_id', $1, true)`, [tenantId]);
  try {
    return (await owner.query<T>(text, values)).rows;
  } finally {
    await owner.query('COMMIT');
  }
};
const hoursFromNow = (h: number) => new Date(Date.now() + h * 3600_000).toISOString();
const TAG = { all: [{ field: 'tag', op: 'eq', value: 'vip' }] };
const phoneOf = (prefix: string, i: number) => `139${prefix}${String(i).padStart(5, '0')}`;

describe('an event for a segment', () => {
  let a: Awaited<ReturnType<typeof merchant>>;
  let ids: string[];
  let eventId: string;
  let subCode: string;

  beforeAll(async () => {
    a = await merchant('ev-a', '81', 100_000);
    ids = await seedMembers(owner, a.tenant.id, 40, { prefix: '200', tag: 'vip', optOut: (i) => i % 10 === 0 });
    await seedMembers(owner, a.tenant.id, 5, { prefix: '201', tag: 'other' });
  });

  it('creates an event for a saved segment', async () => {
    const seg = await a.api.post('/api/v1/segments', { name: 'VIP', filter: TAG });
    expect(seg.status).toBe(201);
    const r = await a.api.post('/api/v1/events', {
      name: '品酒会',
      place: '二楼大厅',
      startsAt: hoursFromNow(-1),
      endsAt: hoursFromNow(48),
      capacity: 100,
      segmentId: seg.body.id,
      invitation: '{name}您好，诚邀参加{event}（{startsAt}，{place}），回复任意内容报名',
      points: 50,
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body).toMatchObject({ name: '品酒会', capacity: 100, points: 50, subCode: null, signedUp: 0, filter: TAG });
    eventId = r.body.id;
    expect((await a.api.get('/api/v1/events')).body.items.map((e: { id: string }) => e.id)).toEqual([eventId]);
  });

  it('invites the segment once from the event sub-code; opted-out members get nothing', async () => {
    const r = await a.api.post(`/api/v1/events/${eventId}/invite`);
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    expect(r.body).toMatchObject({ targeted: 40, queued: 36, optedOut: 4, failed: 0, alreadyInvited: 0 });
    subCode = r.body.subCode;
    expect(subCode).toMatch(/^[0-9]+$/);
    const msgs = await asTenant<{ member_id: string; kind: string; sender: string; body: string }>(a.tenant.id, `SELECT member_id::text, kind, sender, body FROM sms_outbound WHERE tenant_id = $2 AND sub_code = $1`, [subCode, a.tenant.id]);
    expect(msgs).toHaveLength(36);
    expect(new Set(msgs.map((m) => m.member_id)).size).toBe(36);
    expect(msgs.every((m) => m.kind === 'marketing' && m.sender.endsWith(subCode))).toBe(true);
    expect(msgs.some((m) => ids.filter((_, i) => i % 10 === 0).includes(m.member_id))).toBe(false);
    expect(msgs[0]!.body).toContain('品酒会');
    // inviting again messages nobody twice
    const again = await a.api.post(`/api/v1/events/${eventId}/invite`);
    expect(again.body).toMatchObject({ subCode, targeted: 0, queued: 0, alreadyInvited: 40 });
    await eventually(async () => {
      const sent = app.app.sms.sandbox!.list({ limit: 5000 }).filter((x) => x.from.endsWith(subCode));
      return sent.length === 36 || null;
    }, 'invitations dispatched');
  });

  it('signs a member up by a reply to the sub-code and confirms it by SMS', async () => {
    const phone = phoneOf('200', 3);
    const r = await a.api.post('/api/v1/sms/sandbox/inbound', { from: phone, text: '好的，我参加', subCode });
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    const signups = await eventually(async () => {
      const s = (await a.api.get(`/api/v1/events/${eventId}/signups`)).body.items as { memberId: string; via: string }[];
      return s.length === 1 ? s : null;
    }, 'sms sign-up');
    expect(signups[0]).toMatchObject({ memberId: ids[3], via: 'sms' });
    const confirmation = await eventually(async () => {
      const m = await asTenant<{ body: string; kind: string }>(a.tenant.id, `SELECT body, kind FROM sms_outbound WHERE member_id = $1 AND kind = 'service' ORDER BY id DESC LIMIT 1`, [ids[3]]);
      return m[0] ?? null;
    }, 'confirmation');
    expect(confirmation.body).toContain('您已报名“品酒会”');
    expect(confirmation.body).toContain('二楼大厅');
    // a second reply does not sign up twice; the reply is not put in the feedback inbox
    await a.api.post('/api/v1/sms/sandbox/inbound', { from: phone, text: '再报一次', subCode });
    await eventually(async () => {
      const n = await asTenant<{ n: number }>(a.tenant.id, `SELECT count(*)::int AS n FROM sms_inbound WHERE sender LIKE $1 AND keyword = 'event'`, [`%${phone}`]);
      return n[0]!.n === 2 || null;
    }, 'second reply processed');
    expect((await a.api.get(`/api/v1/events/${eventId}/signups`)).body.items).toHaveLength(1);
    const threads = await asTenant<{ n: number }>(a.tenant.id, `SELECT count(*)::int AS n FROM sms_threads WHERE phone LIKE $1`, [`%${phone}`]);
    expect(threads[0]!.n).toBe(0);
  });

  it('signs up in the console once per member, cancels', async () => {
    const r = await a.api.post(`/api/v1/events/${eventId}/signups`, { memberId: ids[5] });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    const dup = await a.api.post(`/api/v1/events/${eventId}/signups`, { memberId: ids[5] });
    expect(dup.status).toBe(409);
    expect(dup.body.type).toContain('already_signed_up');
    expect((await a.api.post(`/api/v1/events/${eventId}/signups`, { memberId: ids[6] })).status).toBe(201);
    expect((await a.api.del(`/api/v1/events/${eventId}/signups/${ids[6]}`)).status).toBe(204);
    expect((await a.api.del(`/api/v1/events/${eventId}/signups/${ids[6]}`)).status).toBe(404);
    expect((await a.api.get(`/api/v1/events/${eventId}`)).body.signedUp).toBe(2);
  });

  it('awards the points once per attendee (ledger = balance, reconcile ok)', async () => {
    const pointsOf = async (id: string) => (await a.api.get(`/api/v1/members/${id}/loyalty`)).body.points as number;
    const before = await pointsOf(ids[3]!);
    const r = await a.api.post(`/api/v1/events/${eventId}/attendance`, { memberIds: [ids[3], ids[5], ids[3]] });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toEqual({ recorded: 2, alreadyRecorded: 0, pointsAwarded: 100, membersAwarded: 2 });
    // attending twice, at once and again later, never pays twice
    const twice = await Promise.all([1, 2, 3].map(() => a.api.post(`/api/v1/events/${eventId}/attendance`, { memberIds: [ids[3], ids[5]] })));
    expect(twice.map((x) => x.status)).toEqual([200, 200, 200]);
    expect(twice.every((x) => x.body.recorded === 0 && x.body.pointsAwarded === 0)).toBe(true);
    expect(await pointsOf(ids[3]!)).toBe(before + 50);
    expect(await pointsOf(ids[5]!)).toBe(50);
    // a re-run of the award that lost its record of payment (as if the process died between the
    // ledger commit and writing the operation id back) replays the ledger movement: still once
    await asTenant(a.tenant.id, `UPDATE event_attendance SET points_operation_id = NULL WHERE tenant_id = $1 AND member_id = $2`, [a.tenant.id, ids[3]]);
    const rerun = await a.api.post(`/api/v1/events/${eventId}/attendance`, { memberIds: [ids[3]] });
    expect(rerun.body).toMatchObject({ recorded: 0, membersAwarded: 1 });
    expect(await pointsOf(ids[3]!)).toBe(before + 50);
    const paid = await asTenant<{ n: number }>(a.tenant.id, `SELECT count(*)::int AS n FROM event_attendance WHERE tenant_id = $1 AND points_operation_id IS NOT NULL`, [a.tenant.id]);
    expect(paid[0]!.n).toBe(2);
    const rec = await a.api.get('/api/v1/loyalty/reconcile');
    expect(rec.status).toBe(200);
    expect(rec.body).toMatchObject({ ok: true, mismatches: [] });
    const after = await asTenant<{ s: string; n: number }>(
      a.tenant.id,
      `SELECT member_id::text, sum(delta)::text AS s, count(*)::int AS n FROM loyalty_ledger WHERE tenant_id = $2 AND member_id = ANY($1::bigint[]) AND kind = 'points' GROUP BY member_id ORDER BY member_id`,
      [[ids[3], ids[5]], a.tenant.id],
    );
    expect(after.map((l) => [l.s, l.n])).toEqual([['50', 1], ['50', 1]]);
  });

  it('shows the results: invited, signed up by channel, attended, points, purchases of attendees', async () => {
    expect((await a.api.post('/api/v1/transactions', { member: { id: ids[5] }, amountFen: 12_000 })).status).toBe(201);
    expect((await a.api.post('/api/v1/transactions', { member: { id: ids[7] }, amountFen: 99_000 })).status).toBe(201); // not an attendee
    const r = await a.api.get(`/api/v1/events/${eventId}/results?days=3`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({
      invited: 36,
      notInvited: { optedOut: 4, failed: 0 },
      signedUp: { total: 2, sms: 1, console: 1 },
      attended: 2,
      pointsAwarded: 100,
      pointsPending: 0,
      attendees: { purchasers: 1, purchases: 1, revenueFen: 12_000 },
    });
  });

  it('refuses to delete an event with attendance', async () => {
    expect((await a.api.del(`/api/v1/events/${eventId}`)).status).toBe(409);
  });

  it('keeps another merchant out', async () => {
    const b = await merchant('ev-b', '82', 1_000);
    expect((await b.api.get(`/api/v1/events/${eventId}`)).status).toBe(404);
    expect((await b.api.get('/api/v1/events')).body.items).toEqual([]);
    expect((await b.api.post(`/api/v1/events/${eventId}/invite`)).status).toBe(404);
    expect((await b.api.get(`/api/v1/events/${eventId}/signups`)).status).toBe(404);
    expect((await b.api.post(`/api/v1/events/${eventId}/signups`, { memberId: ids[8] })).status).toBe(404);
    expect((await b.api.post(`/api/v1/events/${eventId}/attendance`, { memberIds: [ids[8]] })).status).toBe(404);
    expect((await b.api.get(`/api/v1/events/${eventId}/results`)).status).toBe(404);
    expect((await b.api.del(`/api/v1/events/${eventId}`)).status).toBe(404);
    // B's own event cannot take A's members
    const own = await b.api.post('/api/v1/events', { name: 'b', startsAt: hoursFromNow(1), endsAt: hoursFromNow(2), filter: TAG, invitation: 'hi', points: 5 });
    expect(own.status).toBe(201);
    const s = await b.api.post(`/api/v1/events/${own.body.id}/signups`, { memberId: ids[8] });
    expect(s.status).toBe(400);
    const at = await b.api.post(`/api/v1/events/${own.body.id}/attendance`, { memberIds: [ids[8]] });
    expect(at.status).toBe(400);
    expect(await asTenant(b.tenant.id, `SELECT 1 FROM event_signups WHERE tenant_id = $1 UNION ALL SELECT 1 FROM event_attendance WHERE tenant_id = $1`, [b.tenant.id])).toEqual([]);
    // a reply from A's member to B's port with A's sub-code signs up nowhere
    expect((await a.api.get(`/api/v1/events/${eventId}`)).body.signedUp).toBe(2);
  });
});

describe('replies to an event sub-code', () => {
  it('answers "full" when the places are taken; keywords and non-members keep their meaning', async () => {
    const f = await merchant('ev-f', '86', 100_000);
    const ids = await seedMembers(owner, f.tenant.id, 3, { prefix: '500', tag: 'vip' });
    const e = await f.api.post('/api/v1/events', { name: '小课', startsAt: hoursFromNow(1), endsAt: hoursFromNow(2), capacity: 1, filter: TAG, invitation: '{event}' });
    const inv = await f.api.post(`/api/v1/events/${e.body.id}/invite`);
    expect(inv.body).toMatchObject({ queued: 3 });
    const sub = inv.body.subCode as string;
    const lastService = (memberId: string) =>
      eventually(async () => (await asTenant<{ body: string }>(f.tenant.id, `SELECT body FROM sms_outbound WHERE tenant_id = $1 AND member_id = $2 AND kind = 'service' ORDER BY id DESC LIMIT 1`, [f.tenant.id, memberId]))[0] ?? null, `reply to ${memberId}`);
    await f.api.post('/api/v1/sms/sandbox/inbound', { from: phoneOf('500', 0), text: '报名', subCode: sub });
    expect((await lastService(ids[0]!)).body).toContain('您已报名“小课”');
    await f.api.post('/api/v1/sms/sandbox/inbound', { from: phoneOf('500', 1), text: '报名', subCode: sub });
    expect((await lastService(ids[1]!)).body).toContain('名额已满');
    // TD on the sub-code opts out and signs nobody up
    await f.api.post('/api/v1/sms/sandbox/inbound', { from: phoneOf('500', 2), text: 'TD', subCode: sub });
    await eventually(async () => (await asTenant<{ sms_opt_out: boolean }>(f.tenant.id, `SELECT sms_opt_out FROM members WHERE tenant_id = $1 AND id = $2`, [f.tenant.id, ids[2]]))[0]!.sms_opt_out || null, 'opted out');
    // a stranger's reply is feedback for the inbox
    await f.api.post('/api/v1/sms/sandbox/inbound', { from: '13700000001', text: '我也想来', subCode: sub });
    await eventually(async () => (await asTenant<{ n: number }>(f.tenant.id, `SELECT count(*)::int AS n FROM sms_threads WHERE tenant_id = $1 AND phone LIKE '%13700000001'`, [f.tenant.id]))[0]!.n === 1 || null, 'stranger in the inbox');
    const signups = (await f.api.get(`/api/v1/events/${e.body.id}/signups`)).body.items as { memberId: string; via: string }[];
    expect(signups.map((x) => [x.memberId, x.via])).toEqual([[ids[0], 'sms']]);
    expect((await f.api.get(`/api/v1/events/${e.body.id}/results`)).body.signedUp).toEqual({ total: 1, sms: 1, console: 0 });
  });
});

describe('capacity', () => {
  it('holds under 30 concurrent sign-ups', async () => {
    const c = await merchant('ev-c', '83', 0);
    const ids = await seedMembers(owner, c.tenant.id, 30, { prefix: '300', tag: 'x' });
    const e = await c.api.post('/api/v1/events', { name: 'cap', startsAt: hoursFromNow(1), endsAt: hoursFromNow(2), capacity: 7, filter: TAG, invitation: 'hi' });
    expect(e.status, JSON.stringify(e.body)).toBe(201);
    const res = await Promise.all(ids.map((memberId) => c.api.post(`/api/v1/events/${e.body.id}/signups`, { memberId })));
    expect(res.filter((r) => r.status === 201)).toHaveLength(7);
    const refused = res.filter((r) => r.status !== 201);
    expect(refused).toHaveLength(23);
    expect(refused.every((r) => r.status === 409 && String(r.body.type).includes('event_full'))).toBe(true);
    const rows = await asTenant<{ n: number }>(c.tenant.id, `SELECT count(*)::int AS n FROM event_signups WHERE tenant_id = $2 AND event_id = $1`, [e.body.id, c.tenant.id]);
    expect(rows[0]!.n).toBe(7);
    // capacity cannot be lowered below the sign-ups
    const put = await c.api.put(`/api/v1/events/${e.body.id}`, { name: 'cap', startsAt: hoursFromNow(1), endsAt: hoursFromNow(2), capacity: 3, filter: TAG, invitation: 'hi' });
    expect(put.status).toBe(400);
  });

  it('closes after the deadline', async () => {
    const c = await merchant('ev-d', '84', 0);
    const [m] = await seedMembers(owner, c.tenant.id, 1, { prefix: '400', tag: 'x' });
    const e = await c.api.post('/api/v1/events', { name: 'late', startsAt: hoursFromNow(-2), endsAt: hoursFromNow(2), signupDeadline: hoursFromNow(-1), filter: TAG, invitation: 'hi' });
    const r = await c.api.post(`/api/v1/events/${e.body.id}/signups`, { memberId: m });
    expect(r.status).toBe(409);
    expect(r.body.type).toContain('signup_closed');
  });
});

describe('bad input', () => {
  it('answers 400 problem+json naming the field and stores nothing', async () => {
    const d = await merchant('ev-e', '85', 0);
    const good = { name: 'x', startsAt: hoursFromNow(1), endsAt: hoursFromNow(2), filter: TAG, invitation: 'hi {name}' };
    const cases: [Record<string, unknown>, string][] = [
      [{ ...good, extra: 1 }, ''],
      [{ ...good, endsAt: hoursFromNow(0.5) }, 'body.endsAt'],
      [{ ...good, invitation: 'hi {points}' }, 'body.invitation'],
      [{ ...good, confirmation: '{bogus}' }, 'body.confirmation'],
      [{ ...good, filter: { all: [{ field: 'nope', op: 'eq', value: 1 }] } }, 'body.filter'],
      [{ ...good, filter: undefined }, 'body.segmentId'],
      [{ ...good, capacity: 0 }, ''],
      [{ ...good, points: -5 }, ''],
      [{ ...good, startsAt: 'tomorrow' }, ''],
      [{ ...good, name: '   ' }, 'body.name'],
      [{ ...good, signupDeadline: hoursFromNow(3) }, 'body.signupDeadline'],
    ];
    for (const [body, path] of cases) {
      const r = await d.api.post('/api/v1/events', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.headers.get('content-type')).toContain('application/problem+json');
      if (path) expect(JSON.stringify(r.body.errors ?? []), JSON.stringify(body)).toContain(path);
    }
    expect(await asTenant(d.tenant.id, `SELECT 1 FROM events WHERE tenant_id = $1`, [d.tenant.id])).toEqual([]);
    const e = await d.api.post('/api/v1/events', good);
    expect(e.status).toBe(201);
    expect((await d.api.post(`/api/v1/events/${e.body.id}/signups`, { memberId: 'abc' })).status).toBe(400);
    expect((await d.api.post(`/api/v1/events/${e.body.id}/signups`, { memberId: '1', x: 1 })).status).toBe(400);
    expect((await d.api.post(`/api/v1/events/${e.body.id}/attendance`, { memberIds: [] })).status).toBe(400);
    expect((await d.api.get(`/api/v1/events/${e.body.id}/results?days=0`)).status).toBe(400);
    expect(await asTenant(d.tenant.id, `SELECT 1 FROM event_signups WHERE tenant_id = $1 UNION ALL SELECT 1 FROM event_attendance WHERE tenant_id = $1`, [d.tenant.id])).toEqual([]);
    // a valid change, then deletion (sign-ups go with the event)
    const [m] = await seedMembers(owner, d.tenant.id, 1, { prefix: '600', tag: 'vip' });
    expect((await d.api.post(`/api/v1/events/${e.body.id}/signups`, { memberId: m })).status).toBe(201);
    const put = await d.api.put(`/api/v1/events/${e.body.id}`, { ...good, name: 'renamed', place: 'B1', capacity: 5 });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect(put.body).toMatchObject({ name: 'renamed', place: 'B1', capacity: 5, signedUp: 1 });
    expect((await d.api.del(`/api/v1/events/${e.body.id}`)).status).toBe(204);
    expect((await d.api.get(`/api/v1/events/${e.body.id}`)).status).toBe(404);
    expect(await asTenant(d.tenant.id, `SELECT 1 FROM event_signups WHERE tenant_id = $1`, [d.tenant.id])).toEqual([]);
  });
});
