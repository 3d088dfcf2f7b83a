import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { http } from '../../app/api/client';
import { qk } from '../../app/api/keys';
import type { Page, Role } from '../../app/api/types';

export function useRoles(enabled = true) {
  return useQuery({ queryKey: qk.roles.list(), queryFn: async () => (await http.get<Page<Role>>('/roles')).items, enabled });
}

export function useSaveRole() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (input: { id?: string; code: string; name: string; permissions: string[] }) =>
      input.id
        ? http.patch<Role>(`/roles/${input.id}`, { name: input.name, permissions: input.permissions })
        : http.post<Role>('/roles', { code: input.code, name: input.name, permissions: input.permissions }),
    onSuccess: async () => {
      await client.invalidateQueries({ queryKey: qk.roles.all });
      await client.invalidateQueries({ queryKey: qk.operators.all });
    },
  });
}

export function useDeleteRole() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => http.del(`/roles/${id}`),
    onSuccess: () => client.invalidateQueries({ queryKey: qk.roles.all }),
  });
}
