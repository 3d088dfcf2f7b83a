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

// ------------------------------------------------------------------ members

export type Gender = 'male' | 'female' | 'other';
export type MemberStatus = 'active' | 'frozen' | 'cancelled';

/** A member; `phone` and `name` are masked (138****8000, 张*) when `piiMasked`. */
export interface Member {
  id: string;
  cardNo: string;
  phone: string;
  name: string | null;
  gender: Gender | null;
  birthday: string | null;
  tier: { code: string; name: string } | null;
  points: number;
  tierPoints: number;
  storedValueFen: number;
  smsOptOut: boolean;
  email: string | null;
  emailOptOut: boolean;
  status: MemberStatus;
  attributes: Record<string, unknown>;
  tags: string[];
  storeId: string | null;
  source: string;
  createdAt: string;
  updatedAt: string;
  piiMasked: boolean;
}

export type MemberChangeKind = 'created' | 'profile' | 'status' | 'phone';

export interface MemberChange {
  id: string;
  memberId: string;
  change: MemberChangeKind | string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  reason: string | null;
  actorType: string;
  actorName: string;
  createdAt: string;
}

export type ApplicationStatus = 'pending' | 'approved' | 'rejected';

export interface MemberApplication {
  id: string;
  phone: string;
  name: string | null;
  gender: Gender | null;
  birthday: string | null;
  storeId: string | null;
  attributes: Record<string, unknown>;
  tags: string[];
  source: string;
  status: ApplicationStatus;
  flags: string[];
  reason: string | null;
  memberId: string | null;
  createdAt: string;
  decidedAt: string | null;
  decidedBy: string | null;
  piiMasked: boolean;
}

export interface MemberSettings {
  cardMode: 'sequence' | 'pool';
  cardPrefix: string;
  cardDigits: number;
  cardCheckDigit: boolean;
  reviewApplications: boolean;
  /** read-only: the sequence number the next generated card number starts from */
  cardNextSeq: number;
  updatedAt: string;
}

export interface CardPoolEntry {
  cardNo: string;
  batch: string | null;
  special: boolean;
  createdAt: string;
  usedAt: string | null;
}

export interface CardPoolCounts {
  free: number;
  freeSpecial: number;
  used: number;
  total: number;
}

export interface CardPoolBatchResult {
  requested: number;
  added: number;
  skipped: number;
  batch: string | null;
  first: string;
  last: string;
}

export type AttributeType = 'text' | 'number' | 'date' | 'single' | 'multi' | 'boolean';

export interface AttributeDef {
  key: string;
  label: string;
  type: AttributeType;
  required: boolean;
  options: string[];
  position: number;
  createdAt: string;
}

export interface TagCount {
  tag: string;
  count: number;
}
