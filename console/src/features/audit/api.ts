import { useInfiniteQuery } from '@tanstack/react-query';
import { http } from '../../app/api/client';
import { qk } from '../../app/api/keys';
import type { AuditEntry, Page } from '../../app/api/types';

export function useAuditLog(filter: { action?: string }) {
  return useInfiniteQuery({
    queryKey: qk.audit.list(filter),
    queryFn: ({ pageParam }) => http.get<Page<AuditEntry>>('/audit-log', { action: filter.action, limit: 50, cursor: pageParam }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    staleTime: 0,
  });
}

/** The actions the backend records today (filter choices; unknown ones still display). */
export const AUDIT_ACTIONS = [
  'auth.login',
  'tenant.create',
  'sms.credit_top_up',
  'org.create',
  'org.update',
  'org.delete',
  'role.create',
  'role.update',
  'role.delete',
  'operator.create',
  'operator.update',
  'apikey.create',
  'apikey.revoke',
  'member.pii_view',
  'member.status_change',
  'member.phone_change',
  'member.settings_update',
  'member.card_pool_batch',
  'member.card_pool_add',
  'member.attribute_create',
  'member.attribute_update',
  'member.attribute_delete',
  'member.application_approve',
  'member.application_reject',
  'member.export',
];
