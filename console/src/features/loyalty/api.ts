import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { http } from '../../app/api/client';
import { qk } from '../../app/api/keys';
import { usePaged } from '../../app/api/paged';
import type { Member } from '../../app/api/types';
import type {
  Balances,
  ExpiringMember,
  LedgerEntry,
  LedgerKind,
  LoyaltyRules,
  LoyaltySummary,
  Purchase,
  PurchaseInput,
  Quote,
  Reconcile,
  Refund,
  Tier,
  TierChangeEntry,
  TopUpTender,
  Transaction,
  TransactionDetail,
  TransactionFilter,
} from './types';

// ------------------------------------------------------------------ settings

export function useTiers() {
  return useQuery({ queryKey: qk.loyalty.tiers(), queryFn: () => http.get<Tier[]>('/loyalty/tiers') });
}

export function useSaveTiers() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (tiers: Tier[]) => http.put<Tier[]>('/loyalty/tiers', tiers),
    // members may have moved up: every balance and member view is stale
    onSuccess: (tiers) => {
      client.setQueryData(qk.loyalty.tiers(), tiers);
      // tiers and rules share one version number
      return Promise.all([client.invalidateQueries({ queryKey: qk.members.all }), client.invalidateQueries({ queryKey: qk.loyalty.rules() })]);
    },
  });
}

export function useRules() {
  return useQuery({ queryKey: qk.loyalty.rules(), queryFn: () => http.get<LoyaltyRules>('/loyalty/rules') });
}

export type RulesInput = Partial<Omit<LoyaltyRules, 'version'>> & { version?: number };

export function useSaveRules() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (rules: RulesInput) => http.put<LoyaltyRules>('/loyalty/rules', rules),
    onSuccess: (r) => client.setQueryData(qk.loyalty.rules(), r),
  });
}

export const useExpiring = (withinDays: number) => usePaged<ExpiringMember>(qk.loyalty.expiring(withinDays), '/loyalty/expiring', { withinDays });

export const fetchReconcile = () => http.get<Reconcile>('/loyalty/reconcile');

// ------------------------------------------------------------------ members' loyalty

export function useLoyaltySummary(memberId: string) {
  return useQuery({ queryKey: qk.loyalty.summary(memberId), queryFn: () => http.get<LoyaltySummary>(`/members/${memberId}/loyalty`), staleTime: 0 });
}

export const useLedger = (memberId: string, kind: LedgerKind) => usePaged<LedgerEntry>(qk.loyalty.ledger(memberId, kind), `/members/${memberId}/ledger`, { kind });

export const useTierChanges = (memberId: string) => usePaged<TierChangeEntry>(qk.loyalty.tierChanges(memberId), `/members/${memberId}/tier-changes`);

export const useTransactions = (filter: TransactionFilter) => usePaged<Transaction>(qk.loyalty.transactions(filter), '/transactions', filter);

export function useTransaction(id: string | null) {
  return useQuery({ queryKey: qk.loyalty.transaction(id ?? ''), queryFn: () => http.get<TransactionDetail>(`/transactions/${id}`), enabled: Boolean(id), staleTime: 0 });
}

/** After value moved: the member's page and lists, its ledgers, the transaction lists. */
function useValueRefresh() {
  const client = useQueryClient();
  return (member: Balances) => {
    client.setQueryData<Member>(qk.members.detail(member.id), (m) =>
      m ? { ...m, points: member.points, tierPoints: member.tierPoints, storedValueFen: member.storedValueFen, tier: member.tier } : m,
    );
    return Promise.all([client.invalidateQueries({ queryKey: qk.loyalty.all }), client.invalidateQueries({ queryKey: qk.members.lists })]);
  };
}

export const quotePurchase = (input: PurchaseInput) => http.post<Quote>('/transactions/quote', input);

export function useRecordPurchase() {
  const refresh = useValueRefresh();
  return useMutation({
    mutationFn: ({ input, key }: { input: PurchaseInput; key: string }) => http.post<Purchase>('/transactions', input, { idempotencyKey: key }),
    onSuccess: (p) => refresh(p.member),
  });
}

export function useRefund() {
  const refresh = useValueRefresh();
  return useMutation({
    mutationFn: ({ id, amountFen, reason, key }: { id: string; amountFen?: number; reason?: string; key: string }) =>
      http.post<Refund>(`/transactions/${id}/refund`, { amountFen, reason }, { idempotencyKey: key }),
    onSuccess: (r) => refresh(r.member),
  });
}

interface Moved {
  member: Balances;
}

export function useTopUp() {
  const refresh = useValueRefresh();
  return useMutation({
    mutationFn: ({ memberId, amountFen, tender, key }: { memberId: string; amountFen: number; tender: TopUpTender; key: string }) =>
      http.post<Moved & { amountFen: number; bonusFen: number; storedValueFen: number }>(`/members/${memberId}/stored-value/top-up`, { amountFen, tender }, { idempotencyKey: key }),
    onSuccess: (r) => refresh(r.member),
  });
}

export function useRedeem() {
  const refresh = useValueRefresh();
  return useMutation({
    mutationFn: ({ memberId, points, reason, key }: { memberId: string; points: number; reason: string; key: string }) =>
      http.post<Moved>(`/members/${memberId}/points/redeem`, { points, reason }, { idempotencyKey: key }),
    onSuccess: (r) => refresh(r.member),
  });
}

export function useAdjust() {
  const refresh = useValueRefresh();
  return useMutation({
    mutationFn: ({ memberId, delta, reason, kind, key }: { memberId: string; delta: number; reason: string; kind: 'points' | 'tier_points'; key: string }) =>
      http.post<Moved>(`/members/${memberId}/points/adjust`, { delta, reason, kind }, { idempotencyKey: key }),
    onSuccess: (r) => refresh(r.member),
  });
}

export function useOverrideTier() {
  const refresh = useValueRefresh();
  return useMutation({
    mutationFn: ({ memberId, code, reason, key }: { memberId: string; code: string | null; reason: string; key: string }) =>
      http.post<Moved>(`/members/${memberId}/tier`, { code, reason }, { idempotencyKey: key }),
    onSuccess: (r) => refresh(r.member),
  });
}

export function useCashOut() {
  const refresh = useValueRefresh();
  return useMutation({
    mutationFn: ({ memberId, amountFen, reason, key }: { memberId: string; amountFen?: number; reason: string; key: string }) =>
      http.post<Moved & { principalFen: number; bonusForfeitedFen: number; storedValueFen: number }>(`/members/${memberId}/stored-value/cash-out`, { amountFen, reason }, { idempotencyKey: key }),
    onSuccess: (r) => refresh(r.member),
  });
}
