import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { createContext, useContext, type ReactNode } from 'react';
import { Navigate, useLocation, useNavigate } from 'react-router-dom';
import { ErrorResult } from '../../ui/ErrorResult';
import { Loading } from '../../ui/Loading';
import { http, isApiError } from '../api/client';
import { qk } from '../api/keys';
import type { LoginResult, Me } from '../api/types';

/** Who is logged in, or null (401). */
export function useMe() {
  return useQuery({
    queryKey: qk.me,
    queryFn: async () => {
      try {
        return await http.get<Me>('/auth/me');
      } catch (err) {
        if (isApiError(err) && err.status === 401) return null;
        throw err;
      }
    },
    staleTime: 60_000,
  });
}

const SessionContext = createContext<Me | null>(null);

/** The logged-in user inside the authenticated part of the console. */
export function useSession(): Me {
  const me = useContext(SessionContext);
  if (!me) throw new Error('useSession outside RequireAuth');
  return me;
}

export function can(me: Me, permission: string): boolean {
  return me.permissions.includes(permission);
}

export function RequireAuth({ children }: { children: ReactNode }) {
  const { data, isPending, error, refetch } = useMe();
  const location = useLocation();
  if (isPending) return <Loading fullPage />;
  if (error) return <ErrorResult error={error} onRetry={() => void refetch()} />;
  if (!data) {
    const next = location.pathname + location.search;
    return <Navigate to={next === '/' ? '/login' : `/login?next=${encodeURIComponent(next)}`} replace />;
  }
  return <SessionContext.Provider value={data}>{children}</SessionContext.Provider>;
}

export function useLogin() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (input: { username: string; password: string; tenant?: string }) => http.post<LoginResult>('/auth/login', input),
    onSuccess: async () => {
      client.removeQueries();
      await client.fetchQuery({ queryKey: qk.me, queryFn: () => http.get<Me>('/auth/me') });
    },
  });
}

export function useLogout() {
  const client = useQueryClient();
  const navigate = useNavigate();
  return useMutation({
    mutationFn: () => http.post<void>('/auth/logout'),
    onSettled: () => {
      client.removeQueries();
      client.setQueryData(qk.me, null);
      navigate('/login', { replace: true });
    },
  });
}
