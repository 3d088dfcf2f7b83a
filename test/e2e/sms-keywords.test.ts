import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, loginAdmin, type Client } from '../support/http.js';
import { eventually, smsTenant, startSmsServer, type SmsTenant } from '../support/sms.js';

let srv: Awaited<ReturnType<typeof startSmsServer>>;
let admin: Client;
let shop: SmsTenant;

beforeAll(async () => {
  srv = await startSmsServer();
  admin = client(srv.baseUrl, await loginAdmin(srv.baseUrl));
  shop = await smsTenant(srv.baseUrl, 'kw-shop', '31', 10_000);
});
afterAll(async () => {
  await srv?.close();
});

const mo = (from: string, to: string, text: string) => admin.post('/api/v1/sandbox/sms/inbound', { from, to, text });
async function outboxHead(): Promise<number> {
  const r = await admin.get('/api/v1/sandbox/sms/outbox?limit=1');
  return r.body.items[0] ? Number(r.body.items[0].id) : 0;
}
/** The first message the sandbox SMSC received for a phone after outbox position `after`. */
async function nextTo(phone: string, after: number) {
  return eventually(async () => {
    const r = await admin.get(`/api/v1/sandbox/sms/outbox?to=${phone}`);
    const items = r.body.items.filter((i: { id: string }) => Number(i.id) > after);
    return items[items.length - 1] ?? null;
  }, `a message to ${phone}`);
}
const creditOf = async (slug: string) =>
  (await admin.get('/api/v1/platform/tenants')).body.items.find((t: { slug: string }) => t.slug === slug).creditFen as number;
const inboundOf = async (phone: string) =>
  eventually(async () => (await shop.api.get(`/api/v1/messages?direction=in&phone=${phone}`)).body.items[0], `inbound from ${phone}`);

describe('888 join by SMS', () => {
  it('creates the member and replies with the card number from the tenant port, billed', async () => {
    const credit0 = await creditOf('kw-shop');
    const head = await outboxHead();
    expect((await mo('13900000001', shop.port, ' ８８８ ')).status).toBe(202);
    const reply = await nextTo('13900000001', head);
    expect(reply.from).toBe(shop.port);
    expect(reply.to).toBe('+8613900000001');
    const members = await shop.api.get('/api/v1/members?phone=13900000001');
    expect(members.body.items).toHaveLength(1);
    const cardNo = members.body.items[0].cardNo;
    expect(reply.text).toBe(`【Merchant kw-shop】欢迎加入Merchant kw-shop会员！您的会员卡号：${cardNo}`);
    const log = await eventually(async () => {
      const r = await shop.api.get('/api/v1/messages?direction=out&phone=13900000001');
      return r.body.items[0]?.status === 'delivered' ? r.body.items[0] : null;
    }, 'delivered');
    expect(log).toMatchObject({ segments: 1, costFen: 5, from: shop.port, kind: 'service' });
    expect(await creditOf('kw-shop')).toBe(credit0 - 5);
    expect(await inboundOf('13900000001')).toMatchObject({ from: '+8613900000001', to: shop.port, keyword: '888', text: ' ８８８ ' });
    // a second 888: already a member, same card
    const head2 = await outboxHead();
    await mo('13900000001', shop.port, '888');
    expect((await nextTo('13900000001', head2)).text).toContain(`会员卡号：${cardNo}`);
    expect((await shop.api.get('/api/v1/members?phone=13900000001')).body.items).toHaveLength(1);
  });

  it('with application review on, files an application and says so', async () => {
    expect((await shop.api.put('/api/v1/members/settings', { reviewApplications: true })).status).toBe(200);
    try {
      const head = await outboxHead();
      await mo('13900000002', shop.port, '888');
      const reply = await nextTo('13900000002', head);
      expect(reply.text).toBe('【Merchant kw-shop】您的入会申请已收到，审核通过后将短信通知您。');
      expect((await shop.api.get('/api/v1/members?phone=13900000002')).body.items).toHaveLength(0);
      const apps = await shop.api.get('/api/v1/member-applications');
      expect(apps.body.items.some((a: { phone: string }) => a.phone === '+8613900000002')).toBe(true);
    } finally {
      await shop.api.put('/api/v1/members/settings', { reviewApplications: false });
    }
  });
});

describe('666 points query', () => {
  it('replies with points, tier and stored value', async () => {
    const m = await shop.api.post('/api/v1/members', { phone: '13900000003', name: '李四' });
    expect(m.status, JSON.stringify(m.body)).toBe(201);
    const top = await shop.api.post(`/api/v1/members/${m.body.id}/stored-value/top-up`, { amountFen: 5_000, tender: 'cash' });
    expect(top.status, JSON.stringify(top.body)).toBe(201);
    const tr = await shop.api.post('/api/v1/transactions', { member: { id: m.body.id }, amountFen: 12_345 });
    expect(tr.status, JSON.stringify(tr.body)).toBe(201);
    const head = await outboxHead();
    await mo('+86 139-0000-0003', shop.port, '６６６');
    const reply = await nextTo('13900000003', head);
    expect(reply.text).toBe('【Merchant kw-shop】您的积分：123，等级：无，储值余额：50.00元。');
    // not a member
    const head2 = await outboxHead();
    await mo('13900000004', shop.port, '666');
    expect((await nextTo('13900000004', head2)).text).toBe('【Merchant kw-shop】您还不是Merchant kw-shop会员，回复888即可加入。');
  });
});

describe('TD opt-out', () => {
  it('opts the member out of marketing (suppressed) while service messages still go', async () => {
    const m = await shop.api.post('/api/v1/members', { phone: '13900000005' });
    const head = await outboxHead();
    await mo('13900000005', shop.port, 'td');
    expect((await nextTo('13900000005', head)).text).toBe('【Merchant kw-shop】您已成功退订营销短信，服务类短信仍会正常发送。');
    expect((await shop.api.get(`/api/v1/members/${m.body.id}`)).body.smsOptOut).toBe(true);
    // wide quiet hours off, so only the opt-out can hold marketing back
    await shop.api.put('/api/v1/sms/settings', { quietHours: { start: '00:00', end: '00:00' } });
    const credit0 = await creditOf('kw-shop');
    const mk = await shop.api.post('/api/v1/sms/send', { to: '13900000005', text: '周末全场8折', kind: 'marketing' });
    expect(mk.status).toBe(202);
    expect(mk.body).toMatchObject({ status: 'suppressed', failReason: 'opted_out', costFen: 0 });
    expect(await creditOf('kw-shop')).toBe(credit0);
    const head2 = await outboxHead();
    const sv = await shop.api.post('/api/v1/sms/send', { to: '13900000005', text: '您的订单已发货' });
    expect(sv.body).toMatchObject({ status: 'queued', kind: 'service' });
    const got = await nextTo('13900000005', head2);
    expect(got.text).toBe('【Merchant kw-shop】您的订单已发货');
    // and the marketing message never reached the SMSC
    const toMember = (await admin.get('/api/v1/sandbox/sms/outbox?to=13900000005')).body.items.map((i: { text: string }) => i.text);
    expect(toMember.some((t: string) => t.includes('周末全场8折'))).toBe(false);
    // T and 退订 are opt-outs too
    for (const t of ['Ｔ', ' 退订 ']) {
      await mo('13900000006', shop.port, t);
      expect((await inboundOf('13900000006')).keyword).toBe('TD');
    }
    // a member who did not opt out gets the marketing message with the hint
    await shop.api.post('/api/v1/members', { phone: '13900000007' });
    const ok = await shop.api.post('/api/v1/sms/send', { to: '13900000007', text: '周末全场8折', kind: 'marketing' });
    expect(ok.body).toMatchObject({ status: 'queued', text: '【Merchant kw-shop】周末全场8折，回TD退订' });
  });
});

describe('feedback inbox', () => {
  it('files anything else as an unread thread; reading marks it read; a reply goes out by SMS', async () => {
    await mo('13900000008', shop.port, '你们几点关门？');
    const thread = await eventually(async () => (await shop.api.get('/api/v1/inbox?unread=true')).body.items.find((t: { phone: string }) => t.phone === '+8613900000008'), 'thread');
    expect(thread).toMatchObject({ lastText: '你们几点关门？', unread: 1 });
    const open = await shop.api.get(`/api/v1/inbox/${thread.id}`);
    expect(open.status).toBe(200);
    expect(open.body.messages).toHaveLength(1);
    expect(open.body.messages[0]).toMatchObject({ direction: 'in', text: '你们几点关门？' });
    expect((await shop.api.get('/api/v1/inbox')).body.items.find((t: { id: string }) => t.id === thread.id).unread).toBe(0);
    const head = await outboxHead();
    const reply = await shop.api.post(`/api/v1/inbox/${thread.id}/reply`, { text: '晚上十点' });
    expect(reply.status).toBe(201);
    expect(reply.body).toMatchObject({ direction: 'out', to: '+8613900000008', status: 'queued', threadId: thread.id });
    expect((await nextTo('13900000008', head)).text).toBe('【Merchant kw-shop】晚上十点');
    const again = await shop.api.get(`/api/v1/inbox/${thread.id}`);
    expect(again.body.messages.map((m: { direction: string }) => m.direction)).toEqual(['in', 'out']);
    // a lottery answer lands in the inbox too, filed as 'lottery'
    await mo('13900000008', shop.port, 'CJ＃ B ');
    const lot = await eventually(async () => {
      const r = await shop.api.get('/api/v1/messages?direction=in&phone=13900000008');
      return r.body.items.find((m: { keyword?: string }) => m.keyword === 'lottery');
    }, 'lottery');
    expect(lot.threadId).toBe(thread.id);
  });

  it('the message log interleaves both directions newest first and pages with a cursor', async () => {
    const all = (await shop.api.get('/api/v1/messages?limit=500')).body.items as { id: string; direction: string; createdAt: string }[];
    expect(new Set(all.map((m) => m.direction))).toEqual(new Set(['in', 'out']));
    for (let i = 1; i < all.length; i++) expect(all[i - 1]!.createdAt >= all[i]!.createdAt).toBe(true);
    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const r: { body: { items: { id: string; direction: string }[]; nextCursor: string | null } } = await shop.api.get(
        `/api/v1/messages?limit=3${cursor ? `&cursor=${cursor}` : ''}`,
      );
      paged.push(...r.body.items.map((m) => `${m.direction}${m.id}`));
      cursor = r.body.nextCursor;
    } while (cursor);
    expect(paged).toEqual(all.map((m) => `${m.direction}${m.id}`));
    const threads = (await shop.api.get('/api/v1/inbox?limit=1')).body;
    expect(threads.items).toHaveLength(1);
  });
});

describe('custom keywords and templates', () => {
  it('answers a custom keyword with its template; unknown variables are refused when saved', async () => {
    const bad = await shop.api.put('/api/v1/sms/keywords', { items: [{ keyword: 'hours', template: '{name}，营业时间 {openAt}' }] });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
    expect((await shop.api.put('/api/v1/sms/keywords', { items: [{ keyword: '888', template: 'x' }] })).status).toBe(409);
    const ok = await shop.api.put('/api/v1/sms/keywords', { items: [{ keyword: 'ｈｏｕｒｓ', template: '{name}您好，营业时间9:00-22:00' }] });
    expect(ok.status).toBe(200);
    expect(ok.body.items).toEqual([{ keyword: 'HOURS', template: '{name}您好，营业时间9:00-22:00' }]);
    await shop.api.post('/api/v1/members', { phone: '13900000009', name: '王五' });
    const head = await outboxHead();
    await mo('13900000009', shop.port, 'Hours');
    expect((await nextTo('13900000009', head)).text).toBe('【Merchant kw-shop】王五您好，营业时间9:00-22:00');
    // templates of the built-in keywords are editable too
    const t = await shop.api.put('/api/v1/sms/settings', { templates: { optOut: '已退订{merchant}的营销短信' } });
    expect(t.status).toBe(200);
    expect((await shop.api.put('/api/v1/sms/settings', { templates: { optOut: '{nope}' } })).status).toBe(400);
    const head2 = await outboxHead();
    await mo('13900000010', shop.port, 'TD');
    expect((await nextTo('13900000010', head2)).text).toBe('【Merchant kw-shop】已退订Merchant kw-shop的营销短信');
  });
});
