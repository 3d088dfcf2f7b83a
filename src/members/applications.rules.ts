import type { AttributeDef } from './attributes.rules.js';

/** What a reviewer is warned about on a join application. */
export const APPLICATION_FLAGS = [
  'missing_name',
  'missing_birthday',
  'missing_required_attributes',
  'duplicate_phone_member',
  'duplicate_phone_application',
  'duplicate_name_birthday',
] as const;
export type ApplicationFlag = (typeof APPLICATION_FLAGS)[number];

export interface ApplicationInput {
  name?: string | null;
  birthday?: string | null;
  attributes?: Record<string, unknown>;
}

/** What the database said about the applicant, gathered before the flags are computed. */
export interface ApplicationFacts {
  /** a member already holds this phone */
  phoneIsMember: boolean;
  /** another pending application has this phone */
  phonePendingApplications: number;
  /** members or other pending applications with the same name and birthday */
  sameNameBirthday: number;
}

/** Required attributes the applicant left out or empty. */
export function missingRequiredAttributes(defs: readonly AttributeDef[], attributes: Record<string, unknown> = {}): string[] {
  return defs
    .filter((d) => d.required)
    .filter((d) => {
      const v = attributes[d.key];
      return v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0);
    })
    .map((d) => d.key);
}

/**
 * Flags computed once, when the application arrives; the review queue shows them.
 * Key data is the name and the birthday (a mobile number is always there: it is required).
 * @example applicationFlags({ name: '张三' }, [], { phoneIsMember: true, phonePendingApplications: 0, sameNameBirthday: 0 })
 *          → ['missing_birthday', 'duplicate_phone_member']
 */
export function applicationFlags(input: ApplicationInput, defs: readonly AttributeDef[], facts: ApplicationFacts): ApplicationFlag[] {
  const flags: ApplicationFlag[] = [];
  if (!input.name || !input.name.trim()) flags.push('missing_name');
  if (!input.birthday) flags.push('missing_birthday');
  if (missingRequiredAttributes(defs, input.attributes).length > 0) flags.push('missing_required_attributes');
  if (facts.phoneIsMember) flags.push('duplicate_phone_member');
  if (facts.phonePendingApplications > 0) flags.push('duplicate_phone_application');
  if (input.name && input.birthday && facts.sameNameBirthday > 0) flags.push('duplicate_name_birthday');
  return flags;
}
