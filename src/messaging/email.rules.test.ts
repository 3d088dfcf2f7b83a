import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  classifySmtpError,
  composeEmail,
  escapeHtml,
  parseUnsubscribeToken,
  isPublicAddress,
  unknownEmailVariables,
  unsubscribeToken,
  verifyUnsubscribeToken,
  UNSUBSCRIBE_TEXT,
} from './email.rules.js';

describe('templates', () => {
  const values = { name: '张伟', cardNo: 'M0001', points: 1280, tier: '金卡', storedValue: '50.00', store: '南京西路店', merchant: '茶语' };

  it('renders the SMS variables in subject and body', () => {
    const r = composeEmail({ subject: '{name}，您的积分 {points}', body: '尊敬的{name}（卡号 {cardNo}）：\n\n等级 {tier}，储值 {storedValue} 元，{store}欢迎您。', kind: 'service' }, values);
    expect(r).toMatchObject({ ok: true, value: { subject: '张伟，您的积分 1280', text: '尊敬的张伟（卡号 M0001）：\n\n等级 金卡，储值 50.00 元，南京西路店欢迎您。' } });
  });

  it('knows which variables are unknown', () => {
    expect(unknownEmailVariables('{name} {cardNo} {points} {tier} {storedValue} {store} {merchant}')).toEqual([]);
    expect(unknownEmailVariables('{name} {phone} {foo} {foo}')).toEqual(['phone', 'foo']);
  });

  it('refuses empty, over-long and multi-line-injected subjects; folds line breaks', () => {
    expect(composeEmail({ subject: '  ', body: 'x', kind: 'service' }, {})).toMatchObject({ ok: false, path: 'subject' });
    expect(composeEmail({ subject: 's'.repeat(201), body: 'x', kind: 'service' }, {})).toMatchObject({ ok: false, path: 'subject' });
    expect(composeEmail({ subject: 'hi', body: ' \n ', kind: 'service' }, {})).toMatchObject({ ok: false, path: 'body' });
    const folded = composeEmail({ subject: 'Hello\r\nBcc: evil@example.com', body: 'x', kind: 'service' }, {});
    expect(folded).toMatchObject({ ok: true, value: { subject: 'Hello Bcc: evil@example.com' } });
    expect(composeEmail({ subject: 'a\u0007b', body: 'x', kind: 'service' }, {})).toMatchObject({ ok: false, path: 'subject' });
  });

  it('marketing email carries the unsubscribe link in text and HTML; service email does not', () => {
    const url = 'https://md.example.com/api/v1/email/unsubscribe?token=1.2.abc';
    const m = composeEmail({ subject: 's', body: '促销 <b>', kind: 'marketing', unsubscribeUrl: url }, {});
    if (!m.ok) throw new Error('compose failed');
    expect(m.value.text).toContain(`${UNSUBSCRIBE_TEXT}: ${url}`);
    expect(m.value.html).toContain(`href="${url}"`);
    expect(m.value.html).toContain('促销 &lt;b&gt;');
    const s = composeEmail({ subject: 's', body: 'x', kind: 'service' }, {});
    expect(s.ok && s.value.text).toBe('x');
    expect(s.ok && s.value.html.includes('href')).toBe(false);
    expect(() => composeEmail({ subject: 's', body: 'x', kind: 'marketing' }, {})).toThrow();
  });

  it('HTML escaping leaves no markup from the text', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        expect(/[<>"']/.test(escapeHtml(s))).toBe(false);
        const r = composeEmail({ subject: 'x', body: s, kind: 'service' }, {});
        if (r.ok) expect(r.value.html.replace(/<\/?(p|br|html|body)>|<!doctype html>/g, '')).not.toMatch(/[<>]/);
      }),
    );
  });
});

describe('unsubscribe tokens', () => {
  it('verify for the member and tenant they were made for, and for nothing else', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 2n ** 62n }), fc.bigInt({ min: 1n, max: 2n ** 62n }), fc.string({ minLength: 1 }), (t, m, secret) => {
        const token = unsubscribeToken(secret, String(t), String(m));
        expect(verifyUnsubscribeToken(secret, token)).toEqual({ tenantId: String(t), memberId: String(m) });
        expect(verifyUnsubscribeToken(secret + 'x', token)).toBeNull();
        const forged = token.replace(/^(\d+)\.(\d+)\./, `$1.${m + 1n}.`);
        expect(verifyUnsubscribeToken(secret, forged)).toBeNull();
      }),
    );
    expect(verifyUnsubscribeToken('s', 'garbage')).toBeNull();
    expect(verifyUnsubscribeToken('s', '1.2.')).toBeNull();
    // ids beyond bigint are not ids (no 500 from the database)
    expect(parseUnsubscribeToken(unsubscribeToken('s', '9999999999999999999', '1'))).toBeNull();
    expect(parseUnsubscribeToken(unsubscribeToken('s', '9223372036854775807', '1'))).not.toBeNull();
  });
});

describe('isPublicAddress', () => {
  it('refuses loopback, private, link-local, CGNAT, multicast and mapped forms of them', () => {
    for (const ip of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '224.0.0.1',
      '255.255.255.255', '::1', '::', 'fd00::1', 'fe80::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1', 'localhost', 'not-an-ip']) {
      expect(isPublicAddress(ip), ip).toBe(false);
    }
    for (const ip of ['8.8.8.8', '172.32.0.1', '114.114.114.114', '2400:3200::1', '::ffff:8.8.8.8']) expect(isPublicAddress(ip), ip).toBe(true);
  });
});

describe('classifySmtpError', () => {
  it('4xx and broken connections are retried; 5xx and unbuildable messages are final', () => {
    expect(classifySmtpError({ code: 'EENVELOPE', responseCode: 450, response: '450 4.2.1 Mailbox busy' })).toMatchObject({ retry: true });
    expect(classifySmtpError({ code: 'EMESSAGE', responseCode: 421 })).toMatchObject({ retry: true });
    expect(classifySmtpError({ code: 'EENVELOPE', responseCode: 550, response: '550 5.1.1 No such user' })).toEqual({
      retry: false,
      reason: 'rejected:550 550 5.1.1 No such user',
    });
    expect(classifySmtpError({ code: 'EMESSAGE', responseCode: 554 })).toMatchObject({ retry: false });
    expect(classifySmtpError({ code: 'ECONNECTION', message: 'connect ECONNREFUSED' })).toEqual({ retry: true, reason: 'smtp_unavailable:ECONNECTION' });
    expect(classifySmtpError({ code: 'ETIMEDOUT' })).toMatchObject({ retry: true });
    expect(classifySmtpError({ code: 'EAUTH', responseCode: 535 })).toEqual({ retry: true, reason: 'smtp_auth:535' });
    expect(classifySmtpError({ code: 'EENVELOPE' })).toMatchObject({ retry: false });
    expect(classifySmtpError({})).toMatchObject({ retry: true });
  });
});
