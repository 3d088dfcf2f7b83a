/** Email addresses (pure): what memberdesk stores and sends to, and how it is masked. */
const LOCAL_ATOM = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+$/;
// a domain label: letters (any script, for IDNs), digits, hyphens inside
const LABEL = /^[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?$/u;

export type AddressResult = { ok: true; address: string } | { ok: false; reason: string };

/**
 * A mailbox as memberdesk stores and sends to it: `local@domain`, trimmed, the domain in lower
 * case (the local part is the receiving server's business and is kept as written). The local
 * part is an ASCII dot-atom (no quoted strings, no comments, no display names); the domain has
 * at least two labels. At most 254 characters (RFC 5321's path limit), local part at most 64.
 */
export function parseEmailAddress(raw: string): AddressResult {
  const s = raw.trim();
  if (s === '') return { ok: false, reason: 'must not be empty' };
  if (s.length > 254) return { ok: false, reason: 'is longer than 254 characters' };
  const at = s.lastIndexOf('@');
  if (at <= 0 || at === s.length - 1) return { ok: false, reason: 'is not an email address (local@domain)' };
  const local = s.slice(0, at);
  const domain = s.slice(at + 1).toLowerCase();
  if (local.length > 64) return { ok: false, reason: 'has a local part longer than 64 characters' };
  const atoms = local.split('.');
  if (atoms.some((a) => !LOCAL_ATOM.test(a))) return { ok: false, reason: 'has characters not allowed before the @' };
  const labels = domain.split('.');
  if (labels.length < 2 || labels.some((l) => !LABEL.test(l)) || /^[0-9]+$/.test(labels[labels.length - 1]!)) {
    return { ok: false, reason: 'has no valid domain after the @' };
  }
  return { ok: true, address: `${local}@${domain}` };
}

/** Masks an address for callers without members.pii: `zhang.wei@example.cn` → `z***@example.cn`. */
export function maskEmail(address: string): string {
  const at = address.lastIndexOf('@');
  if (at <= 0) return '***';
  return `${address[0]}***${address.slice(at)}`;
}

