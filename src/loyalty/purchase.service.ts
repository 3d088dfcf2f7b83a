/**
 * Purchases (consumption records) and their refunds. A purchase is two round trips: BEGIN with
 * the tenant, the idempotency lock and the member lock with everything else it needs; then one
 * write statement (LedgerBatch) with COMMIT. Anything that fails rolls all of it back: a failed purchase
 * leaves no trace, not even its idempotency key.
 */
import type pg from 'pg';
import { normalizeMobile } from '../members/index.js';
import { AppError, badRequest, conflict, forbidden, notFound } from '../platform/http/problem.js';
import { configAt } from './config.repo.js';
import type { LoyaltyConfig } from './config.rules.js';
import { inLoyaltyTx, pgCode, type LoyaltyTx } from './db.js';
import { checkTenders, discountPctOf, earnFor, tierDiscount, validateItems, type Item, type Tender } from './earn.rules.js';
import { replayOf, type IdempotencyRequest, type Outcome } from './idempotency.js';
import { LedgerBatch, MEMBER_COLUMNS, memberFromRow, narrowScope, type CommonParams, type LedgerActor, type MemberState, type Params } from './ledger.repo.js';
import { idempotencyRow, lockMember, lockPurchase, type LockedMember, type MemberKey } from './lock.repo.js';
import { localDate, lotExpiry } from './period.rules.js';
import { rankOf, tierAfterDecrease, tierAfterEarn, tierDirection } from './tiers.rules.js';
import { upkeep } from './upkeep.js';
import { NO_REFUNDS, planRefund, splitSpend, type RefundTotals } from './value.rules.js';
import { memberBalances, type MemberBalances, type TierRef } from './views.js';
import { tierRef } from './views.js';

export interface PurchaseInput {
  member: { id?: string; cardNo?: string; phone?: string };
  storeId?: string;
  amountFen: number;
  occurredAt?: string;
  items?: Item[];
  tenders?: Tender[];
}

export interface PurchaseResult {
  id: string;
  memberId: string;
  storeId: string | null;
  amountFen: number;
  discountFen: number;
  discountPct: number;
  payableFen: number;
  pointsEarned: number;
  tierPointsEarned: number;
  pointsPaid: number;
  storedValuePaidFen: number;
  occurredAt: string;
  ruleVersion: number;
  tierChange: { from: TierRef | null; to: TierRef | null } | null;
  member: MemberBalances;
}

/** Which member a purchase names: exactly one of id, card number or phone. */
export function memberKeyOf(member: PurchaseInput['member']): MemberKey {
  const given = (['id', 'cardNo', 'phone'] as const).filter((k) => member[k] !== undefined);
  if (given.length !== 1) throw badRequest('Name the member by exactly one of id, cardNo or phone', [{ path: 'body.member', message: 'needs exactly one of id, cardNo, phone' }]);
  if (member.id !== undefined) return { by: 'id', value: member.id };
  if (member.cardNo !== undefined) return { by: 'card', value: member.cardNo.trim().toUpperCase() };
  const phone = normalizeMobile(member.phone!);
  if (!phone.ok) throw badRequest(`member.phone ${phone.reason}`, [{ path: 'body.member.phone', message: phone.reason }]);
  return { by: 'phone', value: phone.e164 };
}

function occurredAtOf(input: PurchaseInput, now: Date): Date {
  if (input.occurredAt === undefined) return now;
  const at = new Date(input.occurredAt);
  if (Number.isNaN(at.getTime())) throw badRequest('occurredAt is not a time', [{ path: 'body.occurredAt', message: 'is not an ISO 8601 time' }]);
  if (at.getTime() > now.getTime() + 5 * 60_000) throw badRequest('occurredAt is in the future', [{ path: 'body.occurredAt', message: 'is in the future' }]);
  return at;
}

export function requireActive(m: MemberState): void {
  if (m.status !== 'active') throw conflict(`The member is ${m.status}`, 'member_inactive');
}

/** Replays a stored outcome, or 404 when the target does not exist (409 for a reused key). */
async function notFoundOrReplay(tx: LoyaltyTx, idem: IdempotencyRequest | null, what: string): Promise<Outcome<any>> {
  const replay = replayOf(idem, await idempotencyRow(tx, idem?.key ?? null));
  if (replay) return replay;
  throw notFound(what);
}

interface Priced {
  discountFen: number;
  discountPct: number;
  payableFen: number;
  pointsEarned: number;
  tierPointsEarned: number;
  tenders: ReturnType<typeof checkTenders>['totals'];
  detail: Record<string, unknown>;
}

/** Discount, payable amount, earnings and tenders of a purchase for a member (no writes). */
function price(cfg: LoyaltyConfig, m: MemberState, input: PurchaseInput, occurredAt: Date, tz: string): Priced {
  const items = input.items ?? [];
  const tierCode = rankOf(cfg.tiers, m.tierCode) >= 0 ? m.tierCode : null;
  const discountPct = discountPctOf(cfg.tiers, tierCode);
  const { discountFen, baseFen } = tierDiscount(input.amountFen, items, discountPct, cfg.rules.discount.stackOnPromotion);
  const payableFen = input.amountFen - discountFen;
  const { totals, errors } = checkTenders(input.tenders, payableFen, cfg.rules);
  if (errors.length) throw badRequest(`Invalid tenders: ${errors.map((e) => e.message).join('; ')}`, errors);
  const earn = earnFor(cfg.rules, {
    amountFen: input.amountFen,
    discountFen,
    discountBaseFen: baseFen,
    items,
    tierCode,
    date: localDate(occurredAt, tz),
    pointsTenderFen: totals.pointsFen,
    stackOnPromotion: cfg.rules.discount.stackOnPromotion,
  });
  return {
    discountFen,
    discountPct,
    payableFen,
    pointsEarned: earn.points,
    tierPointsEarned: earn.tierPoints,
    tenders: totals,
    detail: { ...earn.detail, tier: tierCode, discountPct, discountBaseFen: baseFen },
  };
}

function checkInput(input: PurchaseInput): void {
  const errors = validateItems(input.amountFen, input.items ?? []);
  if (errors.length) throw badRequest(`Invalid items: ${errors[0]!.message}`, errors);
}

/**
 * The store of a purchase by an operator scoped to part of the org tree: a named store must be
 * inside the scope (403 otherwise; 400 when there is no such org node); none named means the
 * scope's own node if it is a store, else 400. Whole-merchant actors name any store or none.
 */
async function scopedStore(tx: LoyaltyTx, actor: LedgerActor, storeId: string | undefined): Promise<string | undefined> {
  const scope = narrowScope(actor);
  if (scope === null) return storeId;
  if (storeId === undefined) {
    const rows = await tx.query('loyalty_scope_store', `SELECT id::text FROM org_nodes WHERE tenant_id = $1 AND path = $2 AND kind = 'store'`, [tx.tenantId, scope]);
    if (!rows[0]) throw badRequest('Name the store (storeId): your data scope holds more than one', [{ path: 'body.storeId', message: 'is required for an operator scoped to a region' }]);
    return rows[0].id;
  }
  const rows = await tx.query('loyalty_store_path', `SELECT path FROM org_nodes WHERE tenant_id = $1 AND id = $2::bigint`, [tx.tenantId, storeId]);
  if (!rows[0]) throw badRequest('storeId is not an org node of this merchant', [{ path: 'body.storeId', message: 'no such store' }]);
  if (!(rows[0].path as string).startsWith(scope)) throw forbidden('This store is outside your data scope');
  return storeId;
}

/** Records a purchase: discount, tenders, points and tier points, tier upgrade. */
export async function recordPurchase(pool: pg.Pool, tenantId: string, actor: LedgerActor, input: PurchaseInput, idem: IdempotencyRequest | null, now = new Date()): Promise<Outcome<PurchaseResult>> {
  const key = memberKeyOf(input.member);
  const occurredAt = occurredAtOf(input, now);
  checkInput(input);
  try {
    return await inLoyaltyTx(
      pool,
      tenantId,
      async (tx) => {
        const storeId = await scopedStore(tx, actor, input.storeId);
        const head = await lockMember(tx, key, idem?.key ?? null);
        if (!head) return notFoundOrReplay(tx, idem, 'Member');
        const replay = replayOf(idem, head.idem);
        if (replay) return replay;
        return purchaseLocked(tx, head, actor, { ...input, storeId }, occurredAt, idem, now);
      },
      { lockKey: idem?.lockKey },
    );
  } catch (err) {
    if (pgCode(err) === '23503' && /store/.test((err as { constraint?: string }).constraint ?? '')) {
      throw badRequest('storeId is not an org node of this merchant', [{ path: 'body.storeId', message: 'no such store' }]);
    }
    throw err;
  }
}

async function purchaseLocked(
  tx: LoyaltyTx,
  head: LockedMember,
  actor: LedgerActor,
  input: PurchaseInput,
  occurredAt: Date,
  idem: IdempotencyRequest | null,
  now: Date,
): Promise<Outcome<PurchaseResult>> {
  const cfg = await configAt(tx, head.version);
  const batch = new LedgerBatch(cfg.version, actor, now);
  const { body, row } = await planPurchase(tx, batch, { member: head.member, cfg, timezone: head.timezone, docId: head.docId }, input, occurredAt, idem, now);
  await batch.write(tx, { name: 'purchase', build: (P, c) => `${PURCHASE_INSERT} VALUES ${purchaseValues(P, c, row)} RETURNING 1` }, { commit: true });
  return { status: 201, body };
}

/** The purchase's own row (loyalty_transactions), as planned. */
interface PurchaseRow {
  id: string;
  memberId: string;
  input: PurchaseInput;
  priced: Priced;
  sv: { principal: number; bonus: number };
  periodStart: string | null;
  occurredAt: Date;
  idemKey: string | null;
}

const PURCHASE_INSERT = `INSERT INTO loyalty_transactions (tenant_id, id, member_id, store_id, amount_fen, discount_fen, payable_fen, tier_code,
        points_earned, tier_points_earned, points_paid, points_paid_fen, sv_principal_paid_fen, sv_bonus_paid_fen, items, tenders, detail,
        period_start, rule_version, occurred_at, idempotency_key, actor_type, actor_id, actor_name, created_at)`;

function purchaseValues(P: Params, c: CommonParams, r: PurchaseRow): string {
  const p = r.priced;
  return `(${c.t}, ${P.p(r.id, 'bigint')}, ${P.p(r.memberId, 'bigint')}, ${P.p(r.input.storeId ?? null, 'bigint')}, ${P.p(r.input.amountFen, 'bigint')},
        ${P.p(p.discountFen, 'bigint')}, ${P.p(p.payableFen, 'bigint')}, ${P.p(p.detail.tier, 'text')}, ${P.p(p.pointsEarned, 'bigint')},
        ${P.p(p.tierPointsEarned, 'bigint')}, ${P.p(p.tenders.points, 'bigint')}, ${P.p(p.tenders.pointsFen, 'bigint')}, ${P.p(r.sv.principal, 'bigint')},
        ${P.p(r.sv.bonus, 'bigint')}, ${P.p(JSON.stringify(r.input.items ?? []), 'jsonb')}, ${P.p(JSON.stringify(r.input.tenders ?? []), 'jsonb')},
        ${P.p(JSON.stringify(p.detail), 'jsonb')}, ${P.p(r.periodStart, 'date')}, ${c.rv}, ${P.p(r.occurredAt, 'timestamptz')},
        ${P.p(r.idemKey, 'text')}, ${c.at}, ${c.aid}, ${c.an}, ${c.now})`;
}

/** Many purchases' rows from one JSON array: the statement's text is the same for any batch,
 * so it is prepared once per connection, and the array is a third of the size of VALUES rows. */
function purchasesInsert(P: Params, c: CommonParams, rows: PurchaseRow[]): string {
  const json = rows.map((r) => ({
    id: r.id,
    m: r.memberId,
    s: r.input.storeId ?? null,
    a: r.input.amountFen,
    d: r.priced.discountFen,
    pay: r.priced.payableFen,
    tc: r.priced.detail.tier,
    pe: r.priced.pointsEarned,
    tpe: r.priced.tierPointsEarned,
    pp: r.priced.tenders.points,
    ppf: r.priced.tenders.pointsFen,
    svp: r.sv.principal,
    svb: r.sv.bonus,
    it: r.input.items ?? [],
    te: r.input.tenders ?? [],
    de: r.priced.detail,
    ps: r.periodStart,
    oa: r.occurredAt,
    ik: r.idemKey,
  }));
  return `${PURCHASE_INSERT}
  SELECT ${c.t}, x.id, x.m, x.s, x.a, x.d, x.pay, x.tc, x.pe, x.tpe, x.pp, x.ppf, x.svp, x.svb, x.it, x.te, x.de, x.ps, ${c.rv}, x.oa, x.ik,
         ${c.at}, ${c.aid}, ${c.an}, ${c.now}
    FROM jsonb_to_recordset(${P.p(JSON.stringify(json), 'jsonb')})
      AS x(id bigint, m bigint, s bigint, a bigint, d bigint, pay bigint, tc text, pe bigint, tpe bigint, pp bigint, ppf bigint, svp bigint,
           svb bigint, it jsonb, te jsonb, de jsonb, ps date, oa timestamptz, ik text)
  RETURNING 1`;
}

/** A locked member and what a movement on it reads besides. */
interface PurchaseContext {
  member: MemberState;
  cfg: LoyaltyConfig;
  timezone: string;
  docId: string;
}

/**
 * Adds a purchase's movements to `batch` (upkeep first, then pay, earn and tier) and returns
 * its response and row. Throws (409, 400) before the purchase's own movements when it cannot
 * be made; the caller decides what that rolls back.
 */
async function planPurchase(
  tx: LoyaltyTx,
  batch: LedgerBatch,
  ctx: PurchaseContext,
  input: PurchaseInput,
  occurredAt: Date,
  idem: IdempotencyRequest | null,
  now: Date,
): Promise<{ body: PurchaseResult; row: PurchaseRow }> {
  const { member: m, cfg } = ctx;
  requireActive(m);
  await upkeep(tx, batch, m, { cfg, tz: ctx.timezone, now });
  const p = price(cfg, m, input, occurredAt, ctx.timezone);
  const ref = { type: 'transaction', id: ctx.docId };

  // Pay first (with what the member had), then earn.
  if (p.tenders.points > 0) batch.points(m, -p.tenders.points, 'pay', ref);
  let sv = { principal: 0, bonus: 0 };
  if (p.tenders.storedValueFen > 0) {
    if (p.tenders.storedValueFen > m.principal + m.bonus) {
      throw conflict(`The member's stored value is ${m.principal + m.bonus} fen; ${p.tenders.storedValueFen} are needed`, 'insufficient_stored_value');
    }
    sv = splitSpend(p.tenders.storedValueFen, m.principal, m.bonus, cfg.rules.storedValue.spendOrder);
    batch.storedValue(m, -sv.principal, -sv.bonus, 'pay', ref);
  }
  batch.points(m, p.pointsEarned, 'earn', ref, { expiresAt: lotExpiry(now, ctx.timezone, cfg.rules.expiry, cfg.rules.period.startMonth) });
  batch.tierPoints(m, p.tierPointsEarned, 'earn', ref);
  m.periodSpendFen += p.payableFen;
  const from = m.tierCode;
  const to = tierAfterEarn(cfg.tiers, { code: m.tierCode, floor: m.tierFloor, tierPoints: m.tierPoints, spendFen: m.periodSpendFen });
  const changed = batch.tier(m, to, tierDirection(cfg.tiers, from, to), 'purchase', ref);
  batch.touch(m);

  const body: PurchaseResult = {
    id: ctx.docId,
    memberId: m.id,
    storeId: input.storeId ?? null,
    amountFen: input.amountFen,
    discountFen: p.discountFen,
    discountPct: p.discountPct,
    payableFen: p.payableFen,
    pointsEarned: p.pointsEarned,
    tierPointsEarned: p.tierPointsEarned,
    pointsPaid: p.tenders.points,
    storedValuePaidFen: p.tenders.storedValueFen,
    occurredAt: occurredAt.toISOString(),
    ruleVersion: cfg.version,
    tierChange: changed ? { from: tierRef(cfg.tiers, from), to: tierRef(cfg.tiers, to) } : null,
    member: memberBalances(m, cfg.tiers),
  };
  if (idem) batch.remember(idem.key, idem.hash, 201, body);
  return { body, row: { id: ctx.docId, memberId: m.id, input, priced: p, sv, periodStart: m.periodStart, occurredAt, idemKey: idem?.key ?? null } };
}

/** One purchase of a batch: what the caller asked, and what came of it. */
export interface PurchaseJob {
  input: PurchaseInput;
  idem: IdempotencyRequest | null;
}
export type PurchaseSettled = { ok: true; outcome: Outcome<PurchaseResult> } | { ok: false; error: unknown };

const isAppError = (err: unknown): err is AppError => err instanceof AppError;

/**
 * Records several purchases by one actor of one tenant together: one transaction locks all
 * their members (in id order, so batches cannot deadlock each other) and ONE statement writes
 * every row, so PostgreSQL pays its per-statement and per-commit costs once per batch rather
 * than per purchase. Each purchase is planned in order on the locked rows exactly as it would
 * be alone (a member twice in a batch sees its first purchase); one that is refused (400, 409)
 * is taken back out of the batch and answers alone. Anything else that fails the batch, and
 * purchases the batch path does not cover (a member not found, an actor scoped to part of the
 * org tree), run one by one through `recordPurchase`: the outcome is always what they would
 * have had alone.
 */
export async function recordPurchases(pool: pg.Pool, tenantId: string, actor: LedgerActor, jobs: PurchaseJob[], now = new Date()): Promise<PurchaseSettled[]> {
  const settled: (PurchaseSettled | undefined)[] = new Array(jobs.length);
  const alone = (i: number) => recordPurchase(pool, tenantId, actor, jobs[i]!.input, jobs[i]!.idem, now);
  const candidates: { i: number; key: MemberKey; occurredAt: Date }[] = [];
  const solo: number[] = [];
  for (let i = 0; i < jobs.length; i++) {
    try {
      const { input } = jobs[i]!;
      const key = memberKeyOf(input.member);
      const occurredAt = occurredAtOf(input, now);
      checkInput(input);
      if (narrowScope(actor) !== null || (key.by === 'id' && !/^\d{1,18}$/.test(key.value))) solo.push(i);
      else candidates.push({ i, key, occurredAt });
    } catch (error) {
      settled[i] = { ok: false, error };
    }
  }

  if (candidates.length > 1) {
    try {
      const inBatch = await inLoyaltyTx(
        pool,
        tenantId,
        async (tx) => {
          const out = new Map<number, PurchaseSettled>();
          const pick = (by: MemberKey['by']) => candidates.filter((c) => c.key.by === by).map((c) => c.key.value);
          const keys = [...new Set(candidates.map((c) => jobs[c.i]!.idem?.key).filter((k): k is string => k !== undefined))];
          // One round trip (with BEGIN): the members, locked in id order, and — once, on every
          // row — the batch's document ids and the stored outcomes of its Idempotency-Keys.
          const rows = await tx.query(
            'loyalty_lock_batch',
            `SELECT ${MEMBER_COLUMNS}, m.card_no AS m_card, m.phone AS m_phone, coalesce(s.version, 0) AS version, tz.timezone,
                    (SELECT array_agg(nextval('loyalty_doc_id_seq')::text) FROM generate_series(1, $5::int)) AS doc_ids,
                    (SELECT coalesce(json_agg(json_build_object('key', i.key, 'hash', encode(i.request_hash, 'hex'), 'status', i.status, 'response', i.response)), '[]'::json)
                       FROM loyalty_idempotency i WHERE i.tenant_id = $1 AND i.key = ANY($6::text[])) AS idem
               FROM members m JOIN tenants tz ON tz.id = m.tenant_id
               LEFT JOIN loyalty_settings s ON s.tenant_id = m.tenant_id
              WHERE m.tenant_id = $1 AND (m.id = ANY($2::bigint[]) OR m.card_no = ANY($3::text[]) OR m.phone = ANY($4::text[]))
              ORDER BY m.id FOR UPDATE OF m`,
            [tenantId, pick('id'), pick('card'), pick('phone'), candidates.length, keys],
          );
          const extra = rows[0] ?? { doc_ids: [], idem: [] };
          const docIds: string[] = extra.doc_ids;
          const remembered = new Map<string, LockedMember['idem']>(
            (extra.idem as { key: string; hash: string; status: number; response: unknown }[]).map((r) => [r.key, { idem_hash: Buffer.from(r.hash, 'hex'), idem_status: r.status, idem_response: r.response }]),
          );
          const members = new Map<string, MemberState>();
          const byKey = new Map<string, MemberState>();
          for (const r of rows) {
            const m = memberFromRow(r);
            members.set(m.id, m);
            byKey.set(`id:${m.id}`, m).set(`card:${r.m_card}`, m);
            if (r.m_phone) byKey.set(`phone:${r.m_phone}`, m);
          }
          const cfg = rows[0] ? await configAt(tx, rows[0].version) : null;
          const timezone: string = rows[0]?.timezone;
          const batch = cfg ? new LedgerBatch(cfg.version, actor, now) : null;
          const written: PurchaseRow[] = [];
          let nextDoc = 0;
          for (const c of candidates) {
            const { input, idem } = jobs[c.i]!;
            const m = byKey.get(`${c.key.by}:${c.key.value}`);
            if (!m || !cfg || !batch) continue; // not found (or a replay of a key whose member is gone): alone
            try {
              const replay = replayOf(idem, idem ? remembered.get(idem.key) : undefined);
              if (replay) {
                out.set(c.i, { ok: true, outcome: replay });
                continue;
              }
            } catch (error) {
              out.set(c.i, { ok: false, error });
              continue;
            }
            const saved = { ...m };
            const restore = batch.mark();
            try {
              const { body, row } = await planPurchase(tx, batch, { member: m, cfg, timezone, docId: docIds[nextDoc++]! }, input, c.occurredAt, idem, now);
              written.push(row);
              out.set(c.i, { ok: true, outcome: { status: 201, body } });
              if (idem) remembered.set(idem.key, { idem_hash: idem.hash, idem_status: 201, idem_response: body });
            } catch (error) {
              Object.assign(m, saved);
              restore();
              if (!isAppError(error)) throw error;
              out.set(c.i, { ok: false, error });
            }
          }
          if (batch && written.length > 0) {
            await batch.write(
              tx,
              { name: 'purchases', stable: true, build: (P, cp) => purchasesInsert(P, cp, written) },
              { commit: true },
            );
          }
          return out;
        },
        { lockKeys: candidates.map((c) => jobs[c.i]!.idem?.lockKey).filter((k): k is bigint => k !== undefined), keyedPlans: true },
      );
      for (const c of candidates) {
        const r = inBatch.get(c.i);
        if (r) settled[c.i] = r;
        else solo.push(c.i);
      }
    } catch {
      // the batch wrote nothing: each purchase runs alone and meets its own outcome
      for (const c of candidates) solo.push(c.i);
    }
  } else {
    for (const c of candidates) solo.push(c.i);
  }

  // in arrival order, as they would have run alone
  for (const i of solo.sort((x, y) => x - y)) {
    try {
      settled[i] = { ok: true, outcome: await alone(i) };
    } catch (error) {
      settled[i] = { ok: false, error };
    }
  }
  return settled.map((r) => r!);
}

export interface QuoteResult {
  amountFen: number;
  discountFen: number;
  discountPct: number;
  payableFen: number;
  pointsEarned: number;
  tierPointsEarned: number;
  /** the most of this purchase the member's points could pay, in fen */
  pointsPayableFen: number;
  member: MemberBalances;
}

/** What a purchase would give, without recording it (for the checkout screen). */
export async function quotePurchase(pool: pg.Pool, tenantId: string, input: PurchaseInput, now = new Date()): Promise<QuoteResult> {
  const key = memberKeyOf(input.member);
  const occurredAt = occurredAtOf(input, now);
  checkInput(input);
  return inLoyaltyTx(pool, tenantId, async (tx) => {
    // The same lock as a purchase keeps the quote's view consistent; it is released at once.
    const head = await lockMember(tx, key, null);
    if (!head) throw notFound('Member');
    const m = head.member;
    const cfg = await configAt(tx, head.version);
    await upkeep(tx, new LedgerBatch(cfg.version, { type: 'system', id: null, name: 'quote' }, now), m, { cfg, tz: head.timezone, now });
    const p = price(cfg, m, { ...input, tenders: undefined }, occurredAt, head.timezone);
    const rate = cfg.rules.redemption.pointsPerYuan;
    const maxByRule = Math.floor((p.payableFen * cfg.rules.redemption.maxPaymentPct) / 100);
    return {
      amountFen: input.amountFen,
      discountFen: p.discountFen,
      discountPct: p.discountPct,
      payableFen: p.payableFen,
      pointsEarned: p.pointsEarned,
      tierPointsEarned: p.tierPointsEarned,
      pointsPayableFen: Math.min(maxByRule, Math.floor((m.points * 100) / rate)),
      member: memberBalances(m, cfg.tiers),
    };
  });
}

export interface RefundResult {
  id: string;
  transactionId: string;
  amountFen: number;
  refundedFen: number;
  pointsReversed: number;
  pointsShortfall: number;
  tierPointsReversed: number;
  pointsReturned: number;
  storedValueReturnedFen: number;
  tierChange: { from: TierRef | null; to: TierRef | null } | null;
  member: MemberBalances;
}

async function refundTotals(tx: LoyaltyTx, transactionId: string): Promise<RefundTotals> {
  const rows = await tx.query(
    'loyalty_refund_totals',
    `SELECT refunded_fen_total, points_reversed_total, tier_points_reversed_total, points_returned_total,
            sv_principal_returned_total, sv_bonus_returned_total, (SELECT count(*) FROM loyalty_refunds c WHERE c.tenant_id = r.tenant_id AND c.transaction_id = r.transaction_id)::int AS n
       FROM loyalty_refunds r WHERE r.tenant_id = $1 AND r.transaction_id = $2 ORDER BY r.id DESC LIMIT 1`,
    [tx.tenantId, transactionId],
  );
  const r = rows[0];
  if (!r) return NO_REFUNDS;
  return {
    refundedFen: Number(r.refunded_fen_total),
    pointsReversed: Number(r.points_reversed_total),
    tierPointsReversed: Number(r.tier_points_reversed_total),
    pointsReturned: Number(r.points_returned_total),
    svPrincipalReturned: Number(r.sv_principal_returned_total),
    svBonusReturned: Number(r.sv_bonus_returned_total),
    count: r.n,
  };
}

/**
 * Refunds all (no amount) or part of a purchase's payable amount. Earned points and tier points
 * are taken back and paid points and stored value returned, in proportion to the refunded share.
 * Points the member has already spent cannot be taken back: the shortfall is recorded. Tier
 * points of a period that has closed stay; a tier reached by the refunded purchase in this
 * period is re-evaluated.
 */
export async function refundPurchase(
  pool: pg.Pool,
  tenantId: string,
  actor: LedgerActor,
  transactionId: string,
  input: { amountFen?: number; reason?: string },
  idem: IdempotencyRequest | null,
  now = new Date(),
): Promise<Outcome<RefundResult>> {
  return inLoyaltyTx(
    pool,
    tenantId,
    async (tx) => {
      const head = await lockPurchase(tx, transactionId, idem?.key ?? null);
      if (!head) return notFoundOrReplay(tx, idem, 'Transaction');
      // a purchase at a store outside the operator's scope is not theirs to see or refund
      const scope = narrowScope(actor);
      if (scope !== null && !head.purchase.storePath?.startsWith(scope)) throw notFound('Transaction');
      const replay = replayOf(idem, head.idem);
      if (replay) return replay;
      const m = head.member;
      const x = head.purchase;
      const cfg = await configAt(tx, head.version);
      const batch = new LedgerBatch(cfg.version, actor, now);
      await upkeep(tx, batch, m, { cfg, tz: head.timezone, now });

      const prev = await refundTotals(tx, x.id);
      const left = x.payableFen - prev.refundedFen;
      if (x.payableFen > 0 ? left <= 0 : prev.count > 0) throw conflict('This purchase has been refunded in full', 'already_refunded');
      const amount = input.amountFen ?? left;
      if (amount > left) throw conflict(`At most ${left} fen of this purchase can still be refunded`, 'refund_exceeds_payable');
      const plan = planRefund(x, prev, amount);
      const ref = { type: 'refund', id: head.docId };
      const reason = input.reason ?? null;

      batch.points(m, plan.pointsReturned, 'refund_return', ref, { reason, expiresAt: lotExpiry(now, head.timezone, cfg.rules.expiry, cfg.rules.period.startMonth) });
      const pointsTaken = Math.min(plan.pointsReversed, m.points);
      batch.points(m, -pointsTaken, 'refund_reversal', ref, { reason });
      // Tier points count per period: those of a closed period are no longer the member's to lose.
      const samePeriod = x.periodStart === m.periodStart;
      const tierTaken = samePeriod ? Math.min(plan.tierPointsReversed, m.tierPoints) : 0;
      batch.tierPoints(m, -tierTaken, 'refund_reversal', ref, reason);
      // spend counts per period too
      const spendTaken = samePeriod ? Math.min(amount, m.periodSpendFen) : 0;
      m.periodSpendFen -= spendTaken;
      batch.storedValue(m, plan.svPrincipalReturned, plan.svBonusReturned, 'refund_return', ref, reason);
      const from = m.tierCode;
      const to =
        tierTaken > 0 || spendTaken > 0
          ? tierAfterDecrease(cfg.tiers, { code: m.tierCode, floor: m.tierFloor, tierPoints: m.tierPoints, spendFen: m.periodSpendFen })
          : m.tierCode;
      const changed = batch.tier(m, to, tierDirection(cfg.tiers, from, to), 'refund', ref, reason);
      batch.touch(m);

      const body: RefundResult = {
        id: head.docId,
        transactionId: x.id,
        amountFen: amount,
        refundedFen: plan.totals.refundedFen,
        pointsReversed: pointsTaken,
        pointsShortfall: plan.pointsReversed - pointsTaken,
        tierPointsReversed: tierTaken,
        pointsReturned: plan.pointsReturned,
        storedValueReturnedFen: plan.svPrincipalReturned + plan.svBonusReturned,
        tierChange: changed ? { from: tierRef(cfg.tiers, from), to: tierRef(cfg.tiers, to) } : null,
        member: memberBalances(m, cfg.tiers),
      };
      if (idem) batch.remember(idem.key, idem.hash, 201, body);
      const tt = plan.totals;
      await batch.write(tx, {
        name: 'refund',
        build: (P, c) => `INSERT INTO loyalty_refunds (tenant_id, id, transaction_id, member_id, amount_fen, refunded_fen_total,
            points_reversed, points_reversed_total, points_shortfall, tier_points_reversed, tier_points_reversed_total, tier_points_shortfall,
            points_returned, points_returned_total, sv_principal_returned_fen, sv_bonus_returned_fen, sv_principal_returned_total,
            sv_bonus_returned_total, reason, rule_version, actor_type, actor_id, actor_name, created_at)
          VALUES (${c.t}, ${P.p(head.docId, 'bigint')}, ${P.p(x.id, 'bigint')}, ${P.p(m.id, 'bigint')}, ${P.p(amount, 'bigint')},
            ${P.p(tt.refundedFen, 'bigint')}, ${P.p(plan.pointsReversed, 'bigint')}, ${P.p(tt.pointsReversed, 'bigint')},
            ${P.p(plan.pointsReversed - pointsTaken, 'bigint')}, ${P.p(plan.tierPointsReversed, 'bigint')}, ${P.p(tt.tierPointsReversed, 'bigint')},
            ${P.p(plan.tierPointsReversed - tierTaken, 'bigint')}, ${P.p(plan.pointsReturned, 'bigint')}, ${P.p(tt.pointsReturned, 'bigint')},
            ${P.p(plan.svPrincipalReturned, 'bigint')}, ${P.p(plan.svBonusReturned, 'bigint')}, ${P.p(tt.svPrincipalReturned, 'bigint')},
            ${P.p(tt.svBonusReturned, 'bigint')}, ${P.p(reason, 'text')}, ${c.rv}, ${c.at}, ${c.aid}, ${c.an}, ${c.now})
          RETURNING 1`,
      }, { commit: true });
      return { status: 201, body };
    },
    { lockKey: idem?.lockKey },
  );
}
