/** Shapes of the loyalty API (src/loyalty/schemas.ts; api.md "Consumption and value"). */
export interface TierRef {
  code: string;
  name: string;
}
export type TierChange = { from: TierRef | null; to: TierRef | null } | null;

export interface Balances {
  id: string;
  points: number;
  tierPoints: number;
  storedValueFen: number;
  storedPrincipalFen: number;
  storedBonusFen: number;
  tier: TierRef | null;
}

export type TenderType = 'cash' | 'card' | 'stored_value' | 'points';
export const TENDER_TYPES: readonly TenderType[] = ['cash', 'card', 'stored_value', 'points'];

export interface PurchaseItem {
  sku: string;
  name?: string;
  category?: string;
  quantity: number;
  unitPriceFen: number;
  promo?: boolean;
}

export interface PurchaseInput {
  member: { id?: string; cardNo?: string; phone?: string };
  storeId?: string;
  amountFen: number;
  items?: PurchaseItem[];
  tenders?: { type: TenderType; amountFen: number }[];
}

export interface Quote {
  amountFen: number;
  discountFen: number;
  discountPct: number;
  payableFen: number;
  pointsEarned: number;
  tierPointsEarned: number;
  pointsPayableFen: number;
  member: Balances;
}

export interface Purchase extends Omit<Quote, 'pointsPayableFen'> {
  id: string;
  memberId: string;
  storeId: string | null;
  pointsPaid: number;
  storedValuePaidFen: number;
  occurredAt: string;
  ruleVersion: number;
  tierChange: TierChange;
}

export interface Transaction {
  id: string;
  memberId: string;
  storeId: string | null;
  amountFen: number;
  discountFen: number;
  payableFen: number;
  pointsEarned: number;
  tierPointsEarned: number;
  pointsPaid: number;
  storedValuePaidFen: number;
  refundedFen: number;
  tierCode: string | null;
  ruleVersion: number;
  actorName: string;
  occurredAt: string;
  createdAt: string;
  /** masked (张*) for operators without members.pii */
  memberName: string | null;
  cardNo: string;
}

/** Filters of the purchase list; `from` / `to` are days (YYYY-MM-DD) in the merchant's timezone, `to` included. */
export type TransactionFilter = {
  memberId?: string;
  storeId?: string;
  from?: string;
  to?: string;
};

export interface TransactionDetail extends Transaction {
  items: PurchaseItem[];
  tenders: { type: TenderType; amountFen: number }[];
  refunds: {
    id: string;
    amountFen: number;
    pointsReversed: number;
    tierPointsReversed: number;
    pointsReturned: number;
    storedValueReturnedFen: number;
    reason: string | null;
    actorName: string;
    createdAt: string;
  }[];
}

export interface Refund {
  id: string;
  transactionId: string;
  amountFen: number;
  refundedFen: number;
  pointsReversed: number;
  pointsShortfall: number;
  tierPointsReversed: number;
  pointsReturned: number;
  storedValueReturnedFen: number;
  tierChange: TierChange;
  member: Balances;
}

export type LedgerKind = 'points' | 'tier_points' | 'stored_value';

export interface LedgerEntry {
  id: string;
  kind: LedgerKind;
  delta: number;
  balanceAfter: number;
  reason: string;
  cause: string;
  refType: string;
  refId: string | null;
  principalDelta: number | null;
  bonusDelta: number | null;
  ruleVersion: number;
  actorName: string;
  createdAt: string;
}

export interface TierChangeEntry {
  id: string;
  memberId: string;
  from: TierRef | null;
  to: TierRef | null;
  direction: string;
  cause: string;
  reason: string | null;
  actorName: string;
  createdAt: string;
}

export interface LoyaltySummary {
  memberId: string;
  points: number;
  tierPoints: number;
  storedValueFen: number;
  storedPrincipalFen: number;
  storedBonusFen: number;
  tier: TierRef | null;
  tierFloor: TierRef | null;
  nextTier: { code: string; name: string; threshold: number; tierPointsNeeded: number } | null;
  period: { start: string; end: string } | null;
  expiring: { expiresAt: string; points: number }[];
}

export interface Tier {
  code: string;
  name: string;
  threshold: number;
  /** also reached by this spend (payable fen, less refunds) in the period */
  spendThresholdFen?: number;
  discountPct: number;
}

export interface DateMultiplier {
  name?: string;
  from?: string;
  to?: string;
  weekdays?: number[];
  monthDays?: number[];
  multiplier: number;
}

export type Expiry = { mode: 'none' } | { mode: 'rolling'; months: number } | { mode: 'year_end'; years: number };
export type CarryOver = { mode: 'all' } | { mode: 'none' } | { mode: 'percent'; percent: number };
export type PeriodKind = 'none' | 'year' | 'half_year' | 'quarter' | 'month';

export interface LoyaltyRules {
  version: number;
  earn: {
    pointsPerYuan: number;
    pointsPerYuanByTier: Record<string, number>;
    tierPointsPerYuan: number;
    tierPointsUseMultipliers: boolean;
    categoryMultipliers: Record<string, number>;
    dateMultipliers: DateMultiplier[];
    minSpendFen: number;
    rounding: 'floor' | 'half_up' | 'ceil';
    earnOnPointsTender: boolean;
  };
  discount: { stackOnPromotion: boolean };
  redemption: { pointsPerYuan: number; maxPaymentPct: number };
  expiry: Expiry;
  period: { kind: PeriodKind; startMonth: number; carryOver: CarryOver; downgrade: boolean };
  storedValue: { topUpBonus: { minFen: number; bonusFen: number }[]; spendOrder: 'proportional' | 'principal_first' | 'bonus_first' };
}

export interface ExpiringMember {
  memberId: string;
  cardNo: string;
  name: string | null;
  points: number;
  expiringPoints: number;
  expiresAt: string;
}

export interface Reconcile {
  ok: boolean;
  members: number;
  ledgerEntries: number;
  mismatches: { memberId: string; check: string; balance: number | string | null; expected: number | string | null }[];
  truncated: boolean;
}

export type TopUpTender = 'cash' | 'card' | 'wechat' | 'alipay' | 'transfer' | 'other';
export const TOP_UP_TENDERS: readonly TopUpTender[] = ['cash', 'card', 'wechat', 'alipay', 'transfer', 'other'];
