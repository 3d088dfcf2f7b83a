/** TypeBox schemas of the loyalty API (validation, serialisation and the OpenAPI document). */
import { Type, type TSchema } from 'typebox';
import { IdString, Timestamp } from '../platform/http/schemas.js';

export const strict = { additionalProperties: false } as const;
const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Fen = (max = 10_000_000_000) => Type.Integer({ minimum: 0, maximum: max });
// (no `description: undefined`: @fastify/swagger walks schema values and trips over undefined ones)
const Rate = (max: number, description?: string) => Type.Number({ minimum: 0, maximum: max, ...(description ? { description } : {}) });
const TierCode = Type.String({ pattern: '^[A-Za-z0-9_-]{1,32}$', description: 'tier code, e.g. GOLD' });
const DateText = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'local date YYYY-MM-DD' });
const Reason = Type.String({ minLength: 1, maxLength: 500 });

export const IdemHeaders = Type.Object({
  'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 200, pattern: '^[\\x21-\\x7E]+$', description: 'retries with the same key and body return the first result' })),
});

// ------------------------------------------------------------ members and balances
export const TierRefSchema = Type.Object({ code: Type.String(), name: Type.String() });
export const MemberBalancesSchema = Type.Object({
  id: IdString,
  points: Type.Integer(),
  tierPoints: Type.Integer(),
  storedValueFen: Type.Integer(),
  storedPrincipalFen: Type.Integer(),
  storedBonusFen: Type.Integer(),
  tier: Nullable(TierRefSchema),
});
const TierChangeSchema = Nullable(Type.Object({ from: Nullable(TierRefSchema), to: Nullable(TierRefSchema) }));

// ------------------------------------------------------------ purchases
const ItemSchema = Type.Object(
  {
    sku: Type.String({ minLength: 1, maxLength: 64 }),
    name: Type.Optional(Type.String({ maxLength: 200 })),
    category: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    quantity: Type.Integer({ minimum: 1, maximum: 10_000 }),
    unitPriceFen: Fen(),
    promo: Type.Optional(Type.Boolean({ description: 'sold at a promotion price: no tier discount unless discount.stackOnPromotion (折上折)' })),
  },
  strict,
);
const TenderSchema = Type.Object(
  {
    type: Type.Union([Type.Literal('cash'), Type.Literal('card'), Type.Literal('stored_value'), Type.Literal('points')]),
    amountFen: Type.Integer({ minimum: 1, maximum: 10_000_000_000 }),
  },
  strict,
);
export const PurchaseBody = Type.Object(
  {
    member: Type.Object(
      {
        id: Type.Optional(IdString),
        cardNo: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
        phone: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
      },
      { ...strict, description: 'exactly one of id, cardNo, phone' },
    ),
    storeId: Type.Optional(IdString),
    amountFen: Type.Integer({ minimum: 1, maximum: 10_000_000_000 }),
    occurredAt: Type.Optional(Type.String({ format: 'date-time' })),
    items: Type.Optional(Type.Array(ItemSchema, { maxItems: 500 })),
    tenders: Type.Optional(Type.Array(TenderSchema, { maxItems: 10, description: 'when given, they add up to payableFen' })),
  },
  strict,
);
export const PurchaseSchema = Type.Object({
  id: IdString,
  memberId: IdString,
  storeId: Nullable(IdString),
  amountFen: Type.Integer(),
  discountFen: Type.Integer(),
  discountPct: Type.Number(),
  payableFen: Type.Integer(),
  pointsEarned: Type.Integer(),
  tierPointsEarned: Type.Integer(),
  pointsPaid: Type.Integer(),
  storedValuePaidFen: Type.Integer(),
  occurredAt: Timestamp,
  ruleVersion: Type.Integer(),
  tierChange: TierChangeSchema,
  member: MemberBalancesSchema,
});
export const QuoteSchema = Type.Object({
  amountFen: Type.Integer(),
  discountFen: Type.Integer(),
  discountPct: Type.Number(),
  payableFen: Type.Integer(),
  pointsEarned: Type.Integer(),
  tierPointsEarned: Type.Integer(),
  pointsPayableFen: Type.Integer({ description: 'the most of the payable amount the member’s points can pay' }),
  member: MemberBalancesSchema,
});
export const RefundBody = Type.Object({ amountFen: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000_000_000 })), reason: Type.Optional(Reason) }, strict);
export const RefundSchema = Type.Object({
  id: IdString,
  transactionId: IdString,
  amountFen: Type.Integer(),
  refundedFen: Type.Integer({ description: 'refunded so far, this refund included' }),
  pointsReversed: Type.Integer(),
  pointsShortfall: Type.Integer({ description: 'earned points the member had already spent' }),
  tierPointsReversed: Type.Integer(),
  pointsReturned: Type.Integer(),
  storedValueReturnedFen: Type.Integer(),
  tierChange: TierChangeSchema,
  member: MemberBalancesSchema,
});
export const TransactionItemSchema = Type.Object({
  id: IdString,
  memberId: IdString,
  storeId: Nullable(IdString),
  amountFen: Type.Integer(),
  discountFen: Type.Integer(),
  payableFen: Type.Integer(),
  pointsEarned: Type.Integer(),
  tierPointsEarned: Type.Integer(),
  pointsPaid: Type.Integer(),
  storedValuePaidFen: Type.Integer(),
  refundedFen: Type.Integer(),
  tierCode: Nullable(Type.String()),
  ruleVersion: Type.Integer(),
  actorName: Type.String(),
  occurredAt: Timestamp,
  createdAt: Timestamp,
  memberName: Nullable(Type.String({ description: 'masked (张*) without members.pii' })),
  cardNo: Type.String(),
});
export const TransactionDetailSchema = Type.Object({
  ...TransactionItemSchema.properties,
  items: Type.Array(Type.Unknown()),
  tenders: Type.Array(Type.Unknown()),
  detail: Type.Record(Type.String(), Type.Unknown()),
  refunds: Type.Array(
    Type.Object({
      id: IdString,
      amountFen: Type.Integer(),
      pointsReversed: Type.Integer(),
      tierPointsReversed: Type.Integer(),
      pointsReturned: Type.Integer(),
      storedValueReturnedFen: Type.Integer(),
      reason: Nullable(Type.String()),
      actorName: Type.String(),
      createdAt: Timestamp,
    }),
  ),
});

// ------------------------------------------------------------ balances
export const RedeemBody = Type.Object({ points: Type.Integer({ minimum: 1, maximum: 1_000_000_000 }), reason: Reason }, strict);
export const AdjustBody = Type.Object(
  {
    delta: Type.Integer({ minimum: -1_000_000_000, maximum: 1_000_000_000, not: { const: 0 } }),
    reason: Reason,
    kind: Type.Optional(Type.Union([Type.Literal('points'), Type.Literal('tier_points')], { description: 'default points' })),
  },
  strict,
);
export const PointsMovementSchema = Type.Object({
  id: IdString,
  kind: Type.Union([Type.Literal('points'), Type.Literal('tier_points')]),
  delta: Type.Integer(),
  reason: Type.String(),
  tierChange: TierChangeSchema,
  member: MemberBalancesSchema,
});
export const TopUpBody = Type.Object(
  {
    amountFen: Type.Integer({ minimum: 1, maximum: 10_000_000_000 }),
    tender: Type.Union([Type.Literal('cash'), Type.Literal('card'), Type.Literal('wechat'), Type.Literal('alipay'), Type.Literal('transfer'), Type.Literal('other')]),
  },
  strict,
);
export const CashOutBody = Type.Object(
  {
    amountFen: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000_000_000, description: 'principal to pay back; omitted: all of it' })),
    reason: Reason,
  },
  strict,
);
export const CashOutSchema = Type.Object({
  id: IdString,
  principalFen: Type.Integer(),
  bonusForfeitedFen: Type.Integer(),
  reason: Type.String(),
  storedValueFen: Type.Integer(),
  member: MemberBalancesSchema,
});

export const TopUpSchema = Type.Object({
  id: IdString,
  amountFen: Type.Integer(),
  bonusFen: Type.Integer(),
  tender: Type.String(),
  storedValueFen: Type.Integer(),
  member: MemberBalancesSchema,
});
export const TierOverrideBody = Type.Object({ code: Nullable(TierCode), reason: Reason }, strict);
export const TierOverrideSchema = Type.Object({ id: IdString, from: Nullable(TierRefSchema), to: Nullable(TierRefSchema), reason: Type.String(), member: MemberBalancesSchema });

export const LedgerQuery = Type.Object(
  {
    kind: Type.Optional(Type.Union([Type.Literal('points'), Type.Literal('tier_points'), Type.Literal('stored_value')])),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
  },
  strict,
);
export const LedgerItemSchema = Type.Object({
  id: IdString,
  kind: Type.String(),
  delta: Type.Integer(),
  balanceAfter: Type.Integer(),
  reason: Type.String({ description: 'the operator’s reason, or what happened (cause) for automatic entries' }),
  cause: Type.String({ description: 'earn, pay, redeem, adjust, expiry, carry_over, period_reset, refund_return, refund_reversal, top_up, top_up_bonus, opening' }),
  refType: Type.String({ description: 'transaction, refund, redemption, adjustment, top_up, expiry, period_close, opening_balance' }),
  refId: Nullable(IdString),
  principalDelta: Nullable(Type.Integer()),
  bonusDelta: Nullable(Type.Integer()),
  ruleVersion: Type.Integer(),
  actorName: Type.String(),
  createdAt: Timestamp,
});
export const TierChangeItemSchema = Type.Object({
  id: IdString,
  memberId: IdString,
  from: Nullable(TierRefSchema),
  to: Nullable(TierRefSchema),
  direction: Type.String(),
  cause: Type.String({ description: 'purchase, refund, adjustment, period_end, manual, rules_change, opening_balance' }),
  reason: Nullable(Type.String()),
  refType: Nullable(Type.String()),
  refId: Nullable(Type.String()),
  actorName: Type.String(),
  createdAt: Timestamp,
});
export const SummarySchema = Type.Object({
  memberId: IdString,
  points: Type.Integer(),
  tierPoints: Type.Integer(),
  storedValueFen: Type.Integer(),
  storedPrincipalFen: Type.Integer(),
  storedBonusFen: Type.Integer(),
  tier: Nullable(TierRefSchema),
  tierFloor: Nullable(TierRefSchema),
  nextTier: Nullable(Type.Object({ code: Type.String(), name: Type.String(), threshold: Type.Integer(), tierPointsNeeded: Type.Integer() })),
  period: Nullable(Type.Object({ start: Type.String(), end: Timestamp })),
  expiring: Type.Array(Type.Object({ expiresAt: Timestamp, points: Type.Integer() })),
});
export const ExpiringItemSchema = Type.Object({
  memberId: IdString,
  cardNo: Type.String(),
  name: Nullable(Type.String()),
  points: Type.Integer(),
  expiringPoints: Type.Integer(),
  expiresAt: Timestamp,
});
export const ReconcileSchema = Type.Object({
  ok: Type.Boolean(),
  members: Type.Integer(),
  ledgerEntries: Type.Integer(),
  mismatches: Type.Array(
    Type.Object({ memberId: IdString, check: Type.String(), balance: Type.Union([Type.Integer(), Type.String(), Type.Null()]), expected: Type.Union([Type.Integer(), Type.String(), Type.Null()]) }),
  ),
  truncated: Type.Boolean(),
});

// ------------------------------------------------------------ settings
export const TierSchema = Type.Object(
  {
    code: TierCode,
    name: Type.String({ minLength: 1, maxLength: 50 }),
    threshold: Type.Integer({ minimum: 0, maximum: 1_000_000_000_000, description: 'tier points of the current period (lifetime without periods)' }),
    spendThresholdFen: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 1_000_000_000_000_00, description: 'optional: spend in the current period (payable fen, less refunds) that also reaches this tier' }),
    ),
    discountPct: Type.Number({ minimum: 0, maximum: 100, description: 'percent off, up to two decimals' }),
  },
  strict,
);
export const TiersSchema = Type.Array(TierSchema, { maxItems: 20, description: 'ordered lowest to highest; thresholds strictly rising' });

const EarnSchema = Type.Object(
  {
    pointsPerYuan: Rate(1000, 'reward points per yuan payable (two decimals)'),
    pointsPerYuanByTier: Type.Record(Type.String(), Rate(1000), { maxProperties: 20, description: 'per tier code, overrides pointsPerYuan' }),
    tierPointsPerYuan: Rate(1000),
    tierPointsUseMultipliers: Type.Boolean({ description: 'whether category and date multipliers apply to tier points too' }),
    categoryMultipliers: Type.Record(Type.String(), Rate(100), { maxProperties: 200, description: 'by item category, e.g. {"drinks": 2}' }),
    dateMultipliers: Type.Array(
      Type.Object(
        {
          name: Type.Optional(Type.String({ maxLength: 100 })),
          from: Type.Optional(DateText),
          to: Type.Optional(DateText),
          weekdays: Type.Optional(Type.Array(Type.Integer({ minimum: 1, maximum: 7 }), { maxItems: 7, description: '1 = Monday … 7 = Sunday' })),
          monthDays: Type.Optional(Type.Array(Type.Integer({ minimum: 1, maximum: 31 }), { maxItems: 31 })),
          multiplier: Rate(100),
        },
        strict,
      ),
      { maxItems: 100, description: 'double-points days etc. (tenant timezone); the largest matching applies' },
    ),
    minSpendFen: Fen(),
    rounding: Type.Union([Type.Literal('floor'), Type.Literal('half_up'), Type.Literal('ceil')]),
    earnOnPointsTender: Type.Boolean(),
  },
  strict,
);
const CarryOverSchema = Type.Union([
  Type.Object({ mode: Type.Literal('all') }, strict),
  Type.Object({ mode: Type.Literal('none') }, strict),
  Type.Object({ mode: Type.Literal('percent'), percent: Type.Integer({ minimum: 0, maximum: 100 }) }, strict),
]);
const PeriodSchema = Type.Object(
  {
    kind: Type.Union([Type.Literal('none'), Type.Literal('year'), Type.Literal('half_year'), Type.Literal('quarter'), Type.Literal('month')]),
    startMonth: Type.Integer({ minimum: 1, maximum: 12 }),
    carryOver: CarryOverSchema,
    downgrade: Type.Boolean(),
  },
  strict,
);
const ExpirySchema = Type.Union([
  Type.Object({ mode: Type.Literal('none') }, strict),
  Type.Object({ mode: Type.Literal('rolling'), months: Type.Integer({ minimum: 1, maximum: 240 }) }, strict),
  Type.Object({ mode: Type.Literal('year_end'), years: Type.Integer({ minimum: 0, maximum: 20 }) }, strict),
]);
const DiscountSchema = Type.Object({ stackOnPromotion: Type.Boolean({ description: '折上折' }) }, strict);
const RedemptionSchema = Type.Object(
  { pointsPerYuan: Type.Integer({ minimum: 1, maximum: 100_000 }), maxPaymentPct: Type.Integer({ minimum: 0, maximum: 100 }) },
  strict,
);
const StoredValueSchema = Type.Object(
  {
    topUpBonus: Type.Array(Type.Object({ minFen: Type.Integer({ minimum: 1, maximum: 10_000_000_000 }), bonusFen: Fen() }, strict), { maxItems: 50 }),
    spendOrder: Type.Union([Type.Literal('proportional'), Type.Literal('principal_first'), Type.Literal('bonus_first')]),
  },
  strict,
);
export const RulesSchema = Type.Object({
  version: Type.Integer(),
  earn: EarnSchema,
  discount: DiscountSchema,
  redemption: RedemptionSchema,
  expiry: ExpirySchema,
  period: PeriodSchema,
  storedValue: StoredValueSchema,
});
export const RulesBody = Type.Object(
  {
    version: Type.Optional(Type.Integer({ minimum: 0, description: 'the version you edited: 409 if it is no longer current' })),
    earn: Type.Optional(Type.Partial(EarnSchema, strict)),
    discount: Type.Optional(Type.Partial(DiscountSchema, strict)),
    redemption: Type.Optional(Type.Partial(RedemptionSchema, strict)),
    expiry: Type.Optional(ExpirySchema),
    period: Type.Optional(Type.Partial(PeriodSchema, strict)),
    storedValue: Type.Optional(Type.Partial(StoredValueSchema, strict)),
  },
  { ...strict, description: 'sections or fields left out take their defaults' },
);
