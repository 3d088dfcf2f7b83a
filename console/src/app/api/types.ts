/** Shapes of the memberdesk API (docs: /api/docs, contract: shared/spec/api.md). */

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface FieldError {
  path: string;
  message: string;
}

/** RFC 9457 problem document, as every error of the API is. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  errors?: FieldError[];
}

export interface Tenant {
  id: string;
  slug: string;
  name: string;
  smsExtension: string;
  smsPort: string;
  timezone: string;
  currency: string;
  smsPriceFen: number;
  creditFen: number;
  status: 'active' | 'suspended' | string;
  createdAt: string;
}

export interface Me {
  user: { id: string; name: string; kind: 'platform' | 'operator' | 'api_key' };
  tenant: Tenant | null;
  permissions: string[];
  orgNodeId: string | null;
}

export interface LoginResult {
  token: string;
  csrfToken: string;
  expiresAt: string;
  user: { id: string; username: string; name: string; kind: 'platform' | 'operator'; tenant: string | null };
}

export type OrgKind = 'headquarters' | 'region' | 'store';

export interface OrgNode {
  id: string;
  parentId: string | null;
  kind: OrgKind;
  name: string;
  code: string | null;
  path: string;
  createdAt: string;
}

export interface Role {
  id: string;
  code: string;
  name: string;
  permissions: string[];
  builtin: boolean;
}

export interface Operator {
  id: string;
  username: string;
  name: string;
  status: 'active' | 'disabled' | string;
  role: { id: string; code: string; name: string };
  orgNode: { id: string; name: string; kind: string };
  createdAt: string;
}

export interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  permissions: string[];
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface ApiKeyCreated extends ApiKey {
  key: string;
}

export interface AuditEntry {
  id: string;
  actorType: string;
  actorName: string;
  action: string;
  targetType: string | null;
  targetId: string | null;
  detail: Record<string, unknown>;
  ip: string | null;
  createdAt: string;
}
