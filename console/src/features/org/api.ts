import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { http } from '../../app/api/client';
import { qk } from '../../app/api/keys';
import type { OrgKind, OrgNode, Page } from '../../app/api/types';

export function useOrgNodes(enabled = true) {
  return useQuery({
    queryKey: qk.org.nodes(),
    queryFn: async () => (await http.get<Page<OrgNode>>('/org/nodes')).items,
    enabled,
  });
}

export function useCreateNode() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (input: { parentId: string; kind: Exclude<OrgKind, 'headquarters'>; name: string; code?: string }) => http.post<OrgNode>('/org/nodes', input),
    onSuccess: () => client.invalidateQueries({ queryKey: qk.org.all }),
  });
}

export function useUpdateNode() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, patch }: { id: string; patch: { name?: string; code?: string | null } }) => http.patch<OrgNode>(`/org/nodes/${id}`, patch),
    onSuccess: () => client.invalidateQueries({ queryKey: qk.org.all }),
  });
}

export function useDeleteNode() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => http.del(`/org/nodes/${id}`),
    onSuccess: () => client.invalidateQueries({ queryKey: qk.org.all }),
  });
}

export interface OrgTreeNode {
  node: OrgNode;
  children: OrgTreeNode[];
}

/** The tree from the flat list (by parentId). Nodes whose parent is outside the caller's scope
 * become roots, so an operator attached to a region sees that region as the top. */
export function buildOrgTree(nodes: readonly OrgNode[]): OrgTreeNode[] {
  const byId = new Map<string, OrgTreeNode>();
  for (const n of nodes) byId.set(n.id, { node: n, children: [] });
  const roots: OrgTreeNode[] = [];
  for (const n of nodes) {
    const entry = byId.get(n.id)!;
    const parent = n.parentId ? byId.get(n.parentId) : undefined;
    if (parent) parent.children.push(entry);
    else roots.push(entry);
  }
  const order: Record<OrgKind, number> = { headquarters: 0, region: 1, store: 2 };
  const sort = (list: OrgTreeNode[]) => {
    list.sort((a, b) => order[a.node.kind] - order[b.node.kind] || a.node.name.localeCompare(b.node.name, 'zh-CN') || a.node.id.localeCompare(b.node.id));
    for (const c of list) sort(c.children);
  };
  sort(roots);
  return roots;
}
