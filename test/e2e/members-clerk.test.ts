import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, createTenant, login, loginAdmin, type Client } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

/** The counter story: register by mobile number, find, open, rebind the phone; and what a
 * clerk without the personal-data permission sees. */
let server: TestServer;
let owner: Client;
let clerk: Client;
let storeId: string;

beforeAll(async () => {
  server = await startTestServer();
  const admin = await loginAdmin(server.baseUrl);
  const t = await createTenant(server.baseUrl, admin, 'tea-house', '31');
  owner = t.api;
  const hq = (await owner.get('/api/v1/org/nodes')).body.items[0];
  storeId = (await owner.post('/api/v1/org/nodes', { parentId: hq.id, kind: 'store', name: '南京路店' })).body.id;
  const clerkRole = (await owner.get('/api/v1/roles')).body.items.find((r: any) => r.code === 'clerk');
  expect(clerkRole.permissions).not.toContain('members.pii');
  const op = await owner.post('/api/v1/operators', { username: 'clerk1', password: 'clerk-password-1', name: '小王', roleId: clerkRole.id, orgNodeId: storeId });
  expect(op.status).toBe(201);
  clerk = client(server.baseUrl, await login(server.baseUrl, 'clerk1', 'clerk-password-1', 'tea-house'));
});
afterAll(async () => server?.close());

describe('the clerk story', () => {
  let member: any;

  it('registers a customer by mobile number and gives a card number at once', async () => {
    const res = await owner.post('/api/v1/members', { phone: '+86 138-0013-8000', name: '张三', gender: 'male', birthday: '1990-05-17', storeId, tags: ['vip', '常客'] });
    expect(res.status).toBe(201);
    member = res.body;
    expect(member).toMatchObject({
      phone: '+8613800138000',
      name: '张三',
      gender: 'male',
      birthday: '1990-05-17',
      tier: null,
      points: 0,
      tierPoints: 0,
      storedValueFen: 0,
      smsOptOut: false,
      status: 'active',
      attributes: {},
      tags: ['vip', '常客'],
      storeId,
      source: 'counter',
      piiMasked: false,
    });
    expect(member.cardNo).toBe('00000001'); // default plan: 8 digits, no prefix
    expect(member.id).toMatch(/^\d+$/);
    expect(Date.parse(member.createdAt)).not.toBeNaN();
    // the next one gets the next number
    const second = await owner.post('/api/v1/members', { phone: '13900139000', name: '李四' });
    expect(second.body.cardNo).toBe('00000002');
  });

  it('finds the member by phone in any form, by card number, and by fragments', async () => {
    for (const key of ['13800138000', '+8613800138000', '138 0013 8000', '00000001']) {
      const res = await owner.get(`/api/v1/members/lookup?key=${encodeURIComponent(key)}`);
      expect(res.status, key).toBe(200);
      expect(res.body.id).toBe(member.id);
    }
    expect((await owner.get('/api/v1/members/lookup?key=13700000000')).status).toBe(404);
    expect((await owner.get(`/api/v1/members?phone=${encodeURIComponent('138-0013-8000')}`)).body.items.map((m: any) => m.id)).toEqual([member.id]);
    expect((await owner.get('/api/v1/members?cardNo=00000001')).body.items.map((m: any) => m.id)).toEqual([member.id]);
    const byFragment = async (q: string) => (await owner.get(`/api/v1/members?q=${encodeURIComponent(q)}`)).body.items.map((m: any) => m.name);
    expect(await byFragment('8000')).toEqual(['张三']); // last digits of the phone
    expect(await byFragment('1380013')).toEqual(['张三']); // national form
    expect(await byFragment('+86 138')).toEqual(['张三']);
    expect(await byFragment('张')).toEqual(['张三']); // surname
    expect(await byFragment('张三')).toEqual(['张三']);
    expect(await byFragment('0001')).toEqual(['张三']); // card number fragment
    expect(await byFragment('00000')).toEqual(['李四', '张三']); // newest first
    expect(await byFragment('王五')).toEqual([]);
    expect((await owner.get('/api/v1/members?tag=vip')).body.items.map((m: any) => m.name)).toEqual(['张三']);
  });

  it('pages with a keyset cursor', async () => {
    for (let i = 0; i < 3; i++) expect((await owner.post('/api/v1/members', { phone: `1370000000${i}` })).status).toBe(201);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await owner.get(`/api/v1/members?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items.map((m: any) => m.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(5);
    expect([...seen].sort((a, b) => Number(b) - Number(a))).toEqual(seen);
    expect((await owner.get('/api/v1/members?cursor=not-a-cursor')).status).toBe(400);
  });

  it('opens the member page and edits the profile, recording each change', async () => {
    const got = await owner.get(`/api/v1/members/${member.id}`);
    expect(got.status).toBe(200);
    expect(got.body).toEqual({ ...member, updatedAt: got.body.updatedAt });
    const patched = await owner.patch(`/api/v1/members/${member.id}`, { name: '张三丰', tags: ['vip'], smsOptOut: true });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ name: '张三丰', tags: ['vip'], smsOptOut: true, cardNo: member.cardNo });
    const frozen = await owner.patch(`/api/v1/members/${member.id}`, { status: 'frozen' });
    expect(frozen.body.status).toBe('frozen');
    const changes = (await owner.get(`/api/v1/members/${member.id}/changes`)).body.items;
    expect(changes.map((c: any) => c.change)).toEqual(['status', 'profile', 'created']);
    expect(changes[1].before).toEqual({ name: '张三', tags: ['vip', '常客'], smsOptOut: false });
    expect(changes[1].after).toEqual({ name: '张三丰', tags: ['vip'], smsOptOut: true });
    expect(changes[1].actorName).toBeTruthy();
    await owner.patch(`/api/v1/members/${member.id}`, { status: 'active' });
  });

  it('rebinds the card to a new phone: card and history stay, the old number can join again, audited', async () => {
    const res = await owner.post(`/api/v1/members/${member.id}/phone`, { phone: '13511112222', reason: '换号' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: member.id, cardNo: member.cardNo, phone: '+8613511112222', name: '张三丰' });
    expect((await owner.get('/api/v1/members/lookup?key=13800138000')).status).toBe(404);
    expect((await owner.get('/api/v1/members/lookup?key=13511112222')).body.id).toBe(member.id);
    // the same number again is a harmless retry
    expect((await owner.post(`/api/v1/members/${member.id}/phone`, { phone: '+8613511112222', reason: 'retry' })).status).toBe(200);
    // another member's number is a conflict naming that member
    const other = (await owner.get('/api/v1/members/lookup?key=13900139000')).body;
    const taken = await owner.post(`/api/v1/members/${member.id}/phone`, { phone: '13900139000', reason: 'x' });
    expect(taken.status).toBe(409);
    expect(taken.body.detail).toContain(other.id);
    // the old number joins again as someone else
    const newcomer = await owner.post('/api/v1/members', { phone: '13800138000', name: '王五' });
    expect(newcomer.status).toBe(201);
    expect(newcomer.body.id).not.toBe(member.id);
    expect(newcomer.body.cardNo).not.toBe(member.cardNo);

    const changes = (await owner.get(`/api/v1/members/${member.id}/changes`)).body.items;
    expect(changes[0]).toMatchObject({ change: 'phone', before: { phone: '+8613800138000' }, after: { phone: '+8613511112222' }, reason: '换号' });
    const audit = (await owner.get('/api/v1/audit-log?action=member.phone_change')).body.items;
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ targetType: 'member', targetId: member.id, detail: { cardNo: member.cardNo, from: '138****8000', to: '135****2222', reason: '换号' } });
  });

  it('audits unmasked single-member reads at most once an hour per viewer and member', async () => {
    await owner.get(`/api/v1/members/${member.id}`);
    await owner.get(`/api/v1/members/${member.id}`);
    await owner.get('/api/v1/members/lookup?key=13511112222');
    const views = (await owner.get('/api/v1/audit-log?action=member.pii_view')).body.items.filter((e: any) => e.targetId === member.id);
    expect(views).toHaveLength(1);
  });
});

describe('the API document', () => {
  it('describes the member routes', async () => {
    const doc = (await client(server.baseUrl).get('/api/openapi.json')).body;
    for (const path of ['/api/v1/members', '/api/v1/members/{id}', '/api/v1/members/lookup', '/api/v1/members/{id}/phone', '/api/v1/member-applications/{id}/approve']) {
      expect(doc.paths[path], path).toBeTruthy();
    }
    expect(doc.paths['/api/v1/members/{id}/ledger']).toBeTruthy(); // served by the loyalty capability
  });
});

describe('a clerk without members.pii', () => {
  it('registers and finds members but sees phones and names masked', async () => {
    const res = await clerk.post('/api/v1/members', { phone: '13600136000', name: '欧阳娜娜' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ phone: '136****6000', name: '欧***', piiMasked: true });
    const found = await clerk.get('/api/v1/members/lookup?key=13600136000');
    expect(found.body).toMatchObject({ id: res.body.id, phone: '136****6000', name: '欧***' });
    const list = (await clerk.get('/api/v1/members?q=6000')).body.items;
    expect(list).toHaveLength(1);
    expect(list[0].phone).toBe('136****6000');
    const zhang = (await clerk.get('/api/v1/members?q=13511112222')).body.items[0];
    expect(zhang).toMatchObject({ phone: '135****2222', name: '张**' });
    const changes = (await clerk.get(`/api/v1/members/${zhang.id}/changes`)).body.items;
    expect(changes.find((c: any) => c.change === 'phone')).toMatchObject({ before: { phone: '138****8000' }, after: { phone: '135****2222' } });
    expect(changes.find((c: any) => c.change === 'profile').before.name).toBe('张*');
    // the owner (members.pii) sees it in full; the clerk's masked reads are not audited
    expect((await owner.get(`/api/v1/members/${res.body.id}`)).body).toMatchObject({ phone: '+8613600136000', name: '欧阳娜娜' });
  });

  it('cannot change settings or attribute definitions', async () => {
    expect((await clerk.put('/api/v1/members/settings', { reviewApplications: true })).status).toBe(403);
    expect((await clerk.post('/api/v1/members/attributes', { key: 'size', label: 'Size', type: 'text' })).status).toBe(403);
    expect((await clerk.post('/api/v1/members/card-pool', { cardNo: 'LUCKY888' })).status).toBe(403);
    expect((await clerk.get('/api/v1/members/settings')).status).toBe(200);
  });

  it('an API key without members.pii sees masked data too', async () => {
    const key = (await owner.post('/api/v1/api-keys', { name: 'POS', permissions: ['members.read', 'members.write'] })).body.key;
    const pos = client(server.baseUrl, key);
    const res = await pos.post('/api/v1/members', { phone: '15000150000', name: '赵六' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ phone: '150****0000', name: '赵*', source: 'api' });
    expect((await pos.get('/api/v1/members/lookup?key=15000150000')).body.name).toBe('赵*');
  });
});
