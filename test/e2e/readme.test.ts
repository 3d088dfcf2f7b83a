import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/platform/paths.js';
import { configDocs, loadConfig, ConfigError } from '../../src/server/config.js';

describe('configuration', () => {
  it('documents every environment variable in the README', () => {
    const readme = readFileSync(path.join(packageRoot(), 'README.md'), 'utf8');
    for (const v of configDocs) expect(readme, v.name).toContain(`| \`${v.name}\` |`);
  });

  it('refuses bad values with a message naming the variable', () => {
    expect(() => loadConfig({ PORT: 'abc' })).toThrow(ConfigError);
    expect(() => loadConfig({ PORT: 'abc' })).toThrow(/PORT/);
    expect(() => loadConfig({ MEMBERDESK_SMS_GATEWAY: 'carrier-pigeon' })).toThrow(/MEMBERDESK_SMS_GATEWAY/);
    expect(loadConfig({}).port).toBe(3000);
    expect(Object.isFrozen(loadConfig({}))).toBe(true);
  });
});
