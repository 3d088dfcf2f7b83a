import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createGateway } from '../../src/messaging/gateways/index.js';
import { ConfigError, loadConfig } from '../../src/server/config.js';

const log = pino({ level: 'silent' });

describe('SMS gateway settings', () => {
  it('builds the configured gateway', () => {
    expect(createGateway(loadConfig({}), log).name).toBe('sandbox');
    const smpp = loadConfig({ MEMBERDESK_SMS_GATEWAY: 'smpp', MEMBERDESK_SMPP_SYSTEM_ID: 'memberdesk', MEMBERDESK_SMPP_WINDOW: '100', MEMBERDESK_SMPP_RATE: '0' });
    expect(smpp.smpp).toMatchObject({ host: '127.0.0.1', port: 2775, systemId: 'memberdesk', window: 100, ratePerSecond: 0 });
    expect(createGateway(smpp, log).name).toBe('smpp');
    const kannel = loadConfig({
      MEMBERDESK_SMS_GATEWAY: 'kannel',
      PORT: '3100',
      MEMBERDESK_KANNEL_USERNAME: 'u',
      MEMBERDESK_KANNEL_PASSWORD: 'p',
      MEMBERDESK_KANNEL_CALLBACK_SECRET: 'abcdefghijklmnop',
    });
    expect(kannel.publicUrl).toBe('http://127.0.0.1:3100');
    expect(createGateway(kannel, log).name).toBe('kannel');
  });

  it('refuses an incomplete gateway configuration with a message naming the variable', () => {
    expect(() => loadConfig({ MEMBERDESK_SMS_GATEWAY: 'smpp' })).toThrow(/MEMBERDESK_SMPP_SYSTEM_ID/);
    expect(() => loadConfig({ MEMBERDESK_SMS_GATEWAY: 'smpp', MEMBERDESK_SMPP_SYSTEM_ID: 'x', MEMBERDESK_SMPP_WINDOW: '0' })).toThrow(/MEMBERDESK_SMPP_WINDOW/);
    expect(() => loadConfig({ MEMBERDESK_SMS_GATEWAY: 'kannel', MEMBERDESK_KANNEL_USERNAME: 'u', MEMBERDESK_KANNEL_PASSWORD: 'p' })).toThrow(
      /MEMBERDESK_KANNEL_CALLBACK_SECRET/,
    );
    expect(() =>
      loadConfig({ MEMBERDESK_SMS_GATEWAY: 'kannel', MEMBERDESK_KANNEL_USERNAME: 'u', MEMBERDESK_KANNEL_PASSWORD: 'p', MEMBERDESK_KANNEL_CALLBACK_SECRET: 'short%secret' }),
    ).toThrow(ConfigError);
    expect(() => loadConfig({ MEMBERDESK_PUBLIC_URL: 'ftp://x' })).toThrow(/MEMBERDESK_PUBLIC_URL/);
  });
});
