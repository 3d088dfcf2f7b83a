import { describe, expect, it } from 'vitest';
import { applicationFlags, missingRequiredAttributes } from './applications.rules.js';
import type { AttributeDef } from './attributes.rules.js';

const defs: AttributeDef[] = [
  { key: 'size', label: '尺码', type: 'single', required: true, options: ['S', 'M'] },
  { key: 'hobbies', label: '爱好', type: 'multi', required: true, options: ['tea'] },
  { key: 'note', label: '备注', type: 'text', required: false, options: [] },
];
const clean = { phoneIsMember: false, phonePendingApplications: 0, sameNameBirthday: 0 };

describe('applicationFlags', () => {
  it('raises no flag for a complete, new applicant', () => {
    expect(applicationFlags({ name: '张三', birthday: '1990-01-02', attributes: { size: 'S', hobbies: ['tea'] } }, defs, clean)).toEqual([]);
  });
  it('flags missing key data', () => {
    expect(applicationFlags({ name: '  ', attributes: { size: 'S' } }, defs, clean)).toEqual(['missing_name', 'missing_birthday', 'missing_required_attributes']);
  });
  it('flags duplicates by phone (member and application) and by name + birthday', () => {
    const flags = applicationFlags(
      { name: '张三', birthday: '1990-01-02', attributes: { size: 'S', hobbies: ['tea'] } },
      defs,
      { phoneIsMember: true, phonePendingApplications: 2, sameNameBirthday: 1 },
    );
    expect(flags).toEqual(['duplicate_phone_member', 'duplicate_phone_application', 'duplicate_name_birthday']);
  });
  it('does not call a name-only applicant a name + birthday duplicate', () => {
    expect(applicationFlags({ name: '张三' }, [], { ...clean, sameNameBirthday: 3 })).toEqual(['missing_birthday']);
  });
});

describe('missingRequiredAttributes', () => {
  it('treats empty strings and empty lists as missing', () => {
    expect(missingRequiredAttributes(defs, { size: '', hobbies: [] })).toEqual(['size', 'hobbies']);
    expect(missingRequiredAttributes(defs, { size: 'M', hobbies: ['tea'] })).toEqual([]);
    expect(missingRequiredAttributes(defs)).toEqual(['size', 'hobbies']);
  });
});
