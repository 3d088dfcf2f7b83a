/**
 * Versioned rules and tiers. `loyalty_settings.version` points at the version in force (no row:
 * version 0, the defaults); `loyalty_rule_versions` keeps every version ever saved, so any purchase
 * can be explained by the version it records. Versions never change once written, which makes
 * them safe to cache per process by (tenant, version).
 */
import type { TenantActor } from '../platform/http/auth.js';
import { badRequest, conflict } from '../platform/http/problem.js';
import { DEFAULT_CONFIG, validateRules, validateTiers, withDefaults, type LoyaltyConfig, type LoyaltyRules, type LoyaltyRulesInput, type Tier } from './config.rules.js';
import type { LoyaltyTx } from './db.js';
import { SYSTEM_ACTOR, type LedgerActor } from './ledger.repo.js';

const caches = new WeakMap<object, Map<string, LoyaltyConfig>>();

export function actorOf(actor: TenantActor | null): LedgerActor {
  return actor ? { type: actor.type, id: actor.id, name: actor.name, scopePath: actor.scopePath } : SYSTEM_ACTOR;
}

/** The rules and tiers of a version (0 = defaults). */
export async function configAt(tx: LoyaltyTx, version: number): Promise<LoyaltyConfig> {
  if (version === 0) return DEFAULT_CONFIG;
  let cache = caches.get(tx.scope);
  if (!cache) caches.set(tx.scope, (cache = new Map()));
  const key = `${tx.tenantId}:${version}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const rows = await tx.query<{ rules: LoyaltyRulesInput; tiers: Tier[] }>(
    'loyalty_config_at',
    'SELECT rules, tiers FROM loyalty_rule_versions WHERE tenant_id = $1 AND version = $2',
    [tx.tenantId, version],
  );
  const row = rows[0];
  if (!row) throw new Error(`loyalty rule version ${version} of tenant ${tx.tenantId} is missing`);
  const config: LoyaltyConfig = { version, rules: withDefaults(row.rules), tiers: row.tiers };
  if (cache.size > 10_000) cache.clear();
  cache.set(key, config);
  return config;
}

export async function currentVersion(tx: LoyaltyTx): Promise<number> {
  const rows = await tx.query<{ version: number }>('loyalty_current_version', 'SELECT version FROM loyalty_settings WHERE tenant_id = $1', [tx.tenantId]);
  return rows[0]?.version ?? 0;
}

export async function currentConfig(tx: LoyaltyTx): Promise<LoyaltyConfig> {
  return configAt(tx, await currentVersion(tx));
}

export async function tenantTimezone(tx: LoyaltyTx): Promise<string> {
  const rows = await tx.query<{ timezone: string }>('loyalty_tenant_tz', 'SELECT timezone FROM tenants WHERE id = $1', [tx.tenantId]);
  return rows[0]?.timezone ?? 'Asia/Shanghai';
}

/**
 * Saves a new version with the given rules and/or tiers (the other part is carried over from
 * the current version). `expectedVersion`, when given, must be the current one (409 otherwise),
 * so two consoles editing at once cannot silently overwrite each other.
 */
export async function saveConfig(
  tx: LoyaltyTx,
  actor: LedgerActor,
  change: { rules?: LoyaltyRules; tiers?: Tier[]; expectedVersion?: number },
): Promise<{ before: LoyaltyConfig; after: LoyaltyConfig }> {
  if (change.rules) {
    const errors = validateRules(change.rules);
    if (errors.length) throw badRequest(`Invalid rules: ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}`, errors);
  }
  if (change.tiers) {
    const errors = validateTiers(change.tiers);
    if (errors.length) throw badRequest(`Invalid tiers: ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}`, errors);
  }
  // The upsert locks the settings row: concurrent saves get consecutive versions.
  const rows = await tx.query<{ version: number }>(
    null,
    `INSERT INTO loyalty_settings (tenant_id, version) VALUES ($1, 1)
     ON CONFLICT (tenant_id) DO UPDATE SET version = loyalty_settings.version + 1, updated_at = now()
     RETURNING version`,
    [tx.tenantId],
  );
  const version = rows[0]!.version;
  if (change.expectedVersion !== undefined && change.expectedVersion !== version - 1) {
    throw conflict(`The rules were changed meanwhile (now version ${version - 1}, you edited version ${change.expectedVersion}); reload and try again`, 'version_conflict');
  }
  const before = await configAt(tx, version - 1);
  const after: LoyaltyConfig = { version, rules: change.rules ?? before.rules, tiers: change.tiers ?? before.tiers };
  await tx.query(
    null,
    `INSERT INTO loyalty_rule_versions (tenant_id, version, rules, tiers, actor_type, actor_id, actor_name)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [tx.tenantId, version, JSON.stringify(after.rules), JSON.stringify(after.tiers), actor.type, actor.id, actor.name],
  );
  return { before, after };
}
