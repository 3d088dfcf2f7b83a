/**
 * GET|PUT /loyalty/rules and /loyalty/tiers. Saving creates a new rule version; saving tiers
 * also moves members whose tier no longer exists or who now reach a higher one (no downgrades
 * before period end), recording each change.
 */
import type pg from 'pg';
import { notFound } from '../platform/http/problem.js';
import { configAt, currentConfig, saveConfig, tenantTimezone } from './config.repo.js';
import { withDefaults, type LoyaltyConfig, type LoyaltyRules, type LoyaltyRulesInput, type Tier } from './config.rules.js';
import { inLoyaltyTx, type LoyaltyTx } from './db.js';
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

export async function putTiers(pool: pg.Pool, tenantId: string, actor: LedgerActor, tiers: Tier[], now = new Date()): Promise<Tier[]> {
  return inLoyaltyTx(pool, tenantId, async (tx) => {
    const { after } = await saveConfig(tx, actor, { tiers });
    await reevaluateTiers(tx, actor, after, now);
    return after.tiers;
  });
}

/** Moves every member the new tier list affects, in batches, inside the saving transaction. */
async function reevaluateTiers(tx: LoyaltyTx, actor: LedgerActor, cfg: LoyaltyConfig, now: Date): Promise<number> {
  const codes = cfg.tiers.map((t) => t.code);
  const thresholds = cfg.tiers.map((t) => t.threshold);
  const tz = await tenantTimezone(tx);
  const ref = { type: 'rule_version', id: String(cfg.version) };
  let after = '0';
  let moved = 0;
  for (;;) {
    // Candidates: a tier or floor that no longer exists, or tier points reaching a higher tier
    // (thresholds rise, so the count of reached thresholds is the rank of the earned tier).
    const rows = await tx.query(
      'loyalty_tier_candidates',
      `SELECT ${MEMBER_COLUMNS} FROM members m
        WHERE m.tenant_id = $1 AND m.id > $2::bigint
          AND ((m.tier_code IS NOT NULL AND NOT (m.tier_code = ANY($3::text[])))
            OR (m.tier_floor_code IS NOT NULL AND NOT (m.tier_floor_code = ANY($3::text[])))
            OR coalesce(array_position($3::text[], m.tier_code), 0) < (SELECT count(*) FROM unnest($4::bigint[]) th WHERE th <= m.tier_points))
        ORDER BY m.id LIMIT 2000
        FOR UPDATE OF m`,
      [tx.tenantId, after, codes, thresholds],
    );
    if (rows.length === 0) return moved;
    const members = rows.map(memberFromRow);
    const batch = new LedgerBatch(cfg.version, actor, now);
    await upkeepMany(tx, batch, members, { cfg, tz, now });
    for (const m of members) {
      const next = tierAfterRulesChange(cfg.tiers, { code: m.tierCode, floor: m.tierFloor, tierPoints: m.tierPoints });
      if (batch.tier(m, next.code, tierDirection(cfg.tiers, m.tierCode, next.code), 'rules_change', ref)) moved++;
      m.tierFloor = next.floor;
      batch.touch(m);
    }
    await batch.write(tx);
    after = members[members.length - 1]!.id;
  }
}
