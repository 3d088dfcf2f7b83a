import type { Tier } from './config.rules.js';
import type { MemberState } from './ledger.repo.js';
import { tierByCode } from './tiers.rules.js';

export interface TierRef {
  code: string;
  name: string;
}

export interface MemberBalances {
  id: string;
  points: number;
  tierPoints: number;
  storedValueFen: number;
  storedPrincipalFen: number;
  storedBonusFen: number;
  tier: TierRef | null;
}

/** A tier code as the API shows it: `{code, name}`, the code as name if the tier was removed. */
export function tierRef(tiers: readonly Tier[], code: string | null): TierRef | null {
  if (code === null) return null;
  const t = tierByCode(tiers, code);
  return { code, name: t?.name ?? code };
}

export function memberBalances(m: MemberState, tiers: readonly Tier[]): MemberBalances {
  return {
    id: m.id,
    points: m.points,
    tierPoints: m.tierPoints,
    storedValueFen: m.principal + m.bonus,
    storedPrincipalFen: m.principal,
    storedBonusFen: m.bonus,
    tier: tierRef(tiers, m.tierCode),
  };
}
