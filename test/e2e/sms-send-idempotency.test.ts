/**
 * Idempotency-Key on POST /api/v1/sms/send (api.md conventions): a retry with the same key and
 * body returns the first response and sends (and bills) once, also when the retries arrive at
 * the same time; the same key with another body is a 409; keys are per merchant.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, loginAdmin, type Client } from '../support/http.js';
import { smsTenant, startSmsServer, type SmsTenant } from '../support/sms.js';

let srv: Awaited<ReturnType<typeof startSmsServer>>;
let admin: Client;
let shop: SmsTenant;
let other: SmsTenant;
let db: pg.Client;

beforeAll(async () => {
  srv = await startSmsServer();
  admin = client(srv.baseUrl, await loginAdmin(srv.baseUrl));
  shop = await smsTenant(srv.baseUrl, 'idem-shop', '51', 100_000);
  other = await smsTenant(srv.baseUrl, 'idem-other', '52', 100_000);
  db = new pg.Client({ connectionString: srv.database.url });
  await db.connect();
});
afterAll(async () => {
  await db?.end();
  await srv?.close();
});

const creditOf = async (slug: string) =>
  (await admin.get('/api/v1/platform/tenants')).body.items.find((t: { slug: string }) => t.slug === slug).creditFen as number;
const sentTo = async (tenantId: string, to: string) =>
  (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM sms_outbound WHERE tenant_id = $1 AND recipient = $2', [tenantId, to])).rows[0]!.n;

describe('POST /sms/send with an Idempotency-Key', () => {
  it('a retry gets the first response and sends once; another body with the key is a 409', async () => {
    const credit0 = await creditOf('idem-shop');
    const body = { to: '13700005001', text: '取件码 4321' };
    const first = await shop.api.post('/api/v1/sms/send', body, { 'idempotency-key': 'send-1' });
    expect(first.status).toBe(202);
    // same body, keys in another order: the same request
    const again = await shop.api.post('/api/v1/sms/send', { text: body.text, to: body.to }, { 'idempotency-key': 'send-1' });
    expect(again.status).toBe(202);
    expect(again.body).toEqual(first.body);
    expect(await sentTo(shop.id, '+8613700005001')).toBe(1);
    expect(await creditOf('idem-shop')).toBe(credit0 - first.body.costFen);

    const changed = await shop.api.post('/api/v1/sms/send', { ...body, text: '取件码 9999' }, { 'idempotency-key': 'send-1' });
    expect(changed.status).toBe(409);
    expect(changed.body.code ?? changed.body.type).toBeTruthy();
    expect(await sentTo(shop.id, '+8613700005001')).toBe(1);

    // without a key every request sends
    expect((await shop.api.post('/api/v1/sms/send', body)).status).toBe(202);
    expect(await sentTo(shop.id, '+8613700005001')).toBe(2);
    // keys are per merchant: another merchant's same key is its own first use
    const theirs = await other.api.post('/api/v1/sms/send', body, { 'idempotency-key': 'send-1' });
    expect(theirs.status).toBe(202);
    expect(theirs.body.id).not.toBe(first.body.id);
    expect(await sentTo(other.id, '+8613700005001')).toBe(1);
  });

  it('20 simultaneous requests with one key: one message, one debit, 20 identical answers', async () => {
    const credit0 = await creditOf('idem-shop');
    const body = { to: '13700005002', text: '同时重试' };
    const answers = await Promise.all(Array.from({ length: 20 }, () => shop.api.post('/api/v1/sms/send', body, { 'idempotency-key': 'burst-key' })));
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 202));
    for (const a of answers) expect(a.body).toEqual(answers[0]!.body);
    expect(await sentTo(shop.id, '+8613700005002')).toBe(1);
    expect(await creditOf('idem-shop')).toBe(credit0 - answers[0]!.body.costFen);
  });

  it('refuses a key that is empty, too long or not printable ASCII', async () => {
    const body = { to: '13700005003', text: 'x' };
    for (const key of ['', 'k'.repeat(201), 'schlüssel']) {
      const r = await shop.api.post('/api/v1/sms/send', body, { 'idempotency-key': key });
      expect(r.status, JSON.stringify(key)).toBe(400);
    }
    expect(await sentTo(shop.id, '+8613700005003')).toBe(0);
  });
});
