/**
 * The first statement of every movement: lock the member row FOR UPDATE and, in the same
 * statement, read what the movement needs besides (rule version, tenant timezone, a document id, and
 * the idempotency key's stored outcome if any). Only the member row is locked; everything that
 * depends on the member's lots is read by later statements, which see the state after the lock.
 */
import pg from 'pg';
import { badRequest } from '../platform/http/problem.js';
import type { LoyaltyTx } from './db.js';
import { IDEM_COLUMNS } from './idempotency.js';
import { MEMBER_COLUMNS, memberFromRow, type MemberState } from './ledger.repo.js';

const { escapeLiteral } = pg;

export type MemberKey = { by: 'id'; value: string } | { by: 'card'; value: string } | { by: 'phone'; value: string };

export interface LockedMember {
  member: MemberState;
  version: number;
  timezone: string;
  /** id for the document this movement writes */
  docId: string;
  idem: { idem_hash: Buffer | null; idem_status: number | null; idem_response: unknown };
}

const HEAD = `SELECT ${MEMBER_COLUMNS}, coalesce(s.version, 0) AS version, tz.timezone,
       nextval('loyalty_doc_id_seq')::text AS doc_id, ${IDEM_COLUMNS}`;
const joins = (tenantId: string, idemKey: string | null) => `JOIN tenants tz ON tz.id = m.tenant_id
  LEFT JOIN loyalty_settings s ON s.tenant_id = m.tenant_id
  LEFT JOIN loyalty_idempotency i ON i.tenant_id = ${tenantId} AND i.key = ${idemKey === null ? 'NULL' : escapeLiteral(idemKey)}`;

/** A bigint id as an SQL literal (only digits ever reach the text). */
function idLiteral(value: string): string {
  if (!/^\d{1,18}$/.test(value)) throw badRequest(`Not an id: ${JSON.stringify(value).slice(0, 40)}`);
  return value;
}

const WHERE: Record<MemberKey['by'], (v: string) => string> = {
  id: (v) => `m.id = ${idLiteral(v)}`,
  card: (v) => `m.card_no = ${escapeLiteral(v)}`,
  phone: (v) => `m.phone = ${escapeLiteral(v)}`,
};

function locked(r: Record<string, any>): LockedMember {
  return {
    member: memberFromRow(r),
    version: r.version,
    timezone: r.timezone,
    docId: r.doc_id,
    idem: { idem_hash: r.idem_hash, idem_status: r.idem_status, idem_response: r.idem_response },
  };
}

/*
 * The lock is written with literals (escaped) rather than parameters so that it can travel in
 * the same simple-protocol round trip as BEGIN, the tenant setting and the idempotency lock
 * (`inLoyaltyTx`'s `head`): each statement of that string still gets its own snapshot, taken
 * after the one before it, so the key is read after its advisory lock is granted.
 */

/** The statement that locks a member by id, card number or phone. */
export function memberLockSql(tenantId: string, key: MemberKey, idemKey: string | null): string {
  return `${HEAD} FROM members m ${joins(tenantId, idemKey)} WHERE m.tenant_id = ${tenantId} AND ${WHERE[key.by](key.value)} FOR UPDATE OF m`;
}

export function lockedMember(rows: Record<string, any>[]): LockedMember | null {
  return rows[0] ? locked(rows[0]) : null;
}

export interface LockedPurchase extends LockedMember {
  purchase: {
    id: string;
    payableFen: number;
    pointsEarned: number;
    tierPointsEarned: number;
    pointsPaid: number;
    svPrincipalPaidFen: number;
    svBonusPaidFen: number;
    periodStart: string | null;
  };
}

/** The statement that locks the member of a purchase (for a refund). */
export function purchaseLockSql(tenantId: string, transactionId: string, idemKey: string | null): string {
  return `${HEAD}, x.id::text AS x_id, x.payable_fen AS x_payable, x.points_earned AS x_points, x.tier_points_earned AS x_tier_points,
            x.points_paid AS x_points_paid, x.sv_principal_paid_fen AS x_sv_principal, x.sv_bonus_paid_fen AS x_sv_bonus,
            to_char(x.period_start, 'YYYY-MM-DD') AS x_period_start
       FROM loyalty_transactions x
       JOIN members m ON m.tenant_id = x.tenant_id AND m.id = x.member_id
       ${joins(tenantId, idemKey)}
      WHERE x.tenant_id = ${tenantId} AND x.id = ${idLiteral(transactionId)}
        FOR UPDATE OF m`;
}

export function lockedPurchase(rows: Record<string, any>[]): LockedPurchase | null {
  const r = rows[0];
  if (!r) return null;
  return {
    ...locked(r),
    purchase: {
      id: r.x_id,
      payableFen: Number(r.x_payable),
      pointsEarned: Number(r.x_points),
      tierPointsEarned: Number(r.x_tier_points),
      pointsPaid: Number(r.x_points_paid),
      svPrincipalPaidFen: Number(r.x_sv_principal),
      svBonusPaidFen: Number(r.x_sv_bonus),
      periodStart: r.x_period_start,
    },
  };
}

/** The stored outcome of an idempotency key, for requests whose target was not found. */
export async function idempotencyRow(tx: LoyaltyTx, key: string | null): Promise<LockedMember['idem'] | undefined> {
  if (key === null) return undefined;
  const rows = await tx.query(
    'loyalty_idem_row',
    `SELECT ${IDEM_COLUMNS} FROM loyalty_idempotency i WHERE i.tenant_id = $1 AND i.key = $2`,
    [tx.tenantId, key],
  );
  return rows[0] as LockedMember['idem'] | undefined;
}
