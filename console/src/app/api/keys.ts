/** Every TanStack Query key of the console comes from here, so invalidation after a write
 * names the same keys the reads used. Keys are hierarchical: invalidating `qk.org.all`
 * refreshes every org query. */
export const qk = {
  me: ['auth', 'me'] as const,
  tenant: ['tenant'] as const,
  permissions: ['permissions'] as const,
  platform: {
    all: ['platform'] as const,
    tenants: () => ['platform', 'tenants'] as const,
  },
  org: {
    all: ['org'] as const,
    nodes: () => ['org', 'nodes'] as const,
  },
  roles: {
    all: ['roles'] as const,
    list: () => ['roles', 'list'] as const,
  },
  operators: {
    all: ['operators'] as const,
    list: () => ['operators', 'list'] as const,
  },
  apiKeys: {
    all: ['api-keys'] as const,
    list: () => ['api-keys', 'list'] as const,
  },
  audit: {
    all: ['audit'] as const,
    list: (filter: { action?: string }) => ['audit', 'list', filter] as const,
  },
  members: {
    all: ['members'] as const,
    lists: ['members', 'list'] as const,
    list: (filter: Record<string, string | undefined>) => ['members', 'list', filter] as const,
    detail: (id: string) => ['members', 'detail', id] as const,
    changes: (id: string) => ['members', 'changes', id] as const,
    tags: () => ['members', 'tags'] as const,
    settings: () => ['members', 'settings'] as const,
    attributes: () => ['members', 'attributes'] as const,
    pool: {
      all: ['members', 'pool'] as const,
      list: (filter: { status?: string; special?: boolean }) => ['members', 'pool', 'list', filter] as const,
      counts: () => ['members', 'pool', 'counts'] as const,
    },
  },
  applications: {
    all: ['member-applications'] as const,
    list: (status: string) => ['member-applications', 'list', status] as const,
  },
  loyalty: {
    all: ['loyalty'] as const,
    tiers: () => ['loyalty', 'tiers'] as const,
    rules: () => ['loyalty', 'rules'] as const,
    summary: (memberId: string) => ['loyalty', 'summary', memberId] as const,
    ledger: (memberId: string, kind: string) => ['loyalty', 'ledger', memberId, kind] as const,
    tierChanges: (memberId?: string) => ['loyalty', 'tier-changes', memberId ?? 'all'] as const,
    transactions: (filter: Record<string, string | undefined>) => ['loyalty', 'transactions', filter] as const,
    transaction: (id: string) => ['loyalty', 'transaction', id] as const,
    expiring: (withinDays: number) => ['loyalty', 'expiring', withinDays] as const,
  },
  segments: {
    all: ['segments'] as const,
    list: () => ['segments', 'list'] as const,
    detail: (id: string) => ['segments', 'detail', id] as const,
    count: (id: string) => ['segments', 'count', id] as const,
    preview: (filter: string) => ['segments', 'preview', filter] as const,
  },
  email: {
    all: ['email'] as const,
    settings: () => ['email', 'settings'] as const,
    messages: (filter: Record<string, string | undefined>) => ['email', 'messages', filter] as const,
  },
  sms: {
    all: ['sms'] as const,
    messages: (filter: Record<string, string | undefined>) => ['sms', 'messages', filter] as const,
    threadLists: ['sms', 'threads'] as const,
    threads: (unread: boolean) => ['sms', 'threads', unread] as const,
    thread: (id: string) => ['sms', 'thread', id] as const,
    unread: () => ['sms', 'unread'] as const,
    settings: () => ['sms', 'settings'] as const,
    keywords: () => ['sms', 'keywords'] as const,
    report: (name: string, range: { from?: string; to?: string }) => ['sms', 'report', name, range] as const,
    sandbox: (to: string) => ['sms', 'sandbox', to] as const,
  },
};
