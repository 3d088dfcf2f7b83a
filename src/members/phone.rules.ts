import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';

export type PhoneResult = { ok: true; e164: string } | { ok: false; reason: string };

/**
 * Accepts the forms people type (`13800138000`, `+86 138-0013-8000`, `0086 138 0013 8000`) and
 * returns E.164. Only mobile numbers can join: members are reached by SMS.
 * @example normalizeMobile('138-0013-8000') → { ok: true, e164: '+8613800138000' }
 */
export function normalizeMobile(input: string, defaultRegion: CountryCode = 'CN'): PhoneResult {
  const trimmed = input.trim().replace(/^00/, '+');
  if (!/^\+?[0-9 ()\-.]{5,24}$/.test(trimmed)) return { ok: false, reason: 'is not a phone number' };
  const parsed = parsePhoneNumberFromString(trimmed, defaultRegion);
  if (!parsed || !parsed.isValid()) return { ok: false, reason: 'is not a valid phone number' };
  const type = parsed.getType();
  if (type !== 'MOBILE' && type !== 'FIXED_LINE_OR_MOBILE') return { ok: false, reason: 'is not a mobile number' };
  return { ok: true, e164: parsed.number };
}

/**
 * What an operator without the personal-data permission sees.
 * @example maskPhone('+8613800138000') === '138****8000'
 */
export function maskPhone(e164: string): string {
  const national = e164.startsWith('+86') ? e164.slice(3) : e164.replace(/^\+/, '');
  if (national.length < 7) return national.replace(/./g, '*');
  return national.slice(0, 3) + '****' + national.slice(-4);
}

/**
 * @example maskName('张三') === '张*'; maskName('欧阳娜娜') === '欧***'; maskName('Alice') === 'A****'
 */
export function maskName(name: string | null): string | null {
  if (!name) return name;
  const chars = [...name];
  return chars[0] + '*'.repeat(Math.max(1, chars.length - 1));
}
