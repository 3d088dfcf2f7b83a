import { maskEmail } from './email.rules.js';
import { maskName, maskPhone } from './phone.rules.js';
import type { memberApplications, memberAttributeDefs, memberChanges, members } from './schema.js';

export type MemberRow = typeof members.$inferSelect;
export type ChangeRow = typeof memberChanges.$inferSelect;
export type ApplicationRow = typeof memberApplications.$inferSelect;
export type AttributeDefRow = typeof memberAttributeDefs.$inferSelect;

/** The API's Member (api.md), plus storeId, source, updatedAt and piiMasked. */
export interface MemberView {
  id: string;
  cardNo: string;
  phone: string;
  name: string | null;
  gender: string | null;
  birthday: string | null;
  tier: { code: string; name: string } | null;
  points: number;
  tierPoints: number;
  storedValueFen: number;
  smsOptOut: boolean;
  /** masked (z***@example.cn) without members.pii */
  email: string | null;
  emailOptOut: boolean;
  status: string;
  attributes: Record<string, unknown>;
  tags: string[];
  storeId: string | null;
  source: string;
  createdAt: string;
  updatedAt: string;
  /** true when phone and name are masked because the caller lacks members.pii */
  piiMasked: boolean;
}

/** Who sees what: `pii` is true when the caller holds members.pii. */
export interface Visibility {
  pii: boolean;
  /** Names of tiers by code (loyalty owns the tiers: `visibilityIn` in service.ts fills this from
   * its `tierNames`); without it, or for an unknown code, the code is the name. */
  tierName?: (code: string) => string;
}

export function memberView(r: MemberRow, vis: Visibility): MemberView {
  return {
    id: r.id,
    cardNo: r.cardNo,
    phone: vis.pii ? r.phone : maskPhone(r.phone),
    name: vis.pii ? r.name : maskName(r.name),
    gender: r.gender,
    birthday: r.birthday,
    tier: r.tierCode ? { code: r.tierCode, name: vis.tierName?.(r.tierCode) ?? r.tierCode } : null,
    points: r.points,
    tierPoints: r.tierPoints,
    storedValueFen: r.storedValueFen,
    smsOptOut: r.smsOptOut,
    email: r.email === null ? null : vis.pii ? r.email : maskEmail(r.email),
    emailOptOut: r.emailOptOut,
    status: r.status,
    attributes: r.attributes,
    tags: r.tags,
    storeId: r.storeId,
    source: r.source,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
    piiMasked: !vis.pii,
  };
}

/** Masks phone and name values inside a change's before/after documents. */
function maskDoc(doc: unknown, vis: Visibility): unknown {
  if (vis.pii || !doc || typeof doc !== 'object' || Array.isArray(doc)) return doc;
  const out: Record<string, unknown> = { ...(doc as Record<string, unknown>) };
  if (typeof out.phone === 'string') out.phone = maskPhone(out.phone);
  if (typeof out.name === 'string') out.name = maskName(out.name);
  if (typeof out.email === 'string') out.email = maskEmail(out.email);
  return out;
}

export interface ChangeView {
  id: string;
  memberId: string;
  change: string;
  before: unknown;
  after: unknown;
  reason: string | null;
  actorType: string;
  actorName: string;
  createdAt: string;
}

export function changeView(r: ChangeRow, vis: Visibility): ChangeView {
  return {
    id: r.id,
    memberId: r.memberId,
    change: r.change,
    before: maskDoc(r.before, vis) ?? null,
    after: maskDoc(r.after, vis) ?? null,
    reason: r.reason,
    actorType: r.actorType,
    actorName: r.actorName,
    createdAt: r.createdAt.toISOString(),
  };
}

export interface ApplicationView {
  id: string;
  phone: string;
  name: string | null;
  gender: string | null;
  birthday: string | null;
  storeId: string | null;
  attributes: Record<string, unknown>;
  tags: string[];
  source: string;
  status: 'pending' | 'approved' | 'rejected';
  flags: string[];
  reason: string | null;
  memberId: string | null;
  createdAt: string;
  decidedAt: string | null;
  decidedBy: string | null;
  piiMasked: boolean;
}

export function applicationView(r: ApplicationRow, vis: Visibility): ApplicationView {
  return {
    id: r.id,
    phone: vis.pii ? r.phone : maskPhone(r.phone),
    name: vis.pii ? r.name : maskName(r.name),
    gender: r.gender,
    birthday: r.birthday,
    storeId: r.storeId,
    attributes: r.attributes,
    tags: r.tags,
    source: r.source,
    status: r.status,
    flags: r.flags,
    reason: r.reason,
    memberId: r.memberId,
    createdAt: r.createdAt.toISOString(),
    decidedAt: r.decidedAt?.toISOString() ?? null,
    decidedBy: r.decidedBy,
    piiMasked: !vis.pii,
  };
}

export interface AttributeDefView {
  key: string;
  label: string;
  type: string;
  required: boolean;
  options: string[];
  position: number;
  createdAt: string;
}

export function attributeDefView(r: AttributeDefRow): AttributeDefView {
  return { key: r.key, label: r.label, type: r.type, required: r.required, options: r.options, position: r.position, createdAt: r.createdAt.toISOString() };
}
