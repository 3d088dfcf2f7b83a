/**
 * What a purchase costs and earns: the tier discount (with or without 折上折), the payable
 * amount, reward points and tier points by the tenant's earn rules, and the tenders. Pure;
 * arithmetic is exact (BigInt over integer fen and hundredths), rounding happens once at the end.
 */
import type { FieldError } from '../platform/http/problem.js';
import { hundredths, type LoyaltyRules, type Rounding, type Tier } from './config.rules.js';
import { compareDates, formatDate, isoWeekday, parseDate, type LocalDate } from './period.rules.js';

export interface Item {
  sku: string;
  name?: string;
  category?: string;
  quantity: number;
  unitPriceFen: number;
  /** already on a promotion price: no tier discount unless the rules allow 折上折 */
  promo?: boolean;
}

export type TenderType = 'cash' | 'card' | 'stored_value' | 'points';

export interface Tender {
  type: TenderType;
  amountFen: number;
}

/** Integer division of non-negative BigInts with the tenant's rounding rule. */
export function divRound(n: bigint, d: bigint, rounding: Rounding): bigint {
  if (d <= 0n || n < 0n) throw new Error('divRound: expects n >= 0, d > 0');
  const q = n / d;
  const r = n % d;
  if (r === 0n) return q;
  if (rounding === 'floor') return q;
  if (rounding === 'ceil') return q + 1n;
  return r * 2n >= d ? q + 1n : q;
}

/**
 * The tier discount: round(base × discountPct / 100), half up, where the base is the amount
 * minus promotion-priced lines (unless 折上折 is allowed).
 * @example tierDiscount(10_001, [], 5, false) → { discountFen: 500, baseFen: 10_001 } (500.05 → 500)
 */
export function tierDiscount(amountFen: number, items: readonly Item[], discountPct: number, stackOnPromotion: boolean): { discountFen: number; baseFen: number } {
  const promoFen = stackOnPromotion ? 0 : items.filter((i) => i.promo).reduce((s, i) => s + i.quantity * i.unitPriceFen, 0);
  const baseFen = amountFen - promoFen;
  const pct = BigInt(hundredths(discountPct) ?? 0);
  if (pct === 0n || baseFen <= 0) return { discountFen: 0, baseFen };
  return { discountFen: Number(divRound(BigInt(baseFen) * pct, 10_000n, 'half_up')), baseFen };
}

/** Checks items against the amount: their total may not exceed it (the rest is uncategorised). */
export function validateItems(amountFen: number, items: readonly Item[]): FieldError[] {
  const total = items.reduce((s, i) => s + i.quantity * i.unitPriceFen, 0);
  if (total > amountFen) return [{ path: 'body.items', message: `add up to ${total} fen, more than amountFen ${amountFen}` }];
  return [];
}

/** Largest multiplier of the date windows matching the local date of the purchase (1 if none). */
export function dateMultiplierFor(rules: LoyaltyRules, date: LocalDate): number {
  let best = 1;
  for (const w of rules.earn.dateMultipliers) {
    const from = w.from ? parseDate(w.from) : null;
    const to = w.to ? parseDate(w.to) : null;
    if (from && compareDates(date, from) < 0) continue;
    if (to && compareDates(date, to) > 0) continue;
    if (w.weekdays && w.weekdays.length > 0 && !w.weekdays.includes(isoWeekday(date))) continue;
    if (w.monthDays && w.monthDays.length > 0 && !w.monthDays.includes(date.d)) continue;
    if (w.multiplier > best) best = w.multiplier;
  }
  return best;
}

export interface EarnInput {
  amountFen: number;
  discountFen: number;
  /** the part of the discount base (see tierDiscount) */
  discountBaseFen: number;
  items: readonly Item[];
  /** the member's tier before this purchase */
  tierCode: string | null;
  /** local date of the purchase in the tenant's timezone */
  date: LocalDate;
  /** fen paid with points */
  pointsTenderFen: number;
  stackOnPromotion: boolean;
}

export interface EarnResult {
  points: number;
  tierPoints: number;
  /** how it was reached, stored with the purchase */
  detail: { pointsPerYuan: number; tierPointsPerYuan: number; dateMultiplier: number; date: string; belowMinSpend: boolean };
}

/**
 * Points and tier points of a purchase. Each item line's share of the payable amount is
 * weighted by its category multiplier (the uncategorised rest by 1); the total is multiplied by
 * the rate of the member's tier and the date multiplier, and rounded once.
 * @example default rules, payable 12_345 fen → 123 points and 123 tier points
 */
export function earnFor(rules: LoyaltyRules, input: EarnInput): EarnResult {
  const payableFen = input.amountFen - input.discountFen;
  const e = rules.earn;
  const rate = (input.tierCode !== null ? e.pointsPerYuanByTier[input.tierCode] : undefined) ?? e.pointsPerYuan;
  const dateMult = dateMultiplierFor(rules, input.date);
  const detail = { pointsPerYuan: rate, tierPointsPerYuan: e.tierPointsPerYuan, dateMultiplier: dateMult, date: formatDate(input.date), belowMinSpend: false };
  if (payableFen <= 0) return { points: 0, tierPoints: 0, detail };
  if (payableFen < e.minSpendFen) return { points: 0, tierPoints: 0, detail: { ...detail, belowMinSpend: true } };

  // Weighted payable, scaled by the discount base B (each discountable bucket pays total × (B − D) / B)
  // and by 100 per multiplier (hundredths).
  const B = BigInt(Math.max(input.discountBaseFen, 0));
  const D = BigInt(input.discountFen);
  const scale = B > 0n ? B : 1n;
  const share = (totalFen: number, discountable: boolean) => (discountable && B > 0n ? BigInt(totalFen) * (B - D) : BigInt(totalFen) * scale);
  let weighted = 0n; // Σ share × categoryMultiplier(hundredths)
  let plain = 0n; // Σ share × 100
  let linesFen = 0;
  for (const item of input.items) {
    const total = item.quantity * item.unitPriceFen;
    linesFen += total;
    const discountable = !item.promo || input.stackOnPromotion;
    const mult = BigInt(hundredths(item.category !== undefined ? (e.categoryMultipliers[item.category] ?? 1) : 1) ?? 100);
    weighted += share(total, discountable) * mult;
    plain += share(total, discountable) * 100n;
  }
  const rest = input.amountFen - linesFen;
  if (rest > 0) {
    weighted += share(rest, true) * 100n;
    plain += share(rest, true) * 100n;
  }
  // Optionally leave out the share paid with points.
  let num = 1n;
  let den = 1n;
  if (!e.earnOnPointsTender && input.pointsTenderFen > 0) {
    num = BigInt(Math.max(payableFen - input.pointsTenderFen, 0));
    den = BigInt(payableFen);
  }
  const dm = BigInt(hundredths(dateMult) ?? 100);
  // fen → yuan (/100), rate (/100), multipliers (/100 each), discount scale (/B)
  const pointsNum = weighted * dm * BigInt(hundredths(rate) ?? 0) * num;
  const pointsDen = scale * 100n * 100n * 100n * 100n * den;
  const points = Number(divRound(pointsNum, pointsDen, e.rounding));
  const tierBase = e.tierPointsUseMultipliers ? weighted * dm : plain * 100n;
  const tierPoints = Number(divRound(tierBase * BigInt(hundredths(e.tierPointsPerYuan) ?? 0) * num, pointsDen, e.rounding));
  return { points, tierPoints, detail };
}

/** Points needed to pay `amountFen` with points (rounded up: never less than its worth). */
export function pointsForFen(amountFen: number, pointsPerYuan: number): number {
  return Math.ceil((amountFen * pointsPerYuan) / 100);
}

/** Fen that `points` are worth when paying (rounded down). */
export function fenForPoints(points: number, pointsPerYuan: number): number {
  return Math.floor((points * 100) / pointsPerYuan);
}

export interface TenderTotals {
  storedValueFen: number;
  pointsFen: number;
  points: number;
}

/**
 * Checks the tenders against the payable amount and sums the ones that move balances. Tenders
 * are optional; when given they must add up to the payable amount.
 */
export function checkTenders(tenders: readonly Tender[] | undefined, payableFen: number, rules: LoyaltyRules): { totals: TenderTotals; errors: FieldError[] } {
  const totals: TenderTotals = { storedValueFen: 0, pointsFen: 0, points: 0 };
  const errors: FieldError[] = [];
  if (!tenders) return { totals, errors };
  const sum = tenders.reduce((s, t) => s + t.amountFen, 0);
  if (sum !== payableFen) errors.push({ path: 'body.tenders', message: `add up to ${sum} fen; the payable amount is ${payableFen} fen` });
  for (const t of tenders) {
    if (t.type === 'stored_value') totals.storedValueFen += t.amountFen;
    if (t.type === 'points') totals.pointsFen += t.amountFen;
  }
  if (totals.pointsFen > 0) {
    totals.points = pointsForFen(totals.pointsFen, rules.redemption.pointsPerYuan);
    const max = Math.floor((payableFen * rules.redemption.maxPaymentPct) / 100);
    if (totals.pointsFen > max) errors.push({ path: 'body.tenders', message: `at most ${max} fen of this purchase may be paid with points` });
  }
  return { totals, errors };
}

/** The tier discount percentage of a tier code (0 without a tier). */
export function discountPctOf(tiers: readonly Tier[], code: string | null): number {
  return tiers.find((t) => t.code === code)?.discountPct ?? 0;
}
