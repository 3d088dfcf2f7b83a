/**
 * What an email says and whether it may go (pure; addresses are members/email.rules.ts): the subject and body
 * templates (the SMS variables), the unsubscribe footer and link of marketing email, and the
 * classification of SMTP errors into "try again later" and "never".
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { BlockList, isIP } from 'node:net';
import { renderTemplate, type TemplateValues } from './compose.rules.js';

export type EmailKind = 'service' | 'marketing';

/** Header text (subject, names) may not carry line breaks or other control characters: a line
 * break in a header is how headers are injected. */
export const hasControlChars = (s: string) => [...s].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);

// ------------------------------------------------------------------ templates
/** Variables of email subjects and bodies: the SMS ones that make sense without a phone. */
export const EMAIL_TEMPLATE_VARIABLES = ['name', 'cardNo', 'points', 'tier', 'storedValue', 'store', 'merchant'] as const;

const VARIABLE = /\{([^{}]*)\}/g;

/** The `{variables}` of a template that email does not know (empty when it is valid). */
export function unknownEmailVariables(template: string): string[] {
  const bad: string[] = [];
  for (const m of template.matchAll(VARIABLE)) {
    const name = m[1]!.trim();
    if (!(EMAIL_TEMPLATE_VARIABLES as readonly string[]).includes(name) && !bad.includes(name)) bad.push(name);
  }
  return bad;
}

export const MAX_SUBJECT_LENGTH = 200;
export const MAX_BODY_LENGTH = 20_000;

export interface EmailDraft {
  subject: string;
  body: string;
  kind: EmailKind;
  /** Marketing only: the member's one-click unsubscribe link. */
  unsubscribeUrl?: string | null;
}

export interface ComposedEmail {
  subject: string;
  /** text/plain */
  text: string;
  /** text/html: the text escaped, paragraphs and line breaks kept, the link clickable */
  html: string;
}

export type EmailCompose = { ok: true; value: ComposedEmail } | { ok: false; path: 'subject' | 'body'; message: string };

export const UNSUBSCRIBE_TEXT = '不想再收到此类邮件？点击退订 / Unsubscribe';

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const textToHtml = (text: string) =>
  text
    .split(/\n{2,}/)
    .map((p) => `<p>${escapeHtml(p).replace(/\n/g, '<br>')}</p>`)
    .join('\n');

/**
 * Renders subject and body for one recipient (`{variable}` → value; templates are checked with
 * `unknownEmailVariables` before this) and, for marketing, appends the unsubscribe footer.
 * Subjects are one line: whitespace runs (line breaks included) become one space.
 */
export function composeEmail(draft: EmailDraft, values: TemplateValues): EmailCompose {
  const subject = renderTemplate(draft.subject, values).replace(/\s+/g, ' ').trim();
  if (subject === '') return { ok: false, path: 'subject', message: 'must not be empty' };
  if (subject.length > MAX_SUBJECT_LENGTH) return { ok: false, path: 'subject', message: `is too long (${subject.length} characters; at most ${MAX_SUBJECT_LENGTH})` };
  if (hasControlChars(subject)) return { ok: false, path: 'subject', message: 'must not contain control characters' };
  const body = renderTemplate(draft.body, values).replace(/\r\n?/g, '\n').trim();
  if (body === '') return { ok: false, path: 'body', message: 'must not be empty' };
  if (body.length > MAX_BODY_LENGTH) return { ok: false, path: 'body', message: `is too long (${body.length} characters; at most ${MAX_BODY_LENGTH})` };
  if (draft.kind === 'marketing' && !draft.unsubscribeUrl) throw new Error('a marketing email needs an unsubscribe link');
  let text = body;
  let html = textToHtml(body);
  if (draft.kind === 'marketing' && draft.unsubscribeUrl) {
    text += `\n\n--\n${UNSUBSCRIBE_TEXT}: ${draft.unsubscribeUrl}`;
    html += `\n<hr>\n<p style="font-size:12px;color:#888"><a href="${escapeHtml(draft.unsubscribeUrl)}">${escapeHtml(UNSUBSCRIBE_TEXT)}</a></p>`;
  }
  return { ok: true, value: { subject, text, html: `<!doctype html><html><body>\n${html}\n</body></html>` } };
}

// ------------------------------------------------------------------ unsubscribe links
const MAC_BYTES = 16;

/** The token of a member's unsubscribe link: `<tenantId>.<memberId>.<HMAC-SHA256, 128 bits>`
 * under the tenant's secret. It names the member, so no lookup table is needed, and cannot be
 * forged for another member or tenant without the secret. */
export function unsubscribeToken(secret: string, tenantId: string, memberId: string): string {
  const mac = createHmac('sha256', secret).update(`unsubscribe:${tenantId}:${memberId}`).digest().subarray(0, MAC_BYTES);
  return `${tenantId}.${memberId}.${mac.toString('base64url')}`;
}

/** The parts of a token, before its MAC is checked (`verifyUnsubscribeToken`). */
export function parseUnsubscribeToken(token: string): { tenantId: string; memberId: string; mac: string } | null {
  const m = /^([1-9][0-9]{0,18})\.([1-9][0-9]{0,18})\.([A-Za-z0-9_-]{22})$/.exec(token);
  const int8 = (s: string) => BigInt(s) <= 9223372036854775807n;
  return m && int8(m[1]!) && int8(m[2]!) ? { tenantId: m[1]!, memberId: m[2]!, mac: m[3]! } : null;
}

export function verifyUnsubscribeToken(secret: string, token: string): { tenantId: string; memberId: string } | null {
  const p = parseUnsubscribeToken(token);
  if (!p) return null;
  const expected = Buffer.from(unsubscribeToken(secret, p.tenantId, p.memberId).split('.')[2]!, 'base64url');
  const given = Buffer.from(p.mac, 'base64url');
  return given.length === expected.length && timingSafeEqual(given, expected) ? { tenantId: p.tenantId, memberId: p.memberId } : null;
}

// ------------------------------------------------------------------ where a merchant's SMTP server may be
const INTERNAL = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.0.0.0', 24],
  ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 3],
] as const) INTERNAL.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8], ['64:ff9b::', 96], ['2001:db8::', 32]] as const) INTERNAL.addSubnet(net, bits, 'ipv6');

/**
 * Whether an IP address is on the public internet: not loopback, private (RFC 1918, unique
 * local), carrier-grade NAT, link-local (cloud metadata at 169.254.169.254), multicast or
 * reserved — IPv4-mapped IPv6 addresses count as their IPv4 address. A merchant's own SMTP server
 * must be public unless the deployment allows otherwise, so a merchant cannot make memberdesk
 * connect to services inside its network.
 */
export function isPublicAddress(ip: string): boolean {
  const family = isIP(ip);
  if (family === 0) return false;
  return !INTERNAL.check(ip, family === 4 ? 'ipv4' : 'ipv6');
}

// ------------------------------------------------------------------ SMTP outcomes
export type SmtpVerdict = { retry: true; reason: string } | { retry: false; reason: string };

/**
 * What a failed SMTP send means. A 4xx reply (greylisting, mailbox busy, too many
 * connections) and a connection that failed, timed out or broke are worth another try; a 5xx
 * reply is final (unknown mailbox, refused content). Authentication failures are retried
 * (the merchant can fix the password before the attempts run out) and so is anything
 * unrecognised; a message nodemailer refuses to build is final.
 */
export function classifySmtpError(err: { code?: string; responseCode?: number; response?: string; message?: string }): SmtpVerdict {
  const rc = typeof err.responseCode === 'number' ? err.responseCode : undefined;
  const said = (err.response ?? err.message ?? '').replace(/\s+/g, ' ').trim().slice(0, 200);
  if (err.code === 'EAUTH') return { retry: true, reason: `smtp_auth${rc ? `:${rc}` : ''}` };
  if (rc !== undefined && rc >= 500 && rc < 600) return { retry: false, reason: `rejected:${rc}${said ? ` ${said}` : ''}` };
  if (rc !== undefined && rc >= 400 && rc < 500) return { retry: true, reason: `deferred:${rc}${said ? ` ${said}` : ''}` };
  if (err.code === 'EMESSAGE' || err.code === 'EENVELOPE') return { retry: false, reason: `invalid:${err.code}${said ? ` ${said}` : ''}` };
  return { retry: true, reason: `smtp_unavailable${err.code ? `:${err.code}` : ''}` };
}
