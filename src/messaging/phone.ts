import { badRequest } from '../platform/http/problem.js';
import { normalizeMobile } from '../members/index.js';

/** A recipient in E.164 (400 when it is not a mobile number we can text). */
export function parseRecipient(raw: string, path = 'body.to'): string {
  const r = normalizeMobile(raw);
  if (!r.ok) throw badRequest(`to: ${r.reason}`, [{ path, message: r.reason }]);
  return r.e164;
}

/** How gateways take a number: national digits for China (+86), otherwise digits without '+'. */
export function gatewayAddress(e164: string): string {
  return e164.startsWith('+86') ? e164.slice(3) : e164.replace(/^\+/, '');
}

/** A sender address from a gateway ("13800138000", "8613800138000", "+86…") in E.164, or null. */
export function senderE164(raw: string): string | null {
  const digits = raw.trim();
  const r = normalizeMobile(digits);
  if (r.ok) return r.e164;
  if (/^86\d{11}$/.test(digits)) {
    const again = normalizeMobile('+' + digits);
    if (again.ok) return again.e164;
  }
  return null;
}
