import { useQuery } from '@tanstack/react-query';
import { http } from './api/client';
import { qk } from './api/keys';
import type { Page } from './api/types';
import { tDynamic } from './i18n';

/** Every permission a role or API key can hold (GET /permissions). */
export function usePermissionCatalog() {
  return useQuery({
    queryKey: qk.permissions,
    queryFn: async () => (await http.get<Page<string>>('/permissions')).items,
    staleTime: Infinity,
  });
}

/** `members.read` → 查看会员 / View members (the code itself when there is no translation). */
export function permissionLabel(p: string): string {
  return tDynamic(`perm.${p.replace(/\./g, '_')}`, p);
}

export function permissionGroupLabel(group: string): string {
  return tDynamic(`perm.groups.${group}`, group);
}
