import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, createTenant, loginAdmin, type Client } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

/** Bad input gets a precise 4xx and leaves nothing behind; another merchant's ids are 404. */
let server: TestServer;
let a: Client;
let b: Client;
const ids: Record<string, string> = {};

beforeAll(async () => {
  server = await startTestServer();
  const admin = await loginAdmin(server.baseUrl);
  a = (await createTenant(server.baseUrl, admin, 'alpha', '81')).api;
  b = (await createTenant(server.baseUrl, admin, 'beta', '82')).api;
  expect((await a.post('/api/v1/members/attributes', { key: 'size', label: 'Size', type: 'single', options: ['S', 'M'] })).status).toBe(201);
  const m = await a.post('/api/v1/members', { phone: '13800138000', name: '张三' });
  expect(m.status).toBe(201);
  ids.member = m.body.id;
  await a.put('/api/v1/members/settings', { reviewApplications: true });
  ids.app1 = (await a.post('/api/v1/member-applications', { phone: '13800138001' })).body.id;
  ids.app2 = (await a.post('/api/v1/member-applications', { phone: '13800138002' })).body.id;
  const aHq = (await a.get('/api/v1/org/nodes')).body.items[0];
  ids.aNode = aHq.id;
});
afterAll(async () => server?.close());

const problem = (res: { status: number; headers: Headers }) => {
  expect(res.headers.get('content-type')).toContain('application/problem+json');
};

describe('bad input on registration', () => {
  it('refuses invalid phone numbers and landlines with the field named', async () => {
    for (const phone of ['hello', '12345', '1380013800', '010-62345678', '+86 10 6234 5678', '', '138001380001234567890']) {
      const res = await a.post('/api/v1/members', { phone });
      expect(res.status, phone).toBe(400);
      problem(res);
      expect(res.body.errors?.[0]?.path, phone).toBe('body.phone');
    }
    expect((await a.post('/api/v1/members', {})).body.errors[0]).toEqual({ path: 'body.phone', message: 'is required' });
  });

  it('answers a registered phone with 409 and the existing member id in detail', async () => {
    const res = await a.post('/api/v1/members', { phone: '+86 138 0013 8000' });
    expect(res.status).toBe(409);
    problem(res);
    expect(res.body.detail).toContain(ids.member);
    expect(res.body.type).toBe('https://memberdesk.dev/problems/phone_registered');
    expect(res.body.errors).toEqual([{ path: 'body.phone', message: `is already registered to member ${ids.member}` }]);
  });

  it('refuses unknown attributes, wrong types, unknown fields, bad dates, oversize tags and foreign stores', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ attributes: { colour: 'red' } }, 'body.attributes.colour'],
      [{ attributes: { size: 3 } }, 'body.attributes.size'],
      [{ nickname: 'x' }, 'body.nickname'],
      [{ birthday: '1990-13-01' }, 'body.birthday'],
      [{ birthday: '2999-01-01' }, 'body.birthday'],
      [{ birthday: '01/02/1990' }, 'body.birthday'],
      [{ gender: 'unknown' }, 'body.gender'],
      [{ tags: ['x'.repeat(33)] }, 'body.tags.0'],
      [{ name: 'x'.repeat(51) }, 'body.name'],
      [{ storeId: '999999' }, 'body.storeId'],
      [{ cardNo: 'no spaces!' }, 'body.cardNo'],
    ];
    for (const [extra, path] of cases) {
      const res = await a.post('/api/v1/members', { phone: '13900139000', ...extra });
      expect(res.status, JSON.stringify(extra)).toBe(400);
      problem(res);
      expect(res.body.errors.map((e: any) => e.path), JSON.stringify(extra)).toContain(path);
    }
    const bStore = (await b.get('/api/v1/org/nodes')).body.items[0].id;
    expect((await a.post('/api/v1/members', { phone: '13900139000', storeId: bStore })).status).toBe(400);
    expect((await a.get('/api/v1/members/lookup?key=13900139000')).status).toBe(404);
    // the card-number sequence was not consumed by the failures
    expect((await a.post('/api/v1/members', { phone: '13900139000' })).body.cardNo).toBe('00000002');
  });

  it('refuses bad PATCH and phone-change bodies', async () => {
    expect((await a.patch(`/api/v1/members/${ids.member}`, {})).status).toBe(400);
    expect((await a.patch(`/api/v1/members/${ids.member}`, { cardNo: 'X' })).status).toBe(400);
    expect((await a.patch(`/api/v1/members/${ids.member}`, { points: 100 })).status).toBe(400);
    expect((await a.patch(`/api/v1/members/${ids.member}`, { status: 'deleted' })).status).toBe(400);
    expect((await a.post(`/api/v1/members/${ids.member}/phone`, { phone: '13511112222' })).status).toBe(400); // reason required
    expect((await a.post(`/api/v1/members/${ids.member}/phone`, { phone: '010-62345678', reason: 'x' })).status).toBe(400);
    expect((await a.get('/api/v1/members?phone=notaphone')).status).toBe(400);
    expect((await a.get('/api/v1/members?limit=501')).status).toBe(400);
    expect((await a.get('/api/v1/members/lookup')).status).toBe(400);
    expect((await a.get('/api/v1/members/abc')).status).toBe(400);
    expect((await a.get('/api/v1/members/999999')).status).toBe(404);
  });

  it('needs credentials and permissions', async () => {
    expect((await client(server.baseUrl).get('/api/v1/members')).status).toBe(401);
    const key = (await a.post('/api/v1/api-keys', { name: 'reader', permissions: ['members.read'] })).body.key;
    const reader = client(server.baseUrl, key);
    expect((await reader.get('/api/v1/members')).status).toBe(200);
    expect((await reader.post('/api/v1/members', { phone: '13700137000' })).status).toBe(403);
    expect((await reader.patch(`/api/v1/members/${ids.member}`, { name: 'x' })).status).toBe(403);
  });
});

describe('another merchant cannot reach these objects', () => {
  const cases: [string, string, unknown?][] = [
    ['GET', '/api/v1/members/{member}'],
    ['PATCH', '/api/v1/members/{member}', { name: 'hijacked' }],
    ['POST', '/api/v1/members/{member}/phone', { phone: '13711112222', reason: 'hijack' }],
    ['GET', '/api/v1/members/{member}/changes'],
    ['GET', '/api/v1/member-applications/{app1}'],
    ['POST', '/api/v1/member-applications/{app1}/approve', {}],
    ['POST', '/api/v1/member-applications/{app2}/reject', { reason: 'hijack' }],
    ['PATCH', '/api/v1/members/attributes/size', { label: 'hijacked' }],
    ['DELETE', '/api/v1/members/attributes/size'],
  ];
  for (const [method, template, body] of cases) {
    it(`${method} ${template} → 404`, async () => {
      const path = template.replace(/\{(\w+)\}/, (_m, k: string) => ids[k]!);
      const res = await b.call(method, path, body);
      expect(res.status).toBe(404);
      problem(res);
    });
  }

  it('left every object of merchant A untouched and shows B none of them', async () => {
    const m = (await a.get(`/api/v1/members/${ids.member}`)).body;
    expect(m).toMatchObject({ name: '张三', phone: '+8613800138000' });
    expect((await a.get(`/api/v1/members/${ids.member}/changes`)).body.items).toHaveLength(1);
    expect((await a.get(`/api/v1/member-applications/${ids.app1}`)).body.status).toBe('pending');
    expect((await a.get(`/api/v1/member-applications/${ids.app2}`)).body.status).toBe('pending');
    expect((await a.get('/api/v1/members/attributes')).body.items[0].label).toBe('Size');
    expect((await b.get('/api/v1/members')).body.items).toEqual([]);
    expect((await b.get('/api/v1/members?q=138')).body.items).toEqual([]);
    expect((await b.get('/api/v1/members/lookup?key=13800138000')).status).toBe(404);
    expect((await b.get('/api/v1/member-applications')).body.items).toEqual([]);
    expect((await b.get('/api/v1/members/attributes')).body.items).toEqual([]);
    expect((await b.get('/api/v1/members/tags')).body.items).toEqual([]);
    // B may register the same phone: phones are unique per merchant, not across merchants
    expect((await b.post('/api/v1/members', { phone: '13800138000' })).status).toBe(201);
  });
});
