/**
 * Loyalty seen from members: a member's `tier` is `{code, name}` with the name the merchant gave
 * the tier (GET /members, /members/{id}, lookup, registration, approval, SMS join), and new
 * members start in the lowest tier when its threshold is 0 — at the counter, by approval of an
 * application, by SMS join and by import.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { joinBySms } from '../../src/members/index.js';
import { withTenant } from '../../src/platform/db/with-tenant.js';
import { createTenant, loginAdmin, type Client } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

let server: TestServer;
let shop: { tenant: { id: string }; token: string; api: Client };
let plain: { tenant: { id: string }; token: string; api: Client };
const dataDir = path.join(os.tmpdir(), `memberdesk-loyalty-members-${process.pid}`);

const TIERS = [
  { code: 'SILVER', name: '银卡', threshold: 0, discountPct: 0 },
  { code: 'GOLD', name: '金卡', threshold: 1_000, discountPct: 5 },
];

beforeAll(async () => {
  server = await startTestServer({ MEMBERDESK_DATA_DIR: dataDir });
  const admin = await loginAdmin(server.baseUrl);
  shop = await createTenant(server.baseUrl, admin, 'tier-shop', '81');
  plain = await createTenant(server.baseUrl, admin, 'no-tiers', '82');
  expect((await shop.api.put('/api/v1/loyalty/tiers', TIERS)).status).toBe(200);
});
afterAll(async () => {
  await server?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function importPhones(c: { token: string; api: Client }, phones: string[]) {
  const up = await fetch(`${server.baseUrl}/api/v1/members/imports`, {
    method: 'POST',
    headers: { authorization: `Bearer ${c.token}`, 'content-type': 'text/csv' },
    body: ['手机号', ...phones].join('\r\n'),
  });
  const id = ((await up.json()) as any).id;
  expect(up.status).toBe(201);
  expect((await c.api.post(`/api/v1/members/imports/${id}/commit`, {})).status).toBe(202);
  for (let i = 0; i < 300; i++) {
    const res = await c.api.get(`/api/v1/members/imports/${id}`);
    if (!['validating', 'importing'].includes(res.body.status)) return res.body;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('import did not finish');
}

describe('tier names on members', () => {
  it('shows the configured name, follows upgrades and renames, in the list and on the member', async () => {
    const created = await shop.api.post('/api/v1/members', { phone: '13700137001', name: '王五' });
    expect(created.status).toBe(201);
    expect(created.body.tier).toEqual({ code: 'SILVER', name: '银卡' });
    const id = created.body.id;
    expect((await shop.api.get(`/api/v1/members/${id}`)).body.tier).toEqual({ code: 'SILVER', name: '银卡' });

    const bought = await shop.api.post('/api/v1/transactions', { member: { id }, amountFen: 120_000 }, { 'idempotency-key': `tm-${id}` });
    expect(bought.status).toBe(201);
    expect((await shop.api.get(`/api/v1/members/${id}`)).body.tier).toEqual({ code: 'GOLD', name: '金卡' });
    const list = await shop.api.get('/api/v1/members?tier=GOLD');
    expect(list.body.items.map((m: any) => [m.id, m.tier])).toEqual([[id, { code: 'GOLD', name: '金卡' }]]);

    // a rename shows at once
    expect((await shop.api.put('/api/v1/loyalty/tiers', [TIERS[0], { ...TIERS[1], name: '黄金卡' }])).status).toBe(200);
    expect((await shop.api.get(`/api/v1/members/${id}`)).body.tier).toEqual({ code: 'GOLD', name: '黄金卡' });
    expect((await shop.api.get(`/api/v1/members/lookup?key=${created.body.cardNo}`)).body.tier).toEqual({ code: 'GOLD', name: '黄金卡' });
    expect((await shop.api.put('/api/v1/loyalty/tiers', TIERS)).status).toBe(200);
  });

  it('a merchant without tiers has members without one', async () => {
    const created = await plain.api.post('/api/v1/members', { phone: '13700137002' });
    expect(created.status).toBe(201);
    expect(created.body.tier).toBeNull();
    expect((await plain.api.get(`/api/v1/members/${created.body.id}`)).body.tier).toBeNull();
  });
});

describe('the starting tier', () => {
  it('is given on approval of an application', async () => {
    expect((await shop.api.put('/api/v1/members/settings', { reviewApplications: true })).status).toBe(200);
    try {
      const filed = await shop.api.post('/api/v1/member-applications', { phone: '13700137003', name: '赵六' });
      expect(filed.status).toBe(201);
      expect(filed.body.member).toBeNull();
      const approved = await shop.api.post(`/api/v1/member-applications/${filed.body.id}/approve`, {});
      expect(approved.status).toBe(200);
      expect(approved.body.member.tier).toEqual({ code: 'SILVER', name: '银卡' });
      expect((await shop.api.get(`/api/v1/members/${approved.body.member.id}`)).body.tier).toEqual({ code: 'SILVER', name: '银卡' });
    } finally {
      await shop.api.put('/api/v1/members/settings', { reviewApplications: false });
    }
  });

  it('is given on SMS join', async () => {
    const joined = await withTenant(server.database.db, shop.tenant.id, (tx) => joinBySms(tx, shop.tenant.id, '13700137004'));
    expect(joined).toMatchObject({ status: 'member', member: { tier: { code: 'SILVER', name: '银卡' } } });
    const again = await withTenant(server.database.db, shop.tenant.id, (tx) => joinBySms(tx, shop.tenant.id, '13700137004'));
    expect(again).toMatchObject({ status: 'existing', member: { tier: { code: 'SILVER', name: '银卡' } } });
  });

  it('is given on import, and not where the lowest tier needs points', async () => {
    const done = await importPhones(shop, ['13700137005', '13700137006']);
    expect(done).toMatchObject({ status: 'completed', progress: { imported: 2 } });
    for (const phone of ['13700137005', '13700137006']) {
      const found = await shop.api.get(`/api/v1/members?phone=${phone}`);
      expect(found.body.items[0].tier).toEqual({ code: 'SILVER', name: '银卡' });
    }
    // no tiers: nothing to start in
    await importPhones(plain, ['13700137007']);
    expect((await plain.api.get('/api/v1/members?phone=13700137007')).body.items[0].tier).toBeNull();
    // the lowest tier needs points: members start without a tier
    expect((await shop.api.put('/api/v1/loyalty/tiers', [{ ...TIERS[0], threshold: 100 }, TIERS[1]])).status).toBe(200);
    try {
      await importPhones(shop, ['13700137008']);
      expect((await shop.api.get('/api/v1/members?phone=13700137008')).body.items[0].tier).toBeNull();
      expect((await shop.api.post('/api/v1/members', { phone: '13700137009' })).body.tier).toBeNull();
    } finally {
      await shop.api.put('/api/v1/loyalty/tiers', TIERS);
    }
  });
});
