/**
 * Loyalty: purchases, points and points plans, tiers and discounts, stored value, redemption,
 * refunds, the ledger. What other capabilities may use.
 */
export { loyaltyRoutes } from './routes.js';
export { loyaltyMaintenanceJob } from './expiry.job.js';
export { runMaintenance, runTenantMaintenance, type MaintenanceOptions, type TenantMaintenance } from './maintenance.service.js';
// members: show `tier: {code, name}`, a new member's starting tier, balances brought from
// elsewhere; messaging: the 666 reply, tier changes for care messages, expiry reminders
export {
  tierNames,
  startingTier,
  loyaltySummary,
  reconcile,
  tierChangesSince,
  membersAboutToLosePoints,
  type LoyaltySummary,
  type ReconcileReport,
  type TierChangeItem,
  type ExpiringItem,
} from './queries.js';
export { recordOpeningBalances, type OpeningBalance } from './balance.service.js';
export type { Tier, LoyaltyRules } from './config.rules.js';
export type { TierRef, MemberBalances } from './views.js';
// marketing: segment windows in local days of the tenant's timezone
export { localDate, startOfLocalDay, addDays, parseDate, formatDate, type LocalDate } from './period.rules.js';
// marketing: activity points for attending an event, once per reference
export { awardPoints, type AwardInput } from './award.service.js';
export type { LedgerActor } from './ledger.repo.js';
