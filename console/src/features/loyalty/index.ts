export { CheckoutPage } from './pages/CheckoutPage';
export { ExpiringPage } from './pages/ExpiringPage';
export { LoyaltySettingsPage } from './pages/LoyaltySettingsPage';
export { MemberLoyaltyActions, MemberLoyaltySummary, MemberLoyaltyTab } from './pages/MemberLoyalty';
export { TransactionsPage } from './pages/TransactionsPage';
export { TierName } from './pages/shared';
