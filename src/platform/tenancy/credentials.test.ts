import { describe, expect, it } from 'vitest';
import { hashPassword, newApiKey, parseApiKey, tokenHash, verifyPassword } from './credentials.js';

describe('credentials', () => {
  it('hashes passwords with a salt and verifies them', async () => {
    const a = await hashPassword('correct horse');
    const b = await hashPassword('correct horse');
    expect(a).not.toBe(b);
    expect(a.startsWith('scrypt$')).toBe(true);
    expect(await verifyPassword('correct horse', a)).toBe(true);
    expect(await verifyPassword('wrong horse', a)).toBe(false);
    expect(await verifyPassword('x', 'garbage')).toBe(false);
  });

  it('API keys name their tenant and nothing else parses as one', () => {
    const key = newApiKey('42');
    expect(parseApiKey(key)).toEqual({ tenantId: '42' });
    expect(parseApiKey('mdk_42_short')).toBeNull();
    expect(parseApiKey('mds_' + key.slice(4))).toBeNull();
    expect(tokenHash(key)).toHaveLength(32);
  });
});
