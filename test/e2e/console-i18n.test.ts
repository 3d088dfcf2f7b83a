import { describe, expect, it } from 'vitest';
import en from '../../console/src/app/i18n/en.js';
import zhCN from '../../console/src/app/i18n/zh-CN.js';
import { formatFen, yuanToFen } from '../../console/src/ui/format.js';

/** `{a: {b: 'x'}}` → Map { 'a.b' => 'x' }. */
function flatten(obj: Record<string, unknown>, prefix = '', out = new Map<string, unknown>()): Map<string, unknown> {
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === 'object') flatten(v as Record<string, unknown>, key, out);
    else out.set(key, v);
  }
  return out;
}

const placeholders = (s: unknown) => [...String(s).matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1]).sort();

describe('console messages', () => {
  const zh = flatten(zhCN);
  const e = flatten(en);

  it('zh-CN and en have exactly the same keys', () => {
    const onlyZh = [...zh.keys()].filter((k) => !e.has(k));
    const onlyEn = [...e.keys()].filter((k) => !zh.has(k));
    expect({ onlyZh, onlyEn }).toEqual({ onlyZh: [], onlyEn: [] });
    expect(zh.size).toBeGreaterThan(100);
  });

  it('every message is a non-empty string with the same {{placeholders}} in both languages', () => {
    for (const [k, v] of zh) {
      expect(typeof v, k).toBe('string');
      expect((v as string).trim(), k).not.toBe('');
      expect(typeof e.get(k), k).toBe('string');
      expect((e.get(k) as string).trim(), k).not.toBe('');
      expect(placeholders(e.get(k)), k).toEqual(placeholders(v));
    }
  });

  it('the English file is really English (no CJK outside the language names)', () => {
    const cjk = [...e].filter(([k, v]) => k !== 'lang.zh-CN' && /[\u4e00-\u9fff]/.test(String(v))).map(([k]) => k);
    expect(cjk).toEqual([]);
  });
});

describe('money display', () => {
  it('formats fen as yuan with grouping', () => {
    expect(formatFen(123450)).toBe('¥1,234.50');
    expect(formatFen(0)).toBe('¥0.00');
    expect(formatFen(5)).toBe('¥0.05');
    expect(formatFen(-1999)).toBe('-¥19.99');
    expect(formatFen(100_000_000_00)).toBe('¥100,000,000.00');
    expect(formatFen(1000, 'HKD')).toBe('HK$10.00');
  });

  it('turns typed yuan into whole fen without float noise', () => {
    expect(yuanToFen(0.1 + 0.2)).toBe(30);
    expect(yuanToFen(1234.5)).toBe(123450);
    expect(yuanToFen(19.99)).toBe(1999);
  });
});
