import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { luhnDigit } from '../../src/members/card.rules.js';
import { createTenant, loginAdmin, type Client } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

/** Card-number plans (prefix + sequence + check digit), the pool, special numbers, and
 * registrations racing each other. */
let server: TestServer;
let api: Client;
let poolApi: Client;

beforeAll(async () => {
  server = await startTestServer();
  const admin = await loginAdmin(server.baseUrl);
  api = (await createTenant(server.baseUrl, admin, 'plan-shop', '41')).api;
  poolApi = (await createTenant(server.baseUrl, admin, 'pool-shop', '42')).api;
});
afterAll(async () => server?.close());

const phone = (n: number) => `139${String(n).padStart(8, '0')}`;

describe('sequence plan', () => {
  it('starts with defaults and accepts a prefix, digits and a check digit', async () => {
    const initial = await api.get('/api/v1/members/settings');
    expect(initial.status).toBe(200);
    expect(initial.body).toMatchObject({ cardMode: 'sequence', cardPrefix: '', cardDigits: 8, cardCheckDigit: false, reviewApplications: false, cardNextSeq: 1 });
    const put = await api.put('/api/v1/members/settings', { cardPrefix: 'VIP', cardDigits: 6, cardCheckDigit: true });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ cardPrefix: 'VIP', cardDigits: 6, cardCheckDigit: true });
    const m = await api.post('/api/v1/members', { phone: phone(1) });
    expect(m.status).toBe(201);
    expect(m.body.cardNo).toBe(`VIP000001${luhnDigit('000001')}`);
    expect((await api.get('/api/v1/audit-log?action=member.settings_update')).body.items).toHaveLength(1);
  });

  it('rejects plans that do not fit and unknown fields', async () => {
    expect((await api.put('/api/v1/members/settings', { cardPrefix: 'ABCDEFGH', cardDigits: 16, cardCheckDigit: true })).status).toBe(400);
    expect((await api.put('/api/v1/members/settings', { cardPrefix: 'vip' })).status).toBe(400);
    expect((await api.put('/api/v1/members/settings', { cardDigits: 3 })).status).toBe(400);
    expect((await api.put('/api/v1/members/settings', { cardNextSeq: 5 })).status).toBe(400);
  });

  it('accepts an explicit card number of the plan once, and refuses numbers outside it', async () => {
    const good = `VIP000500${luhnDigit('000500')}`;
    const res = await api.post('/api/v1/members', { phone: phone(2), cardNo: good.toLowerCase() });
    expect(res.status).toBe(201);
    expect(res.body.cardNo).toBe(good);
    const again = await api.post('/api/v1/members', { phone: phone(3), cardNo: good });
    expect(again.status).toBe(409);
    const badCheck = `VIP000501${(luhnDigit('000501') + 1) % 10}`;
    const outside = await api.post('/api/v1/members', { phone: phone(3), cardNo: badCheck });
    expect(outside.status).toBe(400);
    expect(outside.body.errors[0].path).toBe('body.cardNo');
    expect((await api.post('/api/v1/members', { phone: phone(3), cardNo: 'X1' })).status).toBe(400);
    // nothing partial left behind: phone(3) is still free
    expect((await api.get(`/api/v1/members/lookup?key=${phone(3)}`)).status).toBe(404);
  });

  it('never hands out a special number automatically, but gives it on request', async () => {
    const special = `VIP000002${luhnDigit('000002')}`;
    const added = await api.post('/api/v1/members/card-pool', { cardNo: special, special: true });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ cardNo: special, special: true, usedAt: null });
    expect((await api.post('/api/v1/members/card-pool', { cardNo: special })).status).toBe(409);
    const next = await api.post('/api/v1/members', { phone: phone(4) });
    expect(next.body.cardNo).toBe(`VIP000003${luhnDigit('000003')}`); // 000002 skipped
    const vip = await api.post('/api/v1/members', { phone: phone(5), cardNo: special });
    expect(vip.status).toBe(201);
    expect(vip.body.cardNo).toBe(special);
    const used = (await api.get('/api/v1/members/card-pool?status=used')).body.items;
    expect(used.map((e: any) => e.cardNo)).toEqual([special]);
    // a number a member already holds cannot go into the pool
    expect((await api.post('/api/v1/members/card-pool', { cardNo: next.body.cardNo })).status).toBe(409);
  });

  it('gives 30 parallel registrations 30 distinct card numbers', async () => {
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => api.post('/api/v1/members', { phone: phone(100 + i) })));
    expect(results.map((r) => r.status)).toEqual(Array(30).fill(201));
    const cards = results.map((r) => r.body.cardNo);
    expect(new Set(cards).size).toBe(30);
  });

  it('lets exactly one of 10 parallel registrations of the same phone win', async () => {
    const results = await Promise.all(Array.from({ length: 10 }, () => api.post('/api/v1/members', { phone: '13312345678', name: '同号' })));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([201, ...Array(9).fill(409)]);
    const winner = results.find((r) => r.status === 201)!.body;
    for (const r of results.filter((x) => x.status === 409)) {
      expect(r.body.detail).toContain(winner.id);
      expect(r.headers.get('content-type')).toContain('application/problem+json');
    }
    expect((await api.get('/api/v1/members?phone=13312345678')).body.items).toHaveLength(1);
  });
});

describe('pool plan', () => {
  it('generates a batch with check digits, skipping numbers that exist', async () => {
    const res = await poolApi.post('/api/v1/members/card-pool/batch', { prefix: 'P', digits: 5, from: 1, count: 5, checkDigit: true, batch: '2024-A' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ requested: 5, added: 5, skipped: 0, batch: '2024-A', first: `P00001${luhnDigit('00001')}` });
    const overlap = await poolApi.post('/api/v1/members/card-pool/batch', { prefix: 'P', digits: 5, from: 4, count: 3, checkDigit: true });
    expect(overlap.body).toMatchObject({ added: 1, skipped: 2 });
    expect((await poolApi.get('/api/v1/members/card-pool/counts')).body).toEqual({ free: 6, freeSpecial: 0, used: 0, total: 6 });
    const page = await poolApi.get('/api/v1/members/card-pool?status=free&limit=4');
    expect(page.body.items).toHaveLength(4);
    const rest = await poolApi.get(`/api/v1/members/card-pool?status=free&limit=4&cursor=${page.body.nextCursor}`);
    expect(rest.body.items).toHaveLength(2);
    expect(rest.body.nextCursor).toBeNull();
    expect((await poolApi.post('/api/v1/members/card-pool/batch', { prefix: 'P', digits: 4, from: 9999, count: 2 })).status).toBe(400);
    expect((await poolApi.post('/api/v1/members/card-pool/batch', { prefix: 'P', digits: 5, from: 1, count: 100001 })).status).toBe(400);
  });

  it('hands out pool numbers in order, never the special ones, and says 409 when empty', async () => {
    await poolApi.post('/api/v1/members/card-pool', { cardNo: 'P888888', special: true });
    expect((await poolApi.put('/api/v1/members/settings', { cardMode: 'pool' })).status).toBe(200);
    const got: string[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await poolApi.post('/api/v1/members', { phone: phone(200 + i) });
      expect(r.status).toBe(201);
      got.push(r.body.cardNo);
    }
    expect(got).toEqual([...got].sort());
    expect(got).not.toContain('P888888');
    const empty = await poolApi.post('/api/v1/members', { phone: phone(300) });
    expect(empty.status).toBe(409);
    expect(empty.body.type).toContain('card_pool_empty');
    expect((await poolApi.get(`/api/v1/members/lookup?key=${phone(300)}`)).status).toBe(404);
    // the special number is still there for someone who asks for it
    const lucky = await poolApi.post('/api/v1/members', { phone: phone(300), cardNo: 'P888888' });
    expect(lucky.status).toBe(201);
    expect((await poolApi.get('/api/v1/members/card-pool/counts')).body).toEqual({ free: 0, freeSpecial: 0, used: 7, total: 7 });
  });
});
