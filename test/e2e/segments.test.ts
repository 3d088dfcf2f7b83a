/**
 * Segments through the API (api.md "Segments and campaigns"): preview counts and samples for
 * every kind of field, saved segments and their counts, bad input (400 problem+json, nothing
 * stored), permissions and masking, and isolation between merchants.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, createTenant, loginAdmin, type Client } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

let server: TestServer;
let a: { tenant: { id: string }; token: string; api: Client };
let b: { tenant: { id: string }; token: string; api: Client };
const m: Record<string, string> = {}; // member ids by label
let storeX: string;
let storeY: string;

const DAY = 86_400_000;
const ago = (days: number, hours = 0) => new Date(Date.now() - days * DAY - hours * 3_600_000).toISOString();

async function member(api: Client, label: string, body: Record<string, unknown>) {
  const res = await api.post('/api/v1/members', body);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  m[label] = res.body.id;
}
async function buy(api: Client, label: string, amountFen: number, occurredAt: string) {
  const res = await api.post('/api/v1/transactions', { member: { id: m[label] }, amountFen, occurredAt });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
}

beforeAll(async () => {
  server = await startTestServer();
  const admin = await loginAdmin(server.baseUrl);
  a = await createTenant(server.baseUrl, admin, 'seg-a', '61');
  b = await createTenant(server.baseUrl, admin, 'seg-b', '62');
  const root = (await a.api.get('/api/v1/org/nodes')).body.items[0].id;
  storeX = (await a.api.post('/api/v1/org/nodes', { parentId: root, kind: 'store', name: 'X' })).body.id;
  storeY = (await a.api.post('/api/v1/org/nodes', { parentId: root, kind: 'store', name: 'Y' })).body.id;
  expect(
    (
      await a.api.put('/api/v1/loyalty/tiers', [
        { code: 'SILVER', name: '银卡', threshold: 0, discountPct: 0 },
        { code: 'GOLD', name: '金卡', threshold: 100_000, discountPct: 0 },
      ])
    ).status,
  ).toBe(200);
  for (const def of [
    { key: 'color', label: 'Color', type: 'single', options: ['red', 'blue'] },
    { key: 'size', label: 'Size', type: 'number' },
    { key: 'hobbies', label: 'Hobbies', type: 'multi', options: ['golf', 'tea'] },
    { key: 'note', label: 'Note', type: 'text' },
    { key: 'pet', label: 'Pet', type: 'boolean' },
    { key: 'since', label: 'Since', type: 'date' },
  ]) {
    const res = await a.api.post('/api/v1/members/attributes', def);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
  }
  const birthdayIn = (month: number) => `1990-${String(month).padStart(2, '0')}-15`;
  const thisMonth = new Date().getUTCMonth() + 1;
  await member(a.api, 'ann', {
    phone: '13800000001',
    name: 'Ann Lee',
    gender: 'female',
    birthday: birthdayIn(3),
    storeId: storeX,
    tags: ['vip', 'wine'],
    attributes: { color: 'red', size: 7, hobbies: ['golf', 'tea'], note: 'likes 100% cocoa', pet: true, since: '2020-05-01' },
  });
  await member(a.api, 'bob', { phone: '13800000002', name: 'Bob', gender: 'male', birthday: birthdayIn(thisMonth), storeId: storeY, tags: ['vip'], attributes: { color: 'blue', size: 12, pet: false } });
  await member(a.api, 'cat', { phone: '13900000003', name: '张三', storeId: storeX, attributes: { hobbies: ['tea'] } });
  await member(a.api, 'dan', { phone: '13900000004' });
  // purchases: ann 3 in the last 30 days (300 yuan) + one 100 days ago; bob one 70 days ago; cat one today
  await buy(a.api, 'ann', 10_000, ago(1));
  await buy(a.api, 'ann', 10_000, ago(5));
  await buy(a.api, 'ann', 10_000, ago(20));
  await buy(a.api, 'ann', 50_000, ago(100));
  await buy(a.api, 'bob', 2_000, ago(70));
  await buy(a.api, 'cat', 500, ago(0, 0));
  // merchant B: two members, one with a name and tag that would match A's filters
  await member(b.api, 'b1', { phone: '13800000001', name: 'Ann Lee', tags: ['vip'] });
  await member(b.api, 'b2', { phone: '13700000009' });
  await buy(b.api, 'b1', 90_000, ago(2));
});
afterAll(async () => {
  await server?.close();
});

async function matches(filter: unknown, api = a.api): Promise<string[]> {
  const res = await api.post('/api/v1/segments/preview', { filter });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  const labels = res.body.sample.map((s: { id: string }) => Object.keys(m).find((k) => m[k] === s.id) ?? `?${s.id}`);
  expect(res.body.count).toBe(labels.length);
  return labels.sort();
}

describe('preview: every kind of field', () => {
  const cases: [string, unknown, string[]][] = [
    ['everyone', { all: [] }, ['ann', 'bob', 'cat', 'dan']],
    ['nobody', { any: [] }, []],
    ['text eq', { field: 'name', op: 'eq', value: 'Bob' }, ['bob']],
    ['text contains (case-insensitive, CJK)', { any: [{ field: 'name', op: 'contains', value: 'ann' }, { field: 'name', op: 'contains', value: '张' }] }, ['ann', 'cat']],
    ['text exists false', { field: 'name', op: 'exists', value: false }, ['dan']],
    ['ne includes members without the value', { field: 'gender', op: 'ne', value: 'male' }, ['ann', 'cat', 'dan']],
    ['phone eq in national form', { field: 'phone', op: 'eq', value: '138 0000 0002' }, ['bob']],
    ['phone contains digits', { field: 'phone', op: 'contains', value: '139' }, ['cat', 'dan']],
    ['cardNo contains', { field: 'cardNo', op: 'contains', value: '0' }, ['ann', 'bob', 'cat', 'dan']],
    ['createdAt today', { field: 'createdAt', op: 'gte', value: new Date(Date.now() - DAY).toISOString().slice(0, 10) }, ['ann', 'bob', 'cat', 'dan']],
    ['storeId in', { field: 'storeId', op: 'in', value: ['__X__'] }, ['ann', 'cat']],
    ['storeId exists false', { field: 'storeId', op: 'exists', value: false }, ['dan']],
    ['smsOptOut', { field: 'smsOptOut', op: 'eq', value: false }, ['ann', 'bob', 'cat', 'dan']],
    ['status', { field: 'status', op: 'eq', value: 'active' }, ['ann', 'bob', 'cat', 'dan']],
    ['tag eq', { field: 'tag', op: 'eq', value: 'vip' }, ['ann', 'bob']],
    ['tag in', { field: 'tag', op: 'in', value: ['wine', 'nope'] }, ['ann']],
    ['tag exists false', { field: 'tag', op: 'exists', value: false }, ['cat', 'dan']],
    ['storedValueFen', { field: 'storedValueFen', op: 'eq', value: 0 }, ['ann', 'bob', 'cat', 'dan']],
    ['birthdayMonth', { field: 'birthdayMonth', op: 'eq', value: 3 }, ['ann']],
    ['birthdayMonth exists', { field: 'birthdayMonth', op: 'exists', value: true }, ['ann', 'bob']],
    ['spendFen in 30 days', { field: 'spendFen', op: 'gte', value: 30_000, days: 30 }, ['ann']],
    ['spendFen in 365 days', { field: 'spendFen', op: 'gte', value: 2_000, days: 365 }, ['ann', 'bob']],
    ['spendFen 0 in 30 days includes never-buyers', { field: 'spendFen', op: 'eq', value: 0, days: 30 }, ['bob', 'dan']],
    ['visits in 30 days', { field: 'visits', op: 'gte', value: 3, days: 30 }, ['ann']],
    ['visits ≥ 1 today', { field: 'visits', op: 'gte', value: 1, days: 1 }, ['cat']],
    ['no visit in 60 days', { field: 'visits', op: 'eq', value: 0, days: 60 }, ['bob', 'dan']],
    ['inactive 60 days (bought before, not since)', { field: 'lastVisitDaysAgo', op: 'gte', value: 60 }, ['bob']],
    ['last visit within a week', { field: 'lastVisitDaysAgo', op: 'lte', value: 7 }, ['ann', 'cat']],
    ['last visit today', { field: 'lastVisitDaysAgo', op: 'eq', value: 0 }, ['cat']],
    ['never visited', { field: 'lastVisitDaysAgo', op: 'exists', value: false }, ['dan']],
    ['single attribute', { field: 'attributes.color', op: 'eq', value: 'red' }, ['ann']],
    ['number attribute', { field: 'attributes.size', op: 'gt', value: 10 }, ['bob']],
    ['multi attribute contains', { field: 'attributes.hobbies', op: 'contains', value: 'tea' }, ['ann', 'cat']],
    ['text attribute contains % literally', { field: 'attributes.note', op: 'contains', value: '100%' }, ['ann']],
    ['boolean attribute', { field: 'attributes.pet', op: 'eq', value: false }, ['bob']],
    ['date attribute', { field: 'attributes.since', op: 'lt', value: '2021-01-01' }, ['ann']],
    ['attribute exists false', { field: 'attributes.color', op: 'exists', value: false }, ['cat', 'dan']],
    [
      'nested groups with not',
      { all: [{ field: 'tag', op: 'eq', value: 'vip' }, { not: { any: [{ field: 'storeId', op: 'eq', value: '__Y__' }, { field: 'gender', op: 'eq', value: 'female' }] } }] },
      [],
    ],
    ['typical: attribute + store', { all: [{ field: 'attributes.hobbies', op: 'contains', value: 'tea' }, { field: 'storeId', op: 'eq', value: '__X__' }] }, ['ann', 'cat']],
  ];
  for (const [what, filter, expected] of cases) {
    it(what, async () => {
      const f = JSON.parse(JSON.stringify(filter).replaceAll('__X__', storeX).replaceAll('__Y__', storeY));
      expect(await matches(f)).toEqual(expected);
    });
  }

  it('balances and tier, against what GET /members/{id} says', async () => {
    const all = await Promise.all(['ann', 'bob', 'cat', 'dan'].map(async (l) => ({ l, v: (await a.api.get(`/api/v1/members/${m[l]}`)).body })));
    const where = (p: (v: any) => boolean) => all.filter((x) => p(x.v)).map((x) => x.l).sort();
    const ann = all[0]!.v;
    expect(ann.points).toBeGreaterThan(0);
    expect(await matches({ field: 'points', op: 'gte', value: ann.points })).toEqual(where((v) => v.points >= ann.points));
    expect(await matches({ field: 'points', op: 'lt', value: ann.points })).toEqual(where((v) => v.points < ann.points));
    expect(await matches({ field: 'tierPoints', op: 'between', value: [1, ann.tierPoints] })).toEqual(where((v) => v.tierPoints >= 1 && v.tierPoints <= ann.tierPoints));
    expect(await matches({ field: 'tier', op: 'eq', value: 'SILVER' })).toEqual(where((v) => v.tier?.code === 'SILVER'));
    expect(await matches({ field: 'tier', op: 'nin', value: ['SILVER'] })).toEqual(where((v) => v.tier?.code !== 'SILVER'));
  });

  it('the sample is the Member of GET /members', async () => {
    const res = await a.api.post('/api/v1/segments/preview', { filter: { field: 'name', op: 'eq', value: 'Bob' } });
    const one = await a.api.get(`/api/v1/members/${m.bob}`);
    expect(res.body.sample).toEqual([one.body]);
    expect(res.body.sample[0]).toMatchObject({ phone: '+8613800000002', tier: { code: 'SILVER', name: '银卡' }, piiMasked: false });
  });

  it('masks phones and names without members.pii; no sample without members.read', async () => {
    const keyed = async (permissions: string[]) => {
      const k = await a.api.post('/api/v1/api-keys', { name: `k-${permissions.join('-')}`, permissions });
      expect(k.status).toBe(201);
      return client(server.baseUrl, k.body.key);
    };
    const noPii = await keyed(['campaigns.manage', 'members.read']);
    const res = await noPii.post('/api/v1/segments/preview', { filter: { field: 'name', op: 'eq', value: 'Bob' } });
    expect(res.status).toBe(200);
    expect(res.body.sample[0].phone).not.toContain('00000002');
    expect(res.body.sample[0].phone).toMatch(/\*/);
    expect(res.body.sample[0].piiMasked).toBe(true);
    const countOnly = await keyed(['campaigns.manage']);
    expect((await countOnly.post('/api/v1/segments/preview', { filter: { all: [] } })).body).toEqual({ count: 4, sample: [] });
    const clerkish = await keyed(['members.read']);
    expect((await clerkish.post('/api/v1/segments/preview', { filter: { all: [] } })).status).toBe(403);
    expect((await clerkish.get('/api/v1/segments')).status).toBe(403);
  });
});

describe('saved segments', () => {
  it('create, list, get, count, update, delete', async () => {
    const filter = { all: [{ field: 'tag', op: 'eq', value: 'vip' }] };
    const created = await a.api.post('/api/v1/segments', { name: 'VIPs', filter });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'VIPs', filter, createdBy: expect.any(String) });
    const id = created.body.id;
    expect((await a.api.post('/api/v1/segments', { name: 'VIPs', filter })).status).toBe(409);
    expect((await a.api.get('/api/v1/segments')).body.items.map((s: { id: string }) => s.id)).toContain(id);
    expect((await a.api.get(`/api/v1/segments/${id}`)).body).toEqual(created.body);
    const count = await a.api.get(`/api/v1/segments/${id}/count`);
    expect(count.status).toBe(200);
    expect(count.body).toMatchObject({ id, count: 2 });
    const upd = await a.api.put(`/api/v1/segments/${id}`, { name: 'Wine lovers', filter: { field: 'tag', op: 'eq', value: 'wine' } });
    expect(upd.status).toBe(200);
    expect(upd.body.name).toBe('Wine lovers');
    expect((await a.api.get(`/api/v1/segments/${id}/count`)).body.count).toBe(1);
    expect((await a.api.del(`/api/v1/segments/${id}`)).status).toBe(204);
    expect((await a.api.get(`/api/v1/segments/${id}`)).status).toBe(404);
    expect((await a.api.get(`/api/v1/segments/${id}/count`)).status).toBe(404);
  });

  it('a saved filter whose attribute was deleted since counts as 409, naming it', async () => {
    await a.api.post('/api/v1/members/attributes', { key: 'tmp', label: 'Tmp', type: 'text' });
    const s = await a.api.post('/api/v1/segments', { name: 'tmp users', filter: { field: 'attributes.tmp', op: 'exists', value: true } });
    expect(s.status).toBe(201);
    expect((await a.api.del('/api/v1/members/attributes/tmp')).status).toBe(204);
    const res = await a.api.get(`/api/v1/segments/${s.body.id}/count`);
    expect(res.status).toBe(409);
    expect(res.body.errors[0]).toMatchObject({ path: 'segment.filter.field', message: expect.stringMatching(/no attribute tmp/) });
  });
});

describe('bad input: 400 problem+json, nothing stored', () => {
  const bad: [string, unknown, string][] = [
    ['unknown field', { name: 's', filter: { field: 'salary', op: 'gt', value: 1 } }, 'body.filter.field'],
    ['unknown operator', { name: 's', filter: { field: 'points', op: 'approx', value: 1 } }, 'body.filter.op'],
    ['type mismatch', { name: 's', filter: { all: [{ field: 'points', op: 'gt', value: 'lots' }] } }, 'body.filter.all.0.value'],
    ['operator not for field', { name: 's', filter: { field: 'smsOptOut', op: 'gt', value: true } }, 'body.filter.op'],
    ['missing days', { name: 's', filter: { field: 'visits', op: 'gte', value: 2 } }, 'body.filter.days'],
    ['unknown attribute', { name: 's', filter: { field: 'attributes.shoe', op: 'eq', value: '42' } }, 'body.filter.field'],
    ['too deep', { name: 's', filter: JSON.parse('{"not":'.repeat(12) + '{"field":"points","op":"gt","value":1}' + '}'.repeat(12)) }, 'body.filter'],
    ['too many conditions', { name: 's', filter: { any: Array(101).fill({ field: 'points', op: 'gt', value: 1 }) } }, 'body.filter.any'],
    ['huge value', { name: 's', filter: { field: 'name', op: 'eq', value: 'x'.repeat(10_000) } }, 'body.filter.value'],
    ['unknown body field', { name: 's', filter: { all: [] }, owner: 'me' }, 'body.owner'],
    ['missing filter', { name: 's' }, 'body.filter'],
    ['blank name', { name: '', filter: { all: [] } }, 'body.name'],
  ];
  for (const [what, body, path] of bad) {
    it(what, async () => {
      const before = (await a.api.get('/api/v1/segments')).body.items.length;
      const res = await a.api.post('/api/v1/segments', body);
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(res.body.errors.some((e: { path: string }) => e.path.startsWith(path)), JSON.stringify(res.body.errors)).toBe(true);
      if ((body as { filter?: unknown }).filter !== undefined) {
        const preview = await a.api.post('/api/v1/segments/preview', { filter: (body as { filter: unknown }).filter });
        if (what !== 'unknown body field' && what !== 'blank name') expect(preview.status).toBe(400);
      }
      expect((await a.api.get('/api/v1/segments')).body.items.length).toBe(before);
    });
  }

  it('a bad filter on update leaves the segment as it was', async () => {
    const s = await a.api.post('/api/v1/segments', { name: 'keep me', filter: { all: [] } });
    const res = await a.api.put(`/api/v1/segments/${s.body.id}`, { name: 'changed', filter: { field: 'nope', op: 'eq', value: 1 } });
    expect(res.status).toBe(400);
    expect((await a.api.get(`/api/v1/segments/${s.body.id}`)).body).toMatchObject({ name: 'keep me', filter: { all: [] } });
  });
});

describe('isolation between merchants', () => {
  it("a merchant's preview never counts another's members or purchases", async () => {
    expect(await matches({ all: [] }, b.api)).toEqual(['b1', 'b2']);
    expect(await matches({ field: 'name', op: 'eq', value: 'Ann Lee' }, b.api)).toEqual(['b1']);
    expect(await matches({ field: 'spendFen', op: 'gte', value: 1, days: 30 }, b.api)).toEqual(['b1']);
    expect(await matches({ field: 'spendFen', op: 'gte', value: 80_000, days: 30 })).toEqual([]);
    // B has no attribute definitions: A's attributes are unknown to it
    const res = await b.api.post('/api/v1/segments/preview', { filter: { field: 'attributes.color', op: 'eq', value: 'red' } });
    expect(res.status).toBe(400);
  });

  it("a merchant cannot read, count, change or delete another's segment", async () => {
    const s = await a.api.post('/api/v1/segments', { name: 'A only', filter: { field: 'tag', op: 'eq', value: 'vip' } });
    const id = s.body.id;
    expect((await b.api.get(`/api/v1/segments/${id}`)).status).toBe(404);
    expect((await b.api.get(`/api/v1/segments/${id}/count`)).status).toBe(404);
    expect((await b.api.put(`/api/v1/segments/${id}`, { name: 'x', filter: { all: [] } })).status).toBe(404);
    expect((await b.api.del(`/api/v1/segments/${id}`)).status).toBe(404);
    expect((await b.api.get('/api/v1/segments')).body.items.map((x: { id: string }) => x.id)).not.toContain(id);
    // B may use the same name
    expect((await b.api.post('/api/v1/segments', { name: 'A only', filter: { all: [] } })).status).toBe(201);
    expect((await a.api.get(`/api/v1/segments/${id}`)).body.name).toBe('A only');
  });
});
