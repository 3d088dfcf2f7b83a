/**
 * SMS lottery (短信抽奖, issue 5) through the real inbound path: an MO injected at the sandbox
 * gateway, routed by port, entered, acknowledged by SMS (read back from the sandbox SMSC); the
 * draw, its verification, winner notification and prize collection; isolation between
 * merchants; bad input.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enterBySms } from '../../src/marketing/lottery.service.js';
import { withTenant } from '../../src/platform/db/with-tenant.js';
import { client, loginAdmin, type Client } from '../support/http.js';
import { eventually, smsTenant, startSmsServer, type SmsTenant } from '../support/sms.js';

let srv: Awaited<ReturnType<typeof startSmsServer>>;
let admin: Client;
let a: SmsTenant;
let b: SmsTenant;

beforeAll(async () => {
  srv = await startSmsServer();
  admin = client(srv.baseUrl, await loginAdmin(srv.baseUrl));
  a = await smsTenant(srv.baseUrl, 'lot-a', '51', 100_000);
  b = await smsTenant(srv.baseUrl, 'lot-b', '52', 100_000);
}, 60_000);
afterAll(async () => {
  await srv?.close();
});

const mo = async (from: string, to: string, text: string) => {
  const r = await admin.post('/api/v1/sandbox/sms/inbound', { from, to, text });
  expect(r.status).toBe(202);
};
async function outboxHead(): Promise<number> {
  const r = await admin.get('/api/v1/sandbox/sms/outbox?limit=1');
  return r.body.items[0] ? Number(r.body.items[0].id) : 0;
}
/** Messages the sandbox SMSC received for a phone after outbox position `after`, oldest first. */
async function sentTo(phone: string, after: number): Promise<{ id: string; text: string; from: string }[]> {
  const r = await admin.get(`/api/v1/sandbox/sms/outbox?to=${phone}&limit=500`);
  return (r.body.items as { id: string; text: string; from: string }[]).filter((i) => Number(i.id) > after).reverse();
}
const nextTo = (phone: string, after: number) => eventually(async () => (await sentTo(phone, after))[0] ?? null, `a message to ${phone}`);
const entriesOf = async (api: Client, lotteryId: string, query = '') => (await api.get(`/api/v1/lotteries/${lotteryId}/entries?limit=500${query}`)).body.items as Entry[];
type Entry = { id: string; phone: string; outcome: string; entryNo: number | null; answer: string };

const hoursFromNow = (h: number) => new Date(Date.now() + h * 3600_000).toISOString();
const lotteryBody = (over: Record<string, unknown> = {}) => ({
  name: '年会抽奖',
  answers: ['红色', 'Red'],
  startsAt: hoursFromNow(-1),
  endsAt: hoursFromNow(1),
  prizes: [
    { name: '一等奖', count: 1 },
    { name: '二等奖', count: 2 },
  ],
  ...over,
});

describe('a lottery from cj# to prize collection', () => {
  let lot: { id: string; startsAt: string };
  const sig = '【Merchant lot-a】';

  it('is created with defaults, merchant-time windows and Chinese templates', async () => {
    const r = await a.api.post('/api/v1/lotteries', lotteryBody());
    expect(r.status).toBe(201);
    lot = r.body;
    expect(r.body).toMatchObject({ name: '年会抽奖', answers: ['红色', 'Red'], entriesPerPhone: 1, membersOnly: false, status: 'open', entries: 0, timezone: 'Asia/Shanghai' });
    expect(r.body.templates.entered).toContain('{lottery}');
    // a time without offset is the merchant's (Asia/Shanghai, UTC+8)
    const local = await a.api.post('/api/v1/lotteries', lotteryBody({ name: '下月', startsAt: '2027-12-01T20:00', endsAt: '2027-12-02T08:30:00' }));
    expect(local.status).toBe(201);
    expect(local.body).toMatchObject({ startsAt: '2027-12-01T12:00:00.000Z', endsAt: '2027-12-02T00:30:00.000Z', status: 'scheduled' });
    expect((await a.api.del(`/api/v1/lotteries/${local.body.id}`)).status).toBe(204);
    expect((await a.api.get(`/api/v1/lotteries/${local.body.id}`)).status).toBe(404);
  });

  it('a valid entry (any case, width, spacing of an answer) is acknowledged by a service SMS from the port', async () => {
    const head = await outboxHead();
    await mo('13911110001', a.port, 'CJ＃ 红 色 ');
    const reply = await nextTo('13911110001', head);
    expect(reply.from).toBe(a.port);
    expect(reply.text).toBe(`${sig}您已成功参加“年会抽奖”，开奖后中奖者将收到短信通知，祝您好运！`);
    const entries = await entriesOf(a.api, lot.id);
    expect(entries).toEqual([expect.objectContaining({ phone: '+8613911110001', outcome: 'valid', entryNo: 1, answer: '红 色' })]);
    const msg = await eventually(async () => (await a.api.get('/api/v1/messages?direction=out&phone=13911110001')).body.items[0], 'log');
    expect(msg.kind).toBe('service');
    // filed as keyword 'lottery', not in the feedback inbox
    const inbound = await eventually(async () => (await a.api.get('/api/v1/messages?direction=in&phone=13911110001')).body.items[0], 'inbound');
    expect(inbound.keyword).toBe('lottery');
    expect(inbound.threadId ?? null).toBeNull();
    expect((await a.api.get('/api/v1/inbox?phone=13911110001')).body.items).toHaveLength(0);
    const head2 = await outboxHead();
    await mo('13911110009', a.port, 'cj#ＲＥＤ');
    expect((await nextTo('13911110009', head2)).text).toContain('您已成功参加');
  });

  it('a wrong answer is recorded and told so', async () => {
    const head = await outboxHead();
    await mo('13911110002', a.port, 'cj#蓝色');
    expect((await nextTo('13911110002', head)).text).toBe(`${sig}很遗憾，答案不正确，请核对后重新发送“cj#答案”参加“年会抽奖”。`);
    expect(await entriesOf(a.api, lot.id, '&phone=13911110002')).toEqual([expect.objectContaining({ outcome: 'wrong_answer', entryNo: null, answer: '蓝色' })]);
  });

  it('a second entry from the same phone is refused', async () => {
    const head = await outboxHead();
    await mo('13911110001', a.port, 'cj#red');
    expect((await nextTo('13911110001', head)).text).toBe(`${sig}您已参加过“年会抽奖”，无需重复参与，祝您好运！`);
    const mine = await entriesOf(a.api, lot.id, '&phone=13911110001');
    expect(mine.map((e) => e.outcome).sort()).toEqual(['already_entered', 'valid']);
  });

  it('20 cj# from one phone at once: one entry, 20 attempts, 20 acknowledgements', async () => {
    const head = await outboxHead();
    await Promise.all(Array.from({ length: 20 }, () => mo('13911110003', a.port, 'cj#红色')));
    const mine = await eventually(async () => {
      const e = await entriesOf(a.api, lot.id, '&phone=13911110003');
      return e.length === 20 ? e : null;
    }, '20 attempts');
    expect(mine.filter((e) => e.outcome === 'valid')).toHaveLength(1);
    expect(mine.filter((e) => e.outcome === 'already_entered')).toHaveLength(19);
    const replies = await eventually(async () => {
      const s = await sentTo('13911110003', head);
      return s.length === 20 ? s : null;
    }, '20 replies');
    expect(replies.filter((m) => m.text.includes('您已成功参加'))).toHaveLength(1);
  });

  it('simultaneous transactions (as two processes) for one phone still make one entry: the unique key decides', async () => {
    const { rows } = await srv.database.pool.query<{ id: string }>(`SELECT id::text FROM tenants WHERE slug = 'lot-a'`);
    const tenantId = rows[0]!.id;
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        withTenant(srv.database.db, tenantId, async (tx) => {
          const r = await enterBySms(tx, { tenantId, phone: '+8613911110010', memberId: null, answer: '红色', receivedAt: new Date(), stagingId: null, merchant: 'm' });
          // hold the transaction open a little, so the others overlap it
          await new Promise((res) => setTimeout(res, 20));
          return r;
        }),
      ),
    );
    expect(results.filter((r) => r?.outcome === 'valid')).toHaveLength(1);
    expect(results.filter((r) => r?.outcome === 'already_entered')).toHaveLength(19);
    const mine = await entriesOf(a.api, lot.id, '&phone=13911110010&outcome=valid');
    expect(mine).toHaveLength(1);
  });

  it('N entries per phone when configured', async () => {
    const r = await a.api.patch(`/api/v1/lotteries/${lot.id}`, { entriesPerPhone: 2 });
    expect(r.status).toBe(200);
    await Promise.all(Array.from({ length: 5 }, () => mo('13911110004', a.port, 'cj#红色')));
    const mine = await eventually(async () => {
      const e = await entriesOf(a.api, lot.id, '&phone=13911110004');
      return e.length === 5 ? e : null;
    }, '5 attempts');
    expect(mine.filter((e) => e.outcome === 'valid').map((e) => e.entryNo).sort()).toEqual([1, 2]);
    expect((await a.api.patch(`/api/v1/lotteries/${lot.id}`, { entriesPerPhone: 1 })).status).toBe(200);
  });

  it('cannot be drawn while open', async () => {
    const r = await a.api.post(`/api/v1/lotteries/${lot.id}/draw`, {});
    expect(r.status).toBe(409);
    expect(r.body.type).toMatch(/lottery_open/);
  });

  it('outside the window: recorded and told so', async () => {
    for (const p of ['13911110005', '13911110006', '13911110007', '13911110008']) await mo(p, a.port, 'cj#红色');
    await eventually(async () => ((await entriesOf(a.api, lot.id, '&outcome=valid')).length === 10 ? true : null), 'valid entries');
    expect((await a.api.patch(`/api/v1/lotteries/${lot.id}`, { endsAt: new Date().toISOString() })).status).toBe(200);
    const head = await outboxHead();
    await mo('13911110011', a.port, 'cj#红色');
    expect((await nextTo('13911110011', head)).text).toBe(`${sig}“年会抽奖”不在参与时间内，感谢您的关注。`);
    expect(await entriesOf(a.api, lot.id, '&phone=13911110011')).toEqual([expect.objectContaining({ outcome: 'outside_window' })]);
  });

  let draw: { winners: { id: string; phone: string; prize: string; entryId: string; messageId: string | null }[]; seed: string; winnerEntryIds: string[] };
  it('draws exactly the prize counts from valid entries, once, and notifies the winners', async () => {
    const valid = await entriesOf(a.api, lot.id, '&outcome=valid');
    expect(valid).toHaveLength(10);
    const head = await outboxHead();
    const r = await a.api.post(`/api/v1/lotteries/${lot.id}/draw`, {});
    expect(r.status).toBe(201);
    draw = r.body;
    expect(r.body).toMatchObject({ algorithm: 'hmac-sha256-ctr/fisher-yates/v1', entryCount: 10 });
    expect(r.body.seed).toMatch(/^[0-9a-f]{64}$/);
    expect(draw.winners.map((w) => w.prize)).toEqual(['一等奖', '二等奖', '二等奖']);
    const validIds = new Set(valid.map((e) => e.id));
    expect(draw.winners.every((w) => validIds.has(w.entryId))).toBe(true);
    expect(new Set(draw.winners.map((w) => w.entryId)).size).toBe(3);
    expect(draw.winnerEntryIds).toEqual(draw.winners.map((w) => w.entryId));
    for (const w of draw.winners) {
      expect(w.messageId).not.toBeNull();
      // a phone with several entries may win twice: each prize has its own SMS
      const wanted = `${sig}恭喜您在“年会抽奖”中获得${w.prize}！请凭本短信到店领奖。`;
      const sms = await eventually(async () => (await sentTo(w.phone.replace('+86', ''), head)).find((m) => m.text === wanted), `winner SMS to ${w.phone}: ${wanted}`);
      expect(sms.text).toBe(wanted);
    }
    const again = await a.api.post(`/api/v1/lotteries/${lot.id}/draw`, {});
    expect(again.status).toBe(409);
    expect(again.body.type).toMatch(/already_drawn/);
    expect((await a.api.get(`/api/v1/lotteries/${lot.id}`)).body).toMatchObject({ status: 'drawn', entries: 10 });
    expect((await a.api.get(`/api/v1/lotteries/${lot.id}/draw`)).body.seed).toBe(draw.seed);
  });

  it('is verifiable from stored data, and verification notices a changed entry list', async () => {
    const v = await a.api.get(`/api/v1/lotteries/${lot.id}/draw/verify`);
    expect(v.status).toBe(200);
    expect(v.body).toMatchObject({ verified: true, problems: [], recomputedWinnerEntryIds: draw.winnerEntryIds, entryCount: 10, recomputedEntryCount: 10 });
    expect(v.body.recomputedEntriesHash).toBe(v.body.entriesHash);
    // tamper as the database owner: one losing valid entry is dropped from the pool
    const owner = new pg.Client({ connectionString: srv.database.url });
    await owner.connect();
    try {
      const loser = (await entriesOf(a.api, lot.id, '&outcome=valid')).find((e) => !draw.winnerEntryIds.includes(e.id))!;
      await owner.query(`UPDATE lottery_entries SET outcome = 'already_entered', entry_no = NULL WHERE id = $1`, [loser.id]);
      const bad = await a.api.get(`/api/v1/lotteries/${lot.id}/draw/verify`);
      expect(bad.body.verified).toBe(false);
      expect(bad.body.problems.join(' ')).toMatch(/hash mismatch/);
      await owner.query(`UPDATE lottery_entries SET outcome = 'valid', entry_no = $2 WHERE id = $1`, [loser.id, loser.entryNo]);
      expect((await a.api.get(`/api/v1/lotteries/${lot.id}/draw/verify`)).body.verified).toBe(true);
    } finally {
      await owner.end();
    }
    // an in-window message processed only after the draw (a backlog) does not change the pool
    const tenantId = (await srv.database.pool.query<{ id: string }>(`SELECT id::text FROM tenants WHERE slug = 'lot-a'`)).rows[0]!.id;
    const late = await withTenant(srv.database.db, tenantId, (tx) =>
      enterBySms(tx, { tenantId, phone: '+8613911110012', memberId: null, answer: '红色', receivedAt: new Date(new Date(lot.startsAt).getTime() + 60_000), stagingId: null, merchant: 'm' }),
    );
    expect(late).toMatchObject({ lotteryId: lot.id, outcome: 'outside_window' });
    expect((await a.api.get(`/api/v1/lotteries/${lot.id}/draw/verify`)).body.verified).toBe(true);
  });

  it('lists winners for prize collection; a prize is collected once; a drawn lottery is frozen', async () => {
    const w = await a.api.get(`/api/v1/lotteries/${lot.id}/winners`);
    expect(w.body.items).toHaveLength(3);
    const first = w.body.items[0];
    const c = await a.api.post(`/api/v1/lotteries/${lot.id}/winners/${first.id}/collected`, {});
    expect(c.status).toBe(200);
    expect(c.body.collectedAt).not.toBeNull();
    expect(c.body.collectedBy).toBeTruthy();
    const c2 = await a.api.post(`/api/v1/lotteries/${lot.id}/winners/${first.id}/collected`, {});
    expect(c2.status).toBe(409);
    expect((await a.api.post(`/api/v1/lotteries/${lot.id}/winners/999999/collected`, {})).status).toBe(404);
    expect((await a.api.patch(`/api/v1/lotteries/${lot.id}`, { name: 'x' })).status).toBe(409);
    expect((await a.api.del(`/api/v1/lotteries/${lot.id}`)).status).toBe(409);
  });
});

describe('permissions, masking, concurrent draws', () => {
  it('needs campaigns.manage; phones are masked without members.pii', async () => {
    const keyed = async (permissions: string[]) => {
      const k = await a.api.post('/api/v1/api-keys', { name: `lot-${permissions.join('-')}`, permissions });
      expect(k.status).toBe(201);
      return client(srv.baseUrl, k.body.key);
    };
    const lot = (await a.api.get('/api/v1/lotteries')).body.items.find((l: { name: string }) => l.name === '年会抽奖');
    const noPii = await keyed(['campaigns.manage']);
    const entries = (await noPii.get(`/api/v1/lotteries/${lot.id}/entries`)).body.items as Entry[];
    expect(entries.length).toBeGreaterThan(0);
    for (const e of entries) expect(e.phone).toMatch(/^\d{3}\*{4}\d{4}$/);
    const winners = (await noPii.get(`/api/v1/lotteries/${lot.id}/winners`)).body.items as { phone: string }[];
    for (const w of winners) expect(w.phone).toMatch(/\*{4}/);
    const clerkish = await keyed(['members.read', 'sms.read']);
    expect((await clerkish.get('/api/v1/lotteries')).status).toBe(403);
    expect((await clerkish.post('/api/v1/lotteries', lotteryBody())).status).toBe(403);
    expect((await clerkish.post(`/api/v1/lotteries/${lot.id}/draw`, {})).status).toBe(403);
  });

  it('five simultaneous draw requests: one draw, four 409', async () => {
    const l = await a.api.post('/api/v1/lotteries', lotteryBody({ name: '并发开奖', answers: ['星星'], startsAt: hoursFromNow(-2), endsAt: hoursFromNow(1) }));
    expect(l.status).toBe(201);
    for (const p of ['13933330001', '13933330002', '13933330003']) await mo(p, a.port, 'cj#星星');
    await eventually(async () => ((await entriesOf(a.api, l.body.id, '&outcome=valid')).length === 3 ? true : null), '3 entries');
    expect((await a.api.patch(`/api/v1/lotteries/${l.body.id}`, { endsAt: new Date().toISOString() })).status).toBe(200);
    const rs = await Promise.all(Array.from({ length: 5 }, () => a.api.post(`/api/v1/lotteries/${l.body.id}/draw`, {})));
    expect(rs.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409]);
    // as many entries as prizes: every entry wins one, in the drawn order
    const won = rs.find((r) => r.status === 201)!.body;
    expect(won.winners.map((w: { prize: string }) => w.prize)).toEqual(['一等奖', '二等奖', '二等奖']);
    expect((await a.api.get(`/api/v1/lotteries/${l.body.id}/draw/verify`)).body.verified).toBe(true);
    // a lottery with no entries draws no winners
    const empty = await a.api.post('/api/v1/lotteries', lotteryBody({ name: '无人参加', answers: ['月亮'], startsAt: hoursFromNow(-3), endsAt: hoursFromNow(-2) }));
    const d = await a.api.post(`/api/v1/lotteries/${empty.body.id}/draw`, {});
    expect(d.status).toBe(201);
    expect(d.body).toMatchObject({ entryCount: 0, winners: [], winnerEntryIds: [] });
    expect((await a.api.get(`/api/v1/lotteries/${empty.body.id}/draw/verify`)).body.verified).toBe(true);
  });
});

describe('merchants are isolated', () => {
  it("a cj# to merchant A never enters merchant B's lottery; B cannot see A's", async () => {
    const lb = await b.api.post('/api/v1/lotteries', lotteryBody({ name: 'B店抽奖', answers: ['蓝天'], membersOnly: true }));
    expect(lb.status).toBe(201);
    const la = await a.api.post('/api/v1/lotteries', lotteryBody({ name: 'A店二期', answers: ['白云'] }));
    expect(la.status).toBe(201);
    const head = await outboxHead();
    await mo('13922220001', a.port, 'cj#蓝天');
    const reply = await nextTo('13922220001', head);
    expect(reply.from).toBe(a.port);
    expect(reply.text).toContain('答案不正确');
    expect(await entriesOf(a.api, la.body.id)).toEqual([expect.objectContaining({ outcome: 'wrong_answer' })]);
    expect(await entriesOf(b.api, lb.body.id)).toEqual([]);
    // cross-tenant reads are 404
    expect((await b.api.get(`/api/v1/lotteries/${la.body.id}`)).status).toBe(404);
    expect((await b.api.get(`/api/v1/lotteries/${la.body.id}/entries`)).status).toBe(404);
    expect((await b.api.post(`/api/v1/lotteries/${la.body.id}/draw`, {})).status).toBe(404);
    expect((await b.api.get('/api/v1/lotteries')).body.items.map((l: { id: string }) => l.id)).toEqual([lb.body.id]);
    // B's members-only lottery: a stranger is told to join first, then enters
    const h2 = await outboxHead();
    await mo('13922220001', b.port, 'cj#蓝天');
    expect((await nextTo('13922220001', h2)).text).toBe('【Merchant lot-b】“B店抽奖”仅限Merchant lot-b会员参加，回复888即可加入会员。');
    expect((await b.api.post('/api/v1/members', { phone: '13922220001', name: '王五' })).status).toBe(201);
    const h3 = await outboxHead();
    await mo('13922220001', b.port, 'cj#蓝天');
    expect((await nextTo('13922220001', h3)).text).toContain('您已成功参加“B店抽奖”');
    expect((await entriesOf(b.api, lb.body.id)).map((e) => e.outcome)).toEqual(['valid', 'not_member']);
    // the winner template may greet a member by name
    expect((await b.api.patch(`/api/v1/lotteries/${lb.body.id}`, { templates: { winner: '{name}您好，恭喜获得{prize}' }, endsAt: new Date().toISOString() })).status).toBe(200);
    const h4 = await outboxHead();
    const d = await b.api.post(`/api/v1/lotteries/${lb.body.id}/draw`, {});
    expect(d.status).toBe(201);
    expect(d.body.winners).toHaveLength(1);
    expect((await nextTo('13922220001', h4)).text).toBe('【Merchant lot-b】王五您好，恭喜获得一等奖');
    expect(await entriesOf(a.api, la.body.id, `&phone=${encodeURIComponent('+86 139-2222-0001')}`)).toHaveLength(1);
    expect((await a.api.get(`/api/v1/lotteries/${la.body.id}/entries?phone=12345`)).status).toBe(400);
  });
});

describe('bad input: 400 problem+json, nothing stored', () => {
  const cases: [string, Record<string, unknown>][] = [
    ['unknown field', lotteryBody({ colour: 'red' })],
    ['window end before start', lotteryBody({ startsAt: hoursFromNow(2), endsAt: hoursFromNow(1) })],
    ['window of zero length', lotteryBody({ startsAt: '2027-01-01T10:00', endsAt: '2027-01-01T10:00' })],
    ['no prizes', lotteryBody({ prizes: [] })],
    ['a prize of count 0', lotteryBody({ prizes: [{ name: '一等奖', count: 0 }] })],
    ['unknown prize field', lotteryBody({ prizes: [{ name: '一等奖', count: 1, value: 5 }] })],
    ['no answers', lotteryBody({ answers: [] })],
    ['blank answer', lotteryBody({ answers: ['  '] })],
    ['not a date', lotteryBody({ startsAt: '2027-02-30T10:00' })],
    ['not a date either', lotteryBody({ endsAt: 'tomorrow' })],
    ['unknown template variable', lotteryBody({ templates: { winner: '恭喜获得{gift}' } })],
    ['unknown template', lotteryBody({ templates: { loser: '下次好运' } })],
    ['zero entries per phone', lotteryBody({ entriesPerPhone: 0 })],
    ['missing name', { ...lotteryBody(), name: undefined }],
  ];
  it.each(cases)('%s', async (_label, body) => {
    const before = (await b.api.get('/api/v1/lotteries')).body.items.length;
    const r = await b.api.post('/api/v1/lotteries', body);
    expect(r.status).toBe(400);
    expect(r.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(r.body.status).toBe(400);
    expect((await b.api.get('/api/v1/lotteries')).body.items.length).toBe(before);
  });

  it('a PATCH that would end the window before it starts is refused and changes nothing', async () => {
    const l = (await b.api.post('/api/v1/lotteries', lotteryBody({ name: '补丁' }))).body;
    const r = await b.api.patch(`/api/v1/lotteries/${l.id}`, { endsAt: '2000-01-01T00:00:00Z' });
    expect(r.status).toBe(400);
    expect((await b.api.get(`/api/v1/lotteries/${l.id}`)).body.endsAt).toBe(l.endsAt);
    expect((await b.api.patch(`/api/v1/lotteries/${l.id}`, { bogus: 1 })).status).toBe(400);
    expect((await b.api.get(`/api/v1/lotteries/${l.id}/entries?bogus=1`)).status).toBe(400);
  });
});
