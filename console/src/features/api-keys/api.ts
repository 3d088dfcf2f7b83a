import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { http } from '../../app/api/client';
import { qk } from '../../app/api/keys';
import type { ApiKey, ApiKeyCreated, Page } from '../../app/api/types';

export function useApiKeys() {
  return useQuery({ queryKey: qk.apiKeys.list(), queryFn: async () => (await http.get<Page<ApiKey>>('/api-keys')).items });
}

export function useCreateApiKey() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (input: { name: string; permissions: string[] }) => http.post<ApiKeyCreated>('/api-keys', input),
    onSuccess: () => client.invalidateQueries({ queryKey: qk.apiKeys.all }),
  });
}

export function useRevokeApiKey() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => http.del(`/api-keys/${id}`),
    onSuccess: () => client.invalidateQueries({ queryKey: qk.apiKeys.all }),
  });
}
