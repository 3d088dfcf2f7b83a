/**
 * GET|PUT /loyalty/rules and /loyalty/tiers. Saving creates a new rule version; saving tiers
 * also moves members whose tier no longer exists or who now reach a higher one (no downgrades
 * before period end), recording each change, in bounded batches of their own transactions.
 */
import type pg from 'pg';
import { notFound } from '../platform/http/problem.js';
import { configAt, currentConfig, currentVersion, saveConfig, tenantTimezone } from './config.repo.js';
import { withDefaults, type LoyaltyConfig, type LoyaltyRules, type LoyaltyRulesInput, type Tier } from './config.rules.js';
import { inLoyaltyTx } from './db.js';
import { LedgerBatch, MEMBER_COLUMNS, memberFromRow, type LedgerActor } from './ledger.repo.js';
import { tierAfterRulesChange, tierDirection } from './tiers.rules.js';
import { upkeepMany } from './upkeep.js';

export interface RulesView extends LoyaltyRules {
  version: number;
}

export async function getRules(pool: pg.Pool, tenantId: string, version?: number): Promise<RulesView> {
  return inLoyaltyTx(pool, tenantId, async (tx) => {
    if (version !== undefined) {
      const current = await currentConfig(tx);
      if (version > current.version) throw notFound(`Rule version ${version}`);
      const cfg = await configAt(tx, version);
      return { version: cfg.version, ...cfg.rules };
    }
    const cfg = await currentConfig(tx);
    return { version: cfg.version, ...cfg.rules };
  });
}

export async function putRules(pool: pg.Pool, tenantId: string, actor: LedgerActor, input: LoyaltyRulesInput & { version?: number }): Promise<RulesView> {
  const { version: expectedVersion, ...rest } = input;
  return inLoyaltyTx(pool, tenantId, async (tx) => {
    const { after } = await saveConfig(tx, actor, { rules: withDefaults(rest), expectedVersion });
    return { version: after.version, ...after.rules };
  });
}

export async function getTiers(pool: pg.Pool, tenantId: string): Promise<Tier[]> {
  return inLoyaltyTx(pool, tenantId, async (tx) => (await currentConfig(tx)).tiers);
}

export interface TierSaveOptions {
  now?: Date;
  /** members re-evaluated per transaction (default 1,000) */
  batchSize?: number;
}

/**
 * Saves the tiers (a new rule version, committed at once: purchases use it from then on), then
 * moves the members it affects in transactions of at most `batchSize` members each, so no
 * request holds every member's lock, and each tier change is recorded. If a newer version is
 * saved meanwhile, this pass stops and the newer one's pass takes over. A member the pass has
 * not reached yet is upgraded by the new thresholds at their next movement anyway.
 */
export async function putTiers(pool: pg.Pool, tenantId: string, actor: LedgerActor, tiers: Tier[], opts: TierSaveOptions = {}): Promise<Tier[]> {
  const now = opts.now ?? new Date();
  const { after } = await inLoyaltyTx(pool, tenantId, (tx) => saveConfig(tx, actor, { tiers }));
  await reevaluateTiers(pool, tenantId, actor, after, now, opts.batchSize ?? 1_000);
  return after.tiers;
}

/** Moves every member the tier list of `cfg` affects, one bounded transaction per batch. */
export async function reevaluateTiers(pool: pg.Pool, tenantId: string, actor: LedgerActor, cfg: LoyaltyConfig, now: Date, batchSize: number): Promise<{ moved: number; batches: number }> {
  const codes = cfg.tiers.map((t) => t.code);
  const thresholds = cfg.tiers.map((t) => t.threshold);
  // a tier without a spend threshold is never reached by spend
  const spendThresholds = cfg.tiers.map((t) => t.spendThresholdFen ?? null);
  const ref = { type: 'rule_version', id: String(cfg.version) };
  let after = '0';
  let moved = 0;
  let batches = 0;
  for (;;) {
    const done = await inLoyaltyTx(pool, tenantId, async (tx) => {
      if ((await currentVersion(tx)) !== cfg.version) return true; // superseded
      // Candidates: a tier or floor that no longer exists, or tier points or spend reaching a
      // higher tier than the current one (the highest reached position beats the current one).
      const rows = await tx.query(
        'loyalty_tier_candidates',
        `SELECT ${MEMBER_COLUMNS} FROM members m
          WHERE m.tenant_id = $1 AND m.id > $2::bigint
            AND ((m.tier_code IS NOT NULL AND NOT (m.tier_code = ANY($3::text[])))
              OR (m.tier_floor_code IS NOT NULL AND NOT (m.tier_floor_code = ANY($3::text[])))
              OR coalesce(array_position($3::text[], m.tier_code), 0) <
                 (SELECT coalesce(max(o), 0) FROM unnest($4::bigint[], $5::bigint[]) WITH ORDINALITY AS th(points, spend, o)
                   WHERE th.points <= m.tier_points OR th.spend <= m.period_spend_fen))
          ORDER BY m.id LIMIT $6
          FOR UPDATE OF m`,
        [tx.tenantId, after, codes, thresholds, spendThresholds, batchSize],
      );
      if (rows.length === 0) return true;
      const tz = await tenantTimezone(tx);
      const members = rows.map(memberFromRow);
      const batch = new LedgerBatch(cfg.version, actor, now);
      await upkeepMany(tx, batch, members, { cfg, tz, now });
      for (const m of members) {
        const next = tierAfterRulesChange(cfg.tiers, { code: m.tierCode, floor: m.tierFloor, tierPoints: m.tierPoints, spendFen: m.periodSpendFen });
        if (batch.tier(m, next.code, tierDirection(cfg.tiers, m.tierCode, next.code), 'rules_change', ref)) moved++;
        m.tierFloor = next.floor;
        batch.touch(m);
      }
      await batch.write(tx);
      after = members[members.length - 1]!.id;
      batches++;
      return rows.length < batchSize;
    });
    if (done) return { moved, batches };
  }
}
