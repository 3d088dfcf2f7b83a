import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { http } from '../../app/api/client';
import { qk } from '../../app/api/keys';
import type { Operator, Page } from '../../app/api/types';

export interface CreateOperatorInput {
  username: string;
  password: string;
  name: string;
  roleId: string;
  orgNodeId: string;
}

export interface UpdateOperatorInput {
  name?: string;
  roleId?: string;
  orgNodeId?: string;
  status?: 'active' | 'disabled';
  password?: string;
}

export function useOperators() {
  return useQuery({ queryKey: qk.operators.list(), queryFn: async () => (await http.get<Page<Operator>>('/operators')).items });
}

export function useCreateOperator() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (input: CreateOperatorInput) => http.post<Operator>('/operators', input),
    onSuccess: () => client.invalidateQueries({ queryKey: qk.operators.all }),
  });
}

export function useUpdateOperator() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, patch }: { id: string; patch: UpdateOperatorInput }) => http.patch<Operator>(`/operators/${id}`, patch),
    onSuccess: () => client.invalidateQueries({ queryKey: qk.operators.all }),
  });
}
