/**
 * Many 888s at once for one merchant (issue 6): the inbound worker joins them in batches
 * (joinBySmsBatch), so the batch path must keep every rule of a single join: one member per
 * phone, a repeat gets the same card again, distinct card numbers of the plan (prefix, Luhn),
 * special numbers never handed out, a `created` change per member, one billed reply per MO.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { luhnDigit, matchesPlan } from '../../src/members/card.rules.js';
import { client, loginAdmin, type Client } from '../support/http.js';
import { eventually, smsTenant, startSmsServer, type SmsTenant } from '../support/sms.js';

let srv: Awaited<ReturnType<typeof startSmsServer>>;
let admin: Client;
let shop: SmsTenant;
let db: pg.Client;

beforeAll(async () => {
  srv = await startSmsServer();
  admin = client(srv.baseUrl, await loginAdmin(srv.baseUrl));
  shop = await smsTenant(srv.baseUrl, 'burst-shop', '47', 1_000_000);
  db = new pg.Client({ connectionString: srv.database.url });
  await db.connect();
});
afterAll(async () => {
  await db?.end();
  await srv?.close();
});

const phone = (i: number) => `1391234${String(i).padStart(4, '0')}`;
const mo = (from: string, text = '888') => admin.post('/api/v1/sandbox/sms/inbound', { from, to: shop.port, text });

describe('888 burst', () => {
  it('300 phones at once, some twice: one member per phone, distinct plan card numbers, one reply per MO', async () => {
    expect((await shop.api.put('/api/v1/members/settings', { cardPrefix: 'SB', cardDigits: 6, cardCheckDigit: true })).status).toBe(200);
    // numbers 3 and 7 of the sequence are special: never given by a join
    const specials = [3, 7].map((n) => `SB${String(n).padStart(6, '0')}${luhnDigit(String(n).padStart(6, '0'))}`);
    for (const s of specials) expect((await shop.api.post('/api/v1/members/card-pool', { cardNo: s, special: true })).status).toBe(201);
    // an existing member before the burst: their 888 gets their card back
    const before = await shop.api.post('/api/v1/members', { phone: phone(0) });
    expect(before.status).toBe(201);

    const distinct = Array.from({ length: 300 }, (_, i) => phone(i));
    // every third phone twice in a row (so mostly within one batch of the worker), and again at the end
    const all = [...distinct.flatMap((p, i) => (i % 3 === 0 ? [p, p] : [p])), ...distinct.filter((_, i) => i % 10 === 1)];
    const accepted = await Promise.all(all.map((p) => mo(p)));
    expect(accepted.map((r) => r.status)).toEqual(all.map(() => 202));

    const counts = new Map<string, number>();
    for (const p of all) counts.set(`+86${p}`, (counts.get(`+86${p}`) ?? 0) + 1);
    const replies = await eventually(
      async () => {
        const { rows } = await db.query<{ recipient: string; body: string; status: string; cost_fen: number }>(
          `SELECT recipient, body, status, cost_fen FROM sms_outbound WHERE tenant_id = $1 AND recipient LIKE '+861391234%'`,
          [shop.id],
        );
        return rows.length >= all.length ? rows : null;
      },
      `${all.length} replies`,
      60_000,
    );
    expect(replies).toHaveLength(all.length);

    const { rows: members } = await db.query<{ id: string; phone: string; card_no: string; source: string }>(
      `SELECT id::text, phone, card_no, source FROM members WHERE tenant_id = $1 AND phone LIKE '+861391234%'`,
      [shop.id],
    );
    expect(members).toHaveLength(300);
    expect(new Set(members.map((m) => m.phone)).size).toBe(300);
    expect(new Set(members.map((m) => m.card_no)).size).toBe(300);
    for (const m of members) expect(matchesPlan({ prefix: 'SB', digits: 6, checkDigit: true }, m.card_no)).toBe(true);
    for (const s of specials) expect(members.map((m) => m.card_no)).not.toContain(s);
    expect(members.filter((m) => m.source === 'sms')).toHaveLength(299);
    const cardOf = new Map(members.map((m) => [m.phone, m.card_no]));

    // one reply per MO, each naming the phone's own card: the first a welcome, repeats "existing"
    const perPhone = new Map<string, string[]>();
    for (const r of replies) perPhone.set(r.recipient, [...(perPhone.get(r.recipient) ?? []), r.body]);
    for (const [p, n] of counts) {
      const bodies = perPhone.get(p) ?? [];
      expect(bodies, p).toHaveLength(n);
      for (const b of bodies) expect(b, p).toContain(`会员卡号：${cardOf.get(p)}`);
      const welcomes = bodies.filter((b) => b.includes('欢迎加入'));
      expect(welcomes, p).toHaveLength(p === `+86${phone(0)}` ? 0 : 1);
    }
    expect(replies.every((r) => r.status !== 'failed' && r.cost_fen > 0)).toBe(true);

    // a `created` change record per member joined by SMS, and one inbound record per MO
    const { rows: changes } = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM member_changes c JOIN members m ON m.tenant_id = c.tenant_id AND m.id = c.member_id
        WHERE c.tenant_id = $1 AND c.change = 'created' AND c.actor_name = 'SMS 888' AND m.phone LIKE '+861391234%'`,
      [shop.id],
    );
    expect(changes[0]!.n).toBe(299);
    const { rows: inbound } = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM sms_inbound WHERE tenant_id = $1 AND keyword = '888' AND sender LIKE '+861391234%'`,
      [shop.id],
    );
    expect(inbound[0]!.n).toBe(all.length);
  });

  it('a batch keeps message order: 666 before a first 888 is "not a member", after it a points reply', async () => {
    const p = phone(9000);
    expect((await mo(p, '666')).status).toBe(202);
    expect((await mo(p, '888')).status).toBe(202);
    expect((await mo(p, '666')).status).toBe(202);
    const bodies = await eventually(
      async () => {
        const { rows } = await db.query<{ body: string }>(`SELECT body FROM sms_outbound WHERE tenant_id = $1 AND recipient = $2 ORDER BY id`, [
          shop.id,
          `+86${p}`,
        ]);
        return rows.length >= 3 ? rows.map((r) => r.body) : null;
      },
      'three replies',
      30_000,
    );
    expect(bodies).toHaveLength(3);
    expect(bodies[0]).toContain('回复888即可加入');
    expect(bodies[1]).toContain('欢迎加入');
    expect(bodies[2]).toContain('您的积分：0');
  });
});
