/**
 * The scheduled upkeep (loyalty.expiry job, hourly): for each tenant, close the period for every
 * member once the tenant's local date has passed a period boundary (carry-over, tier points
 * reset, tier evaluated), expire reward-point lots that are due, and forget idempotency keys
 * older than 30 days. Idempotent: an expired lot has nothing left and a closed period is
 * recorded on the member row, so a second run (or an overlapping one) finds nothing to do.
 *
 * Work goes in short transactions of `batchSize` members each, so purchases of other members
 * never wait long; a member locked by a purchase is skipped by the expiry pass (the purchase
 * expires their points itself).
 */
import type pg from 'pg';
import { currentConfig, tenantTimezone } from './config.repo.js';
import { inLoyaltyTx, type LoyaltyTx } from './db.js';
import { LedgerBatch, MEMBER_COLUMNS, memberFromRow, SYSTEM_ACTOR, type MemberState } from './ledger.repo.js';
import { currentPeriod, formatDate } from './period.rules.js';
import { upkeepMany } from './upkeep.js';

export interface MaintenanceOptions {
  now?: Date;
  batchSize?: number;
  /** how long idempotency keys are kept */
  keepKeysDays?: number;
  /** expiry transactions running side by side (default 2) */
  workers?: number;
}

export interface TenantMaintenance {
  tenantId: string;
  periodMembers: number;
  expiryMembers: number;
  pointsExpired: number;
  ledgerEntries: number;
  keysPurged: number;
}

/** Runs the upkeep for one tenant. */
export async function runTenantMaintenance(pool: pg.Pool, tenantId: string, opts: MaintenanceOptions = {}): Promise<TenantMaintenance> {
  const now = opts.now ?? new Date();
  const size = opts.batchSize ?? 2000;
  const out: TenantMaintenance = { tenantId, periodMembers: 0, expiryMembers: 0, pointsExpired: 0, ledgerEntries: 0, keysPurged: 0 };

  const setup = await inLoyaltyTx(pool, tenantId, async (tx) => {
    const cfg = await currentConfig(tx);
    const tz = await tenantTimezone(tx);
    const closed = await tx.query<{ d: string | null }>(null, `SELECT to_char(periods_closed_to, 'YYYY-MM-DD') AS d FROM loyalty_settings WHERE tenant_id = $1`, [tenantId]);
    const runId = (await tx.query<{ id: string }>(null, `SELECT nextval('loyalty_doc_id_seq')::text AS id`))[0]!.id;
    return { cfg, tz, closedTo: closed[0]?.d ?? null, runId };
  });
  const ctx = { cfg: setup.cfg, tz: setup.tz, now, runId: setup.runId };

  const processBatch = async (members: MemberState[], tx: LoyaltyTx) => {
    const batch = new LedgerBatch(setup.cfg.version, SYSTEM_ACTOR, now);
    const before = new Map(members.map((m) => [m.id, m.points]));
    await upkeepMany(tx, batch, members, ctx);
    for (const m of members) batch.touch(m);
    await batch.write(tx);
    out.ledgerEntries += batch.size;
    return members.reduce((s, m) => s + (before.get(m.id)! - m.points), 0);
  };

  // 1. Period close, when the tenant's local date has entered a period not yet closed into.
  const period = currentPeriod(now, setup.tz, setup.cfg.rules.period);
  const current = period ? formatDate(period.start) : null;
  if (current && setup.closedTo !== current) {
    let after = '0';
    for (;;) {
      const n = await inLoyaltyTx(pool, tenantId, async (tx) => {
        const rows = await tx.query(
          'loyalty_period_candidates',
          `SELECT ${MEMBER_COLUMNS} FROM members m
            WHERE m.tenant_id = $1 AND m.id > $2::bigint AND m.tier_period_start < $3::date
            ORDER BY m.id LIMIT $4 FOR UPDATE OF m`,
          [tenantId, after, current, size],
        );
        if (rows.length === 0) {
          await tx.query(null, `UPDATE loyalty_settings SET periods_closed_to = $2::date WHERE tenant_id = $1`, [tenantId, current]);
          return 0;
        }
        const members = rows.map(memberFromRow);
        const expired = await processBatch(members, tx);
        out.pointsExpired += expired;
        after = members[members.length - 1]!.id;
        return members.length;
      });
      out.periodMembers += n;
      if (n === 0) break;
    }
  }

  // 2. Expired lots, by `workers` transactions side by side (SKIP LOCKED gives each its own
  // members; a member in a purchase is left to that purchase). Processed members leave the
  // candidate set (their next expiry is later, or none), so each worker ends when it finds none.
  const expire = async () => {
    for (;;) {
      const n = await inLoyaltyTx(pool, tenantId, async (tx) => {
        const rows = await tx.query(
          'loyalty_expiry_candidates',
          `SELECT ${MEMBER_COLUMNS} FROM members m
            WHERE m.tenant_id = $1 AND m.points_expire_at <= $2
            ORDER BY m.points_expire_at, m.id LIMIT $3 FOR UPDATE OF m SKIP LOCKED`,
          [tenantId, now, size],
        );
        if (rows.length === 0) return 0;
        const members = rows.map(memberFromRow);
        // (not `out.x += await …`: that reads x before the await and loses the other worker's adds)
        const expired = await processBatch(members, tx);
        out.pointsExpired += expired;
        return members.length;
      });
      out.expiryMembers += n;
      if (n === 0) return;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.workers ?? 2) }, expire));

  // 3. Old idempotency keys, and a record of the run when it did anything.
  await inLoyaltyTx(pool, tenantId, async (tx) => {
    const purged = await tx.query(
      null,
      `DELETE FROM loyalty_idempotency WHERE tenant_id = $1 AND created_at < $2::timestamptz - make_interval(days => $3) RETURNING 1`,
      [tenantId, now, opts.keepKeysDays ?? 30],
    );
    out.keysPurged = purged.length;
    if (out.ledgerEntries > 0) {
      await tx.query(
        null,
        `INSERT INTO loyalty_operations (tenant_id, id, kind, detail, rule_version, actor_type, actor_name, created_at)
         VALUES ($1, $2, 'expiry_run', $3, $4, 'system', 'system', $5)`,
        [tenantId, setup.runId, JSON.stringify({ ...out, asOf: now.toISOString() }), setup.cfg.version, now],
      );
    }
  });
  return out;
}

/** The job: every active tenant, one after the other. */
export async function runMaintenance(pool: pg.Pool, opts: MaintenanceOptions = {}): Promise<{ tenants: number; ledgerEntries: number; pointsExpired: number }> {
  const { rows } = await pool.query<{ id: string }>(`SELECT t.id::text FROM tenants t WHERE t.status = 'active' ORDER BY t.id`);
  let ledgerEntries = 0;
  let pointsExpired = 0;
  for (const t of rows) {
    const r = await runTenantMaintenance(pool, t.id, opts);
    ledgerEntries += r.ledgerEntries;
    pointsExpired += r.pointsExpired;
  }
  return { tenants: rows.length, ledgerEntries, pointsExpired };
}
