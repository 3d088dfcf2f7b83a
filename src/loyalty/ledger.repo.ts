/**
 * The ledger: every change of a member's reward points, tier points or stored value is an
 * append-only entry (who, why, what it refers to, which rule version), written in the same
 * transaction as the member row, which the caller has locked FOR UPDATE first.
 *
 * A `LedgerBatch` collects the movements of one request (or of one maintenance batch over many
 * members) in memory, checking balances as it goes, and `write()` sends them as ONE statement:
 * the document row, ledger entries, lot consumption (oldest expiry first) and new lots, the member
 * rows, tier changes and the idempotency record. One round trip keeps the purchase path close
 * to the raw "insert + update" cost.
 */
import { conflict } from '../platform/http/problem.js';
import type { LoyaltyTx } from './db.js';

export type LedgerKind = 'points' | 'tier_points' | 'stored_value';

export interface LedgerActor {
  type: 'operator' | 'api_key' | 'system';
  id: string | null;
  name: string;
  /** the org path of the actor's data scope ('/1/' or absent: the whole merchant) */
  scopePath?: string;
}

/** The scope path when it is narrower than the whole merchant, else null. */
export function narrowScope(actor: { scopePath?: string | null }): string | null {
  const p = actor.scopePath;
  return p && p.split('/').filter(Boolean).length > 1 ? p : null;
}

/** SQL LIKE pattern for the org paths inside a scope (null: every path). */
export const scopePattern = (scope: string | null): string | null => (scope === null ? null : scope.replace(/[\\%_]/g, '\\$&') + '%');

export const SYSTEM_ACTOR: LedgerActor = { type: 'system', id: null, name: 'system' };

/** The balance-relevant columns of a locked member row, mutated as movements are added. */
export interface MemberState {
  id: string;
  status: string;
  points: number;
  tierPoints: number;
  principal: number;
  bonus: number;
  tierCode: string | null;
  tierFloor: string | null;
  /** YYYY-MM-DD */
  periodStart: string | null;
  pointsExpireAt: Date | null;
  /** spend (payable fen, less refunds) in the period starting at periodStart: a tier basis */
  periodSpendFen: number;
}

export interface Ref {
  type: string;
  id: string | null;
}

/** Columns every member lock query returns (see `memberFromRow`). */
export const MEMBER_COLUMNS = `m.id::text AS m_id, m.status AS m_status, m.points AS m_points, m.tier_points AS m_tier_points,
  m.stored_principal_fen AS m_principal, m.stored_bonus_fen AS m_bonus, m.tier_code AS m_tier_code,
  m.tier_floor_code AS m_tier_floor, to_char(m.tier_period_start, 'YYYY-MM-DD') AS m_period_start,
  m.points_expire_at AS m_expire_at, m.period_spend_fen AS m_spend`;

export function memberFromRow(r: Record<string, any>): MemberState {
  return {
    id: r.m_id,
    status: r.m_status,
    points: Number(r.m_points),
    tierPoints: Number(r.m_tier_points),
    principal: Number(r.m_principal),
    bonus: Number(r.m_bonus),
    tierCode: r.m_tier_code ?? null,
    tierFloor: r.m_tier_floor ?? null,
    periodStart: r.m_period_start ?? null,
    pointsExpireAt: r.m_expire_at ?? null,
    periodSpendFen: Number(r.m_spend ?? 0),
  };
}

/** Builds parameter placeholders in order, so a statement's text is stable for its name. */
export class Params {
  readonly values: unknown[] = [];
  p(value: unknown, cast?: string): string {
    this.values.push(value);
    return `$${this.values.length}${cast ? `::${cast}` : ''}`;
  }
}

/** Placeholders of the values every part of the write statement shares. */
export interface CommonParams {
  t: string;
  now: string;
  rv: string;
  at: string;
  aid: string;
  an: string;
}

/** A document row written by the same statement (a purchase, refund, operation …): an
 * `INSERT … RETURNING 1`. */
export interface DocumentInsert {
  /** names the prepared statement; the SQL it builds must not vary for one name */
  name: string;
  /** the SQL does not vary with how many rows the batch holds (arrays or JSON, not VALUES
   * lists), so a write over many members may be a prepared statement too */
  stable?: boolean;
  build(P: Params, common: CommonParams): string;
}

interface PendingLot {
  refType: string;
  refId: string | null;
  expiresAt: Date | null;
  points: number;
}

export class LedgerBatch {
  private readonly entries = { member: [] as string[], kind: [] as string[], delta: [] as number[], after: [] as number[], pd: [] as (number | null)[], bd: [] as (number | null)[], cause: [] as string[], reason: [] as (string | null)[], refType: [] as string[], refId: [] as (string | null)[] };
  private readonly tierChanges = { member: [] as string[], from: [] as (string | null)[], to: [] as (string | null)[], dir: [] as string[], cause: [] as string[], reason: [] as (string | null)[], refType: [] as (string | null)[], refId: [] as (string | null)[] };
  /** per member: points taken from lots that existed before this batch */
  private readonly consumed = new Map<string, number>();
  /** per member: lots created by this batch (consumed first if the old ones run out) */
  private readonly newLots = new Map<string, PendingLot[]>();
  /** per member: points held in lots before this batch (= points at first touch) */
  private readonly lotsBefore = new Map<string, number>();
  private readonly touched = new Map<string, MemberState>();
  /** responses to store for replays (one per request; a batch of purchases holds several) */
  private readonly idempotency: { key: string; hash: Buffer; status: number; response: unknown }[] = [];

  constructor(
    readonly ruleVersion: number,
    readonly actor: LedgerActor,
    readonly now: Date,
  ) {}

  /** Registers a member whose row this batch will write, even without entries. */
  touch(m: MemberState): void {
    if (!this.touched.has(m.id)) {
      this.touched.set(m.id, m);
      this.lotsBefore.set(m.id, m.points);
    }
  }

  get size(): number {
    return this.entries.member.length;
  }

  private entry(m: MemberState, kind: LedgerKind, delta: number, after: number, cause: string, ref: Ref, reason: string | null, split: { p: number; b: number } | null) {
    this.entries.member.push(m.id);
    this.entries.kind.push(kind);
    this.entries.delta.push(delta);
    this.entries.after.push(after);
    this.entries.pd.push(split ? split.p : null);
    this.entries.bd.push(split ? split.b : null);
    this.entries.cause.push(cause);
    this.entries.reason.push(reason);
    this.entries.refType.push(ref.type);
    this.entries.refId.push(ref.id);
  }

  /**
   * Reward points: a positive delta is a new lot expiring at `expiresAt`; a negative one takes
   * points from the oldest-expiring lots. Throws 409 when the balance would go below zero.
   */
  points(m: MemberState, delta: number, cause: string, ref: Ref, opts: { reason?: string | null; expiresAt?: Date | null; code?: string } = {}): void {
    if (delta === 0) return;
    this.touch(m);
    if (m.points + delta < 0) throw conflict(`The member has ${m.points} points; ${-delta} are needed`, opts.code ?? 'insufficient_points');
    m.points += delta;
    this.entry(m, 'points', delta, m.points, cause, ref, opts.reason ?? null, null);
    if (delta > 0) {
      const expiresAt = opts.expiresAt ?? null;
      const list = this.newLots.get(m.id) ?? [];
      list.push({ refType: ref.type, refId: ref.id, expiresAt, points: delta });
      this.newLots.set(m.id, list);
      if (expiresAt && (!m.pointsExpireAt || expiresAt < m.pointsExpireAt)) m.pointsExpireAt = expiresAt;
    } else {
      let need = -delta;
      const fromOld = Math.min(need, (this.lotsBefore.get(m.id) ?? 0) - (this.consumed.get(m.id) ?? 0));
      if (fromOld > 0) this.consumed.set(m.id, (this.consumed.get(m.id) ?? 0) + fromOld);
      need -= fromOld;
      // the rest comes from lots this batch created (the statement cannot see them yet)
      const list = this.newLots.get(m.id) ?? [];
      list.sort((a, b) => (a.expiresAt?.getTime() ?? Infinity) - (b.expiresAt?.getTime() ?? Infinity));
      for (const lot of list) {
        const take = Math.min(need, lot.points);
        lot.points -= take;
        need -= take;
      }
      this.newLots.set(
        m.id,
        list.filter((l) => l.points > 0),
      );
      if (m.points === 0) m.pointsExpireAt = null;
    }
  }

  tierPoints(m: MemberState, delta: number, cause: string, ref: Ref, reason: string | null = null): void {
    if (delta === 0) return;
    this.touch(m);
    if (m.tierPoints + delta < 0) throw conflict(`The member has ${m.tierPoints} tier points; ${-delta} are needed`, 'insufficient_tier_points');
    m.tierPoints += delta;
    this.entry(m, 'tier_points', delta, m.tierPoints, cause, ref, reason, null);
  }

  /** Stored value, principal and bonus apart. Throws 409 when either would go below zero. */
  storedValue(m: MemberState, principalDelta: number, bonusDelta: number, cause: string, ref: Ref, reason: string | null = null): void {
    if (principalDelta === 0 && bonusDelta === 0) return;
    this.touch(m);
    if (m.principal + principalDelta < 0 || m.bonus + bonusDelta < 0) {
      throw conflict(`The member's stored value is ${m.principal + m.bonus} fen; ${-(principalDelta + bonusDelta)} are needed`, 'insufficient_stored_value');
    }
    m.principal += principalDelta;
    m.bonus += bonusDelta;
    this.entry(m, 'stored_value', principalDelta + bonusDelta, m.principal + m.bonus, cause, ref, reason, { p: principalDelta, b: bonusDelta });
  }

  /** Moves the member to tier `to` (recording the change if it is one). */
  tier(m: MemberState, to: string | null, direction: 'up' | 'down' | 'same', cause: string, ref: Ref | null, reason: string | null = null): boolean {
    this.touch(m);
    if (to === m.tierCode) return false;
    this.tierChanges.member.push(m.id);
    this.tierChanges.from.push(m.tierCode);
    this.tierChanges.to.push(to);
    this.tierChanges.dir.push(direction);
    this.tierChanges.cause.push(cause);
    this.tierChanges.reason.push(reason);
    this.tierChanges.refType.push(ref?.type ?? null);
    this.tierChanges.refId.push(ref?.id ?? null);
    m.tierCode = to;
    return true;
  }

  /** Stores the response for replays of this request, in the same statement. */
  remember(key: string, hash: Buffer, status: number, response: unknown): void {
    this.idempotency.push({ key, hash, status, response });
  }

  /**
   * A restore point: what `restore()` puts back if the request being added fails half-way
   * (a batch of purchases keeps the others' movements). Member rows are the caller's to restore.
   */
  mark(): () => void {
    const lengths = Object.values(this.entries).map((a) => a.length);
    const changeLengths = Object.values(this.tierChanges).map((a) => a.length);
    const consumed = new Map(this.consumed);
    const newLots = new Map([...this.newLots].map(([k, list]) => [k, list.map((l) => ({ ...l }))] as const));
    const lotsBefore = new Map(this.lotsBefore);
    const touched = new Map(this.touched);
    const remembered = this.idempotency.length;
    return () => {
      Object.values(this.entries).forEach((a, i) => (a.length = lengths[i]!));
      Object.values(this.tierChanges).forEach((a, i) => (a.length = changeLengths[i]!));
      const reset = <K, V>(target: Map<K, V>, from: Map<K, V>) => {
        target.clear();
        for (const [k, v] of from) target.set(k, v);
      };
      reset(this.consumed, consumed);
      reset(this.newLots, newLots);
      reset(this.lotsBefore, lotsBefore);
      reset(this.touched, touched);
      this.idempotency.length = remembered;
    };
  }

  /**
   * Writes everything in one statement, which itself checks that the database did what was
   * asked (and fails otherwise). `opts.commit`: the transaction's last statement (COMMIT goes
   * with it).
   */
  async write(tx: LoyaltyTx, doc: DocumentInsert | null = null, opts: { commit?: boolean } = {}): Promise<void> {
    const P = new Params();
    const t = P.p(tx.tenantId, 'bigint');
    const now = P.p(this.now, 'timestamptz');
    const rv = P.p(this.ruleVersion, 'int');
    const at = P.p(this.actor.type, 'text');
    const aid = P.p(this.actor.id, 'bigint');
    const an = P.p(this.actor.name, 'text');
    const docSql = doc ? doc.build(P, { t, now, rv, at, aid, an }) : 'SELECT 1';

    const e = this.entries;
    const led = [
      P.p(e.member, 'bigint[]'), P.p(e.kind, 'text[]'), P.p(e.delta, 'bigint[]'), P.p(e.after, 'bigint[]'), P.p(e.pd, 'bigint[]'),
      P.p(e.bd, 'bigint[]'), P.p(e.cause, 'text[]'), P.p(e.reason, 'text[]'), P.p(e.refType, 'text[]'), P.p(e.refId, 'bigint[]'),
    ].join(', ');

    const lots = [...this.newLots].flatMap(([member, list]) => list.map((l) => ({ member, ...l })));
    const newLots = [
      P.p(lots.map((l) => l.member), 'bigint[]'), P.p(lots.map((l) => l.refType), 'text[]'), P.p(lots.map((l) => l.refId), 'bigint[]'),
      P.p(lots.map((l) => l.expiresAt), 'timestamptz[]'), P.p(lots.map((l) => l.points), 'bigint[]'),
    ].join(', ');

    // Two shapes of the lot consumption and member update. One member (every request): scalar
    // ids, so even the cached generic plan of the prepared statement reaches the row and the lots
    // through (tenant_id, id) and (tenant_id, member_id) — a generic plan over arrays cannot
    // know how few rows they hold, and has been seen to read every member of the tenant. Many
    // members (maintenance batches): arrays, sent unnamed, so each is planned with its values.
    const ms = [...this.touched.values()];
    const one = ms.length === 1 ? ms[0]! : null;
    let consume: string;
    let update: string;
    let lotScope = '';
    if (one) {
      const mid = P.p(one.id, 'bigint');
      const amount = P.p(this.consumed.get(one.id) ?? 0, 'bigint');
      consume = `SELECT l.id, l.remaining, ${amount} AS amount,
         sum(l.remaining) OVER (ORDER BY l.expires_at NULLS LAST, l.id) - l.remaining AS prior
    FROM loyalty_point_lots l WHERE l.tenant_id = ${t} AND l.member_id = ${mid} AND l.remaining > 0 AND ${amount} > 0`;
      update = `UPDATE members m
     SET points = ${P.p(one.points, 'bigint')}, tier_points = ${P.p(one.tierPoints, 'bigint')}, stored_principal_fen = ${P.p(one.principal, 'bigint')},
         stored_bonus_fen = ${P.p(one.bonus, 'bigint')}, stored_value_fen = ${P.p(one.principal + one.bonus, 'bigint')}, tier_code = ${P.p(one.tierCode, 'text')},
         tier_floor_code = ${P.p(one.tierFloor, 'text')}, tier_period_start = ${P.p(one.periodStart, 'date')}, points_expire_at = ${P.p(one.pointsExpireAt, 'timestamptz')},
         period_spend_fen = ${P.p(one.periodSpendFen, 'bigint')}
   WHERE m.tenant_id = ${t} AND m.id = ${mid}`;
    } else {
      // Every table is reached with `= ANY(array)` in its index condition, so no plan — not even
      // a generic one made while the table was small — can read more than these members' rows
      // (a join condition alone was seen to become a scan of all the tenant's lots).
      const wantMembers = [...this.consumed.keys()];
      if (wantMembers.length > 0) {
        const wantIds = P.p(wantMembers, 'bigint[]');
        const want = [wantIds, P.p(wantMembers.map((id) => this.consumed.get(id)), 'bigint[]')].join(', ');
        consume = `SELECT l.id, l.remaining, w.amount,
         sum(l.remaining) OVER (PARTITION BY l.member_id ORDER BY l.expires_at NULLS LAST, l.id) - l.remaining AS prior
    FROM loyalty_point_lots l
    JOIN unnest(${want}) AS w(member_id, amount) ON w.member_id = l.member_id
   WHERE l.tenant_id = ${t} AND l.member_id = ANY(${wantIds}) AND l.remaining > 0`;
        lotScope = ` AND l.member_id = ANY(${wantIds}) AND l.remaining > 0`;
      } else consume = '';
      const memberIds = P.p(ms.map((m) => m.id), 'bigint[]');
      const mem = [
        memberIds, P.p(ms.map((m) => m.points), 'bigint[]'), P.p(ms.map((m) => m.tierPoints), 'bigint[]'),
        P.p(ms.map((m) => m.principal), 'bigint[]'), P.p(ms.map((m) => m.bonus), 'bigint[]'), P.p(ms.map((m) => m.tierCode), 'text[]'),
        P.p(ms.map((m) => m.tierFloor), 'text[]'), P.p(ms.map((m) => m.periodStart), 'date[]'), P.p(ms.map((m) => m.pointsExpireAt), 'timestamptz[]'),
        P.p(ms.map((m) => m.periodSpendFen), 'bigint[]'),
      ].join(', ');
      update = `UPDATE members m
     SET points = u.p, tier_points = u.tp, stored_principal_fen = u.sp, stored_bonus_fen = u.sb, stored_value_fen = u.sp + u.sb,
         tier_code = u.tc, tier_floor_code = u.tf, tier_period_start = u.ps, points_expire_at = u.pe, period_spend_fen = u.sf
    FROM unnest(${mem}) AS u(id, p, tp, sp, sb, tc, tf, ps, pe, sf)
   WHERE m.tenant_id = ${t} AND m.id = ANY(${memberIds}) AND m.id = u.id`;
    }

    const c = this.tierChanges;
    const changes = [
      P.p(c.member, 'bigint[]'), P.p(c.from, 'text[]'), P.p(c.to, 'text[]'), P.p(c.dir, 'text[]'), P.p(c.cause, 'text[]'),
      P.p(c.reason, 'text[]'), P.p(c.refType, 'text[]'), P.p(c.refId, 'bigint[]'),
    ].join(', ');

    const i = this.idempotency;
    // one JSON array: responses nest as they are, not escaped again as array elements
    const idem = P.p(JSON.stringify(i.map((x) => ({ k: x.key, h: x.hash.toString('hex'), s: x.status, r: x.response }))), 'jsonb');

    const wantTaken = [...this.consumed.values()].reduce((s, v) => s + v, 0);
    const wantEntries = P.p(e.member.length, 'int');
    const wantTakenP = P.p(wantTaken, 'bigint');
    const wantMembers = P.p(ms.length, 'int');
    // A many-member batch that takes no points from lots leaves the lots alone: its statement
    // is then keyed on member ids alone and may keep one generic plan (see below).
    const consumes = one !== null || this.consumed.size > 0;
    const consumeCtes = consumes
      ? `ordered AS (
  ${consume}
),
took AS (
  UPDATE loyalty_point_lots l SET remaining = l.remaining - LEAST(o.remaining, o.amount - o.prior)
    FROM ordered o
   WHERE l.tenant_id = ${t} AND l.id = o.id AND o.prior < o.amount${lotScope}
  RETURNING LEAST(o.remaining, o.amount - o.prior) AS taken
),
`
      : '';
    const takenSql = consumes ? '(SELECT coalesce(sum(taken), 0) FROM took)::bigint' : '0::bigint';
    const text = `WITH doc AS (${docSql}),
led AS (
  INSERT INTO loyalty_ledger (tenant_id, member_id, kind, delta, balance_after, principal_delta, bonus_delta, cause, reason, ref_type, ref_id,
                              rule_version, actor_type, actor_id, actor_name, created_at)
  SELECT ${t}, u.m, u.k, u.d, u.a, u.pd, u.bd, u.c, u.r, u.rt, u.ri, ${rv}, ${at}, ${aid}, ${an}, ${now}
    FROM unnest(${led}) AS u(m, k, d, a, pd, bd, c, r, rt, ri)
  RETURNING 1
),
${consumeCtes}lots AS (
  INSERT INTO loyalty_point_lots (tenant_id, member_id, ref_type, ref_id, earned_at, expires_at, original, remaining)
  SELECT ${t}, n.m, n.rt, n.ri, ${now}, n.e, n.p, n.p FROM unnest(${newLots}) AS n(m, rt, ri, e, p)
  RETURNING 1
),
mem AS (
  ${update}
  RETURNING 1
),
tc AS (
  INSERT INTO loyalty_tier_changes (tenant_id, member_id, from_code, to_code, direction, cause, reason, ref_type, ref_id,
                                    actor_type, actor_id, actor_name, created_at)
  SELECT ${t}, x.m, x.f, x.t, x.d, x.c, x.r, x.rt, x.ri, ${at}, ${aid}, ${an}, ${now}
    FROM unnest(${changes}) AS x(m, f, t, d, c, r, rt, ri)
  RETURNING 1
),
idem AS (
  INSERT INTO loyalty_idempotency (tenant_id, key, request_hash, status, response, created_at)
  SELECT ${t}, k.k, decode(k.h, 'hex'), k.s, k.r, ${now} FROM jsonb_to_recordset(${idem}) AS k(k text, h text, s int, r jsonb)
  RETURNING 1
),
counts AS (
  SELECT (SELECT count(*) FROM led)::int AS entries, ${takenSql} AS taken,
         (SELECT count(*) FROM mem)::int AS members, (SELECT count(*) FROM doc)::int AS docs
)
-- The member locks make these hold; a mismatch means a bug or a broken invariant (lots out of
-- step with the balance): the statement fails (a cast of the message to int) and nothing is written.
SELECT entries, taken::text AS taken, members, docs,
       CASE WHEN entries = ${wantEntries} AND taken = ${wantTakenP} AND members = ${wantMembers} THEN 0
            ELSE ('ledger write mismatch: entries ' || entries || '/' || ${wantEntries} || ', lots taken ' || taken || '/' || ${wantTakenP}
                  || ', members ' || members || '/' || ${wantMembers})::int END AS ok
  FROM counts`;
    // Many members: a prepared statement only for a stable document that takes nothing from
    // lots; everything else (points paid in a batch, maintenance) is planned with its values.
    // Its tables are reached through `= ANY(ids)` index conditions only: a generic plan made
    // while a table was small once read every lot of the tenant for a join condition.
    const name = one ? `loyalty_write_${doc?.name ?? 'none'}` : doc?.stable && !consumes ? `loyalty_write_many_${doc.name}` : null;
    const rows = await tx.query(name, text, P.values, { commit: opts.commit === true });
    const r = rows[0]!;
    // the statement checked this already; a second guard costs nothing
    if (r.entries !== e.member.length || Number(r.taken) !== wantTaken || r.members !== ms.length) {
      throw new Error(`ledger write mismatch: entries ${r.entries}/${e.member.length}, lots taken ${r.taken}/${wantTaken}, members ${r.members}/${ms.length}`);
    }
  }
}
