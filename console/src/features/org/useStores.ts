import { useMemo } from 'react';
import { can, useSession } from '../../app/auth/session';
import { useOrgNodes } from './api';

/** The stores the user may pick (their part of the org tree), and their names by id. */
export function useStores() {
  const me = useSession();
  const nodes = useOrgNodes(can(me, 'org.read'));
  return useMemo(() => {
    const stores = (nodes.data ?? []).filter((n) => n.kind === 'store');
    const names = new Map((nodes.data ?? []).map((n) => [n.id, n.name]));
    return { options: stores.map((s) => ({ value: s.id, label: s.name })), name: (id: string | null | undefined) => (id ? (names.get(id) ?? `#${id}`) : ''), loading: nodes.isPending && nodes.fetchStatus !== 'idle' };
  }, [nodes.data, nodes.isPending, nodes.fetchStatus]);
}
