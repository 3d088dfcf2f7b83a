/**
 * `sendSmsBatch` (a campaign batch in three statements) must leave exactly what `sendSms` one by
 * one leaves: the same outcome per message, the same rows (message, ledger, outbox), the same
 * credit — also when the credit runs out part-way, for opted-out members, in quiet hours and for
 * texts that are refused. Two merchants set up alike: the batch on one, one by one on the other.
 */
import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendSms, sendSmsBatch, type BatchSmsItem, type SmsContext } from '../../src/messaging/index.js';
import { withTenant } from '../../src/platform/db/with-tenant.js';
import { createTestDatabase, type TestDatabase } from '../support/test-db.js';

let database: TestDatabase;
let owner: pg.Client;
let run = 0;

beforeAll(async () => {
  database = await createTestDatabase();
  owner = new pg.Client({ connectionString: database.url });
  await owner.connect();
});
afterAll(async () => {
  await owner?.end();
  await database?.drop();
});

const MEMBERS = 12;

/** A merchant with MEMBERS members (the same phones in each merchant), opted out as given. */
async function merchant(credit: number, optOut: boolean[]): Promise<{ id: string; members: string[] }> {
  run += 1;
  const { rows } = await owner.query<{ id: string }>(
    `INSERT INTO tenants (slug, name, sms_extension, credit_fen) VALUES ($1, 'B', $2, $3) RETURNING id::text`,
    [`smsb-${run}`, String(600000 + run), credit],
  );
  const id = rows[0]!.id;
  await owner.query(
    `INSERT INTO members (tenant_id, card_no, phone, source, sms_opt_out)
     SELECT $1, 'C' || g, '+86139' || lpad(g::text, 8, '0'), 'import', ($2::boolean[])[g] FROM generate_series(1, $3::int) g`,
    [id, optOut, MEMBERS],
  );
  const m = await owner.query<{ id: string }>(`SELECT id::text FROM members WHERE tenant_id = $1 ORDER BY phone`, [id]);
  return { id, members: m.rows.map((r) => r.id) };
}

const byMember = (x: { member_id: number | null }, y: { member_id: number | null }) => (x.member_id ?? -1) - (y.member_id ?? -1);

/** Everything a send leaves behind, by member, without ids and times. */
async function leftBehind(tenantId: string, members: string[]) {
  const pos = (id: string | null) => (id === null ? null : members.indexOf(id));
  const msgs = await owner.query(
    `SELECT member_id::text, kind, status, fail_reason, sender, recipient, body, encoding, segments, cost_fen::int, sub_code, next_attempt_at IS NOT NULL AS held
       FROM sms_outbound WHERE tenant_id = $1 ORDER BY member_id`,
    [tenantId],
  );
  const box = await owner.query(
    `SELECT m.member_id::text, o.state, o.recipient, o.segments, o.cost_fen::int FROM sms_outbox o JOIN sms_outbound m ON m.id = o.message_id WHERE o.tenant_id = $1 ORDER BY m.member_id`,
    [tenantId],
  );
  const ledger = await owner.query<{ n: number; sum: number; last: number | null }>(
    `SELECT count(*)::int AS n, coalesce(sum(delta_fen), 0)::int AS sum,
            (SELECT balance_after_fen::int FROM sms_credit_ledger WHERE tenant_id = $1 ORDER BY id DESC LIMIT 1) AS last
       FROM sms_credit_ledger WHERE tenant_id = $1`,
    [tenantId],
  );
  const credit = Number((await owner.query(`SELECT credit_fen FROM tenants WHERE id = $1`, [tenantId])).rows[0].credit_fen);
  return {
    messages: msgs.rows.map((r) => ({ ...r, member_id: pos(r.member_id) })).sort(byMember),
    outbox: box.rows.map((r) => ({ ...r, member_id: pos(r.member_id) })).sort(byMember),
    ledger: { n: ledger.rows[0]!.n, sum: ledger.rows[0]!.sum },
    lastBalance: ledger.rows[0]!.last,
    credit,
  };
}

const itemArb = fc.record({
  member: fc.integer({ min: 0, max: MEMBERS - 1 }),
  text: fc.oneof(fc.constantFrom('', '您好', 'Hello {x}', '生日快乐！'.repeat(30), 'x'.repeat(600)), fc.string({ maxLength: 120 })),
  kind: fc.constantFrom('marketing' as const, 'service' as const),
  subCode: fc.constantFrom('', '12', '0007', 'ab'),
});

describe('sendSmsBatch', () => {
  it('leaves what sendSms one by one leaves: outcomes, messages, ledger, outbox and credit (fast-check)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(itemArb, { minLength: 1, maxLength: MEMBERS, selector: (i) => i.member }),
        fc.array(fc.boolean(), { minLength: MEMBERS, maxLength: MEMBERS }),
        fc.integer({ min: 0, max: 400 }),
        fc.integer({ min: 1, max: 12 }),
        fc.boolean(),
        async (spec, optOut, credit, price, quiet) => {
          const a = await merchant(credit, optOut);
          const b = await merchant(credit, optOut);
          // one context for both: same signature, price, port and quiet hours (all day or never)
          const ctx: SmsContext = { name: '小店', priceFen: price, timezone: 'Asia/Shanghai', extension: '77', quiet: quiet ? { start: '00:00', end: '23:59' } : { start: '00:00', end: '00:00' }, optOutHint: '回TD退订' };
          const now = new Date('2026-06-01T04:00:00Z');
          const items = (m: { members: string[] }): BatchSmsItem[] =>
            spec.map((s) => ({ to: `+86139${String(s.member + 1).padStart(8, '0')}`, text: s.text, kind: s.kind, memberId: m.members[s.member]!, campaignId: null, subCode: s.subCode }));

          const batch = await withTenant(database.db, a.id, (tx) => sendSmsBatch(tx, a.id, ctx, items(a), now));
          const single = await withTenant(database.db, b.id, async (tx) => {
            const out: { ok: boolean; status?: string; failReason?: string | null; error?: string }[] = [];
            for (const it of items(b)) {
              try {
                const r = await sendSms(tx, { tenantId: b.id, to: it.to, text: it.text, kind: it.kind, memberId: it.memberId, subCode: it.subCode, context: ctx }, now);
                out.push({ ok: true, status: r.status, failReason: r.failReason });
              } catch (err) {
                out.push({ ok: false, error: (err as Error).message });
              }
            }
            return out;
          });
          expect(batch.map((r) => (r.ok ? { ok: true, status: r.status, failReason: r.failReason } : { ok: false, error: (r.error as Error).message }))).toEqual(single);

          const left = await leftBehind(a.id, a.members);
          expect(left).toEqual(await leftBehind(b.id, b.members));
          // the credit moved only through its ledger, and the running balance ends at the credit
          expect(left.credit).toBe(credit + left.ledger.sum);
          if (left.lastBalance !== null) expect(left.lastBalance).toBe(left.credit);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('refuses two messages to one member in a batch, writing nothing', async () => {
    const a = await merchant(100, new Array(MEMBERS).fill(false));
    const ctx: SmsContext = { name: 'S', priceFen: 5, timezone: 'Asia/Shanghai', extension: '77', quiet: { start: '00:00', end: '00:00' }, optOutHint: '回TD退订' };
    const item: BatchSmsItem = { to: '+8613900000001', text: 'hi', kind: 'service', memberId: a.members[0]! };
    await expect(withTenant(database.db, a.id, (tx) => sendSmsBatch(tx, a.id, ctx, [item, item]))).rejects.toThrow(/one message per member/);
    const { rows } = await withTenant(database.db, a.id, (tx) => tx.execute(sql`SELECT count(*)::int AS n FROM sms_outbound`));
    expect(rows[0]!.n).toBe(0);
  });
});
