/**
 * POST /campaigns/preview: the message of a campaign not saved yet (the console's create form
 * previews while the template is typed) is the one the saved draft previews for the same
 * member; bad templates and filters are 400s at their paths; nothing is stored; another
 * merchant's member is not found.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedMembers, startCampaignApp } from '../support/campaigns.js';
import { createTenant, loginAdmin, type Client } from '../support/http.js';
import type { SmsApp } from '../support/sms.js';
import { createTestDatabase, type TestDatabase } from '../support/test-db.js';

let database: TestDatabase;
let owner: pg.Client;
let app: SmsApp;
let a: Client;
let b: Client;
let segmentId = '';
let aIds: string[] = [];
let bIds: string[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  owner = new pg.Client({ connectionString: database.url });
  await owner.connect();
  app = await startCampaignApp(database);
  const token = await loginAdmin(app.baseUrl);
  const ta = await createTenant(app.baseUrl, token, 'prev-a', '54');
  const tb = await createTenant(app.baseUrl, token, 'prev-b', '55');
  a = ta.api;
  b = tb.api;
  aIds = await seedMembers(owner, ta.tenant.id, 3, { prefix: '540', tag: 'promo', name: (i) => '长'.repeat(30 * i) + `会员${i}` });
  bIds = await seedMembers(owner, tb.tenant.id, 1, { prefix: '550', tag: 'promo' });
  const seg = await a.post('/api/v1/segments', { name: 'promo', filter: { all: [{ field: 'tag', op: 'eq', value: 'promo' }] } });
  expect(seg.status).toBe(201);
  segmentId = seg.body.id;
}, 60_000);
afterAll(async () => {
  await app?.close();
  await owner?.end();
  await database?.drop();
});

describe('POST /campaigns/preview', () => {
  it('equals the saved draft’s preview for each member (text, characters, billed parts) and stores nothing', async () => {
    const template = '{name}，您有{points}积分，本周末来店有礼';
    for (const [k, memberId] of aIds.entries()) {
      const draft = await a.post('/api/v1/campaigns/preview', { channel: 'sms', segmentId, template, marketing: true, memberId });
      expect(draft.status, JSON.stringify(draft.body)).toBe(200);
      expect(draft.body.memberId).toBe(memberId);
      expect(draft.body.text).toContain('您有0积分');
      expect(draft.body.characters).toBe([...draft.body.text].length);
      // previews store nothing: only the drafts saved below exist
      expect((await a.get('/api/v1/campaigns')).body.items).toHaveLength(k);
      const saved = await a.post('/api/v1/campaigns', { name: `c ${memberId}`, channel: 'sms', segmentId, template, marketing: true });
      expect(saved.status).toBe(201);
      const p = await a.post(`/api/v1/campaigns/${saved.body.id}/preview`, { memberId });
      expect(p.status).toBe(200);
      expect(draft.body).toEqual(p.body);
    }
    // longer names take more billed parts
    const parts = await Promise.all(aIds.map(async (memberId) => (await a.post('/api/v1/campaigns/preview', { channel: 'sms', segmentId, template, marketing: true, memberId })).body.segments as number));
    expect(parts[0]).toBeLessThan(parts[2]!);
    // no member given: the segment's sample member; a filter works as well as a segment
    const sample = await a.post('/api/v1/campaigns/preview', { channel: 'sms', filter: { all: [{ field: 'tag', op: 'eq', value: 'promo' }] }, template, marketing: false });
    expect(sample.status).toBe(200);
    expect(aIds).toContain(sample.body.memberId);
    const email = await a.post('/api/v1/campaigns/preview', { channel: 'email', segmentId, template: { subject: '{name} 的周末', body: '您好 {name}' }, marketing: true, memberId: aIds[0] });
    expect(email.status).toBe(200);
    expect(email.body).toMatchObject({ subject: '会员0 的周末', text: '您好 会员0', segments: 0 });
  });

  it('bad templates and filters are 400s at their paths; another merchant’s member is 404', async () => {
    const unknown = await a.post('/api/v1/campaigns/preview', { channel: 'sms', segmentId, template: '你好 {nmae}', marketing: true });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors.map((e: { path: string }) => e.path)).toEqual(['body.template.text']);
    const both = await a.post('/api/v1/campaigns/preview', { channel: 'sms', segmentId, filter: { all: [] }, template: 'x', marketing: true });
    expect(both.status).toBe(400);
    expect(both.body.errors.map((e: { path: string }) => e.path)).toEqual(['body.segmentId']);
    const badFilter = await a.post('/api/v1/campaigns/preview', { channel: 'sms', filter: { all: [{ field: 'nope', op: 'eq', value: 1 }] }, template: 'x', marketing: true });
    expect(badFilter.status).toBe(400);
    expect(badFilter.body.errors[0].path).toMatch(/^body\.filter/);
    const extra = await a.post('/api/v1/campaigns/preview', { channel: 'sms', segmentId, template: 'x', marketing: true, name: 'n' });
    expect(extra.status).toBe(400);
    expect((await a.post('/api/v1/campaigns/preview', { channel: 'sms', segmentId, template: 'x', marketing: true, memberId: bIds[0] })).status).toBe(404);
    expect((await b.post('/api/v1/campaigns/preview', { channel: 'sms', segmentId, template: 'x', marketing: true })).status).toBe(404);
  });
});
