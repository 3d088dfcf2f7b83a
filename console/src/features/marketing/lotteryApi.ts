import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { http } from '../../app/api/client';
import { usePaged } from '../../app/api/paged';

export type LotteryStatus = 'scheduled' | 'open' | 'closed' | 'drawn';
export type Outcome = 'valid' | 'wrong_answer' | 'outside_window' | 'already_entered' | 'not_member';
export const LOTTERY_TEMPLATES = ['entered', 'wrongAnswer', 'outsideWindow', 'alreadyEntered', 'notMember', 'winner'] as const;
export type TemplateKey = (typeof LOTTERY_TEMPLATES)[number];
export const OUTCOMES: Outcome[] = ['valid', 'wrong_answer', 'outside_window', 'already_entered', 'not_member'];

export interface Prize {
  name: string;
  count: number;
}

export interface Lottery {
  id: string;
  name: string;
  answers: string[];
  startsAt: string;
  endsAt: string;
  timezone: string;
  entriesPerPhone: number;
  membersOnly: boolean;
  prizes: Prize[];
  templates: Partial<Record<TemplateKey, string>>;
  status: LotteryStatus;
  entries: number;
  attempts: number;
  drawnAt: string | null;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

export interface LotteryInput {
  name: string;
  answers: string[];
  startsAt: string;
  endsAt: string;
  entriesPerPhone: number;
  membersOnly: boolean;
  prizes: Prize[];
  templates: Partial<Record<TemplateKey, string>>;
}

export interface Entry {
  id: string;
  phone: string;
  memberId: string | null;
  answer: string;
  outcome: Outcome;
  entryNo: number | null;
  receivedAt: string;
}

export interface Winner {
  id: string;
  rank: number;
  entryId: string;
  phone: string;
  memberId: string | null;
  prize: string;
  prizeIndex: number;
  messageId: string | null;
  collectedAt: string | null;
  collectedBy: string | null;
}

export interface Draw {
  lotteryId: string;
  algorithm: string;
  seed: string;
  entryCount: number;
  entriesHash: string;
  winnerEntryIds: string[];
  drawnBy: string;
  drawnAt: string;
  winners: Winner[];
}

export interface Verify {
  lotteryId: string;
  verified: boolean;
  algorithm: string;
  seed: string;
  entryCount: number;
  recomputedEntryCount: number;
  entriesHash: string;
  recomputedEntriesHash: string;
  winnerEntryIds: string[];
  recomputedWinnerEntryIds: string[];
  problems: string[];
}

const key = {
  all: ['lotteries'] as const,
  list: ['lotteries', 'list'] as const,
  detail: (id: string) => ['lotteries', 'detail', id] as const,
  entries: (id: string, outcome: string) => ['lotteries', 'entries', id, outcome] as const,
  draw: (id: string) => ['lotteries', 'draw', id] as const,
  winners: (id: string) => ['lotteries', 'winners', id] as const,
};

export const useLotteries = () => usePaged<Lottery>(key.list, '/lotteries');

/** One lottery; polled while it is open (entries arrive by SMS). */
export function useLottery(id: string) {
  return useQuery({
    queryKey: key.detail(id),
    queryFn: () => http.get<Lottery>(`/lotteries/${id}`),
    refetchInterval: (q) => (q.state.data?.status === 'open' ? 5000 : false),
  });
}

export const useEntries = (id: string, outcome: Outcome | undefined) => usePaged<Entry>(key.entries(id, outcome ?? ''), `/lotteries/${id}/entries`, { outcome });

export function useDraw(id: string, drawn: boolean) {
  return useQuery({ queryKey: key.draw(id), queryFn: () => http.get<Draw>(`/lotteries/${id}/draw`), enabled: drawn });
}

export function useWinners(id: string, drawn: boolean) {
  return useQuery({ queryKey: key.winners(id), queryFn: async () => (await http.get<{ items: Winner[] }>(`/lotteries/${id}/winners`)).items, enabled: drawn });
}

export function useVerify(id: string) {
  return useMutation({ mutationFn: () => http.get<Verify>(`/lotteries/${id}/draw/verify`) });
}

export function useSaveLottery() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, body }: { id: string | null; body: LotteryInput }) => (id ? http.patch<Lottery>(`/lotteries/${id}`, body) : http.post<Lottery>('/lotteries', body)),
    onSuccess: (l) => {
      client.setQueryData(key.detail(l.id), l);
      return client.invalidateQueries({ queryKey: key.list });
    },
  });
}

export function useDeleteLottery() {
  const client = useQueryClient();
  return useMutation({ mutationFn: (id: string) => http.del(`/lotteries/${id}`), onSuccess: () => client.invalidateQueries({ queryKey: key.list }) });
}

export function useDrawLottery(id: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => http.post<Draw>(`/lotteries/${id}/draw`, {}),
    onSuccess: (d) => {
      client.setQueryData(key.draw(id), d);
      return client.invalidateQueries({ queryKey: key.all });
    },
  });
}

export function useCollect(id: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (winnerId: string) => http.post<Winner>(`/lotteries/${id}/winners/${winnerId}/collected`, {}),
    onSuccess: () => client.invalidateQueries({ queryKey: key.winners(id) }),
  });
}
