import { useQuery } from '@tanstack/react-query';
import { http } from '../../app/api/client';
import { qk } from '../../app/api/keys';
import type { Tenant } from '../../app/api/types';

export function useTenant() {
  return useQuery({ queryKey: qk.tenant, queryFn: () => http.get<Tenant>('/tenant') });
}
