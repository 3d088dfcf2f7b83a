import fc from 'fast-check';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import type { AttributeDef } from '../attributes.rules.js';
import { normalizeMobile } from '../phone.rules.js';
import { csvField, exportCells, exportHeaders, type ExportRow } from '../export/format.rules.js';
import { demoHeader, demoMobile, demoRows, MOBILE_PREFIXES } from './demo.rules.js';
import { FormatSniffer, guessDelimiter } from './detect.rules.js';
import { copyText, textArrayLiteral } from './load.js';
import { checkMapping, headerKey, resolveColumns, suggestMapping, uniqueHeaders } from './mapping.rules.js';
import { MobileCache, parseDate, parseLocalDateTime, readRow, type RowContext } from './row.rules.js';

const sniff = (...chunks: Buffer[]) => {
  const s = new FormatSniffer();
  for (const c of chunks) s.push(c);
  return s.finish();
};

describe('format and encoding detection', () => {
  it('tells UTF-8 (with or without BOM), GBK, UTF-16 and xlsx apart', () => {
    const text = '手机号,姓名\n13800138000,张三\n';
    expect(sniff(Buffer.from(text))).toEqual({ ok: true, format: 'csv', encoding: 'utf-8' });
    expect(sniff(Buffer.from('\ufeff' + text))).toEqual({ ok: true, format: 'csv', encoding: 'utf-8' });
    expect(sniff(iconv.encode(text, 'gbk'))).toEqual({ ok: true, format: 'csv', encoding: 'gb18030' });
    expect(sniff(iconv.encode(text, 'gb18030'))).toEqual({ ok: true, format: 'csv', encoding: 'gb18030' });
    expect(sniff(Buffer.concat([Buffer.from([0xff, 0xfe]), iconv.encode(text, 'utf-16le')]))).toEqual({ ok: true, format: 'csv', encoding: 'utf-16le' });
    expect(sniff(Buffer.from('PK\u0003\u0004rest', 'latin1'))).toEqual({ ok: true, format: 'xlsx' });
  });

  it('decides over the whole file, whatever the chunk boundaries', () => {
    const gbk = iconv.encode('姓名\n' + '张三,李四\n'.repeat(1000), 'gbk');
    fc.assert(
      fc.property(fc.integer({ min: 1, max: gbk.length - 1 }), (cut) => {
        expect(sniff(gbk.subarray(0, cut), gbk.subarray(cut))).toMatchObject({ encoding: 'gb18030' });
      }),
      { numRuns: 50 },
    );
    const utf8 = Buffer.from('姓名\n' + '张三,李四\n'.repeat(1000));
    fc.assert(
      fc.property(fc.integer({ min: 1, max: utf8.length - 1 }), (cut) => {
        expect(sniff(utf8.subarray(0, cut), utf8.subarray(cut))).toMatchObject({ encoding: 'utf-8' });
      }),
      { numRuns: 50 },
    );
  });

  it('rejects empty files, binary data, .xls and bytes that are neither UTF-8 nor GBK', () => {
    expect(sniff()).toMatchObject({ ok: false, code: 'import_empty' });
    expect(sniff(Buffer.from([0x41, 0x00, 0x42]))).toMatchObject({ ok: false, code: 'import_file_type', message: expect.stringContaining('byte 1') });
    expect(sniff(Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0, 0]))).toMatchObject({ ok: false, code: 'import_file_type', message: expect.stringContaining('.xls') });
    const bad = sniff(Buffer.from('abc,'), Buffer.from([0xff, 0xff, 0x0a]));
    expect(bad).toMatchObject({ ok: false, code: 'import_encoding', message: expect.stringContaining('offset 4') });
    // control characters are not text either
    expect(sniff(Buffer.from([0xb0, 0xa1, 0x01, 0x02]))).toMatchObject({ ok: false, code: 'import_encoding' });
  });

  it('guesses the delimiter from the header line', () => {
    expect(guessDelimiter('a,b,c')).toBe(',');
    expect(guessDelimiter('a\tb\tc')).toBe('\t');
    expect(guessDelimiter('a;b;"c,d"')).toBe(';');
    expect(guessDelimiter('只有一列')).toBe(',');
  });
});

const defs: AttributeDef[] = [
  { key: 'taste', label: '口味', type: 'single', required: false, options: ['甜', '咸'] },
  { key: 'visits', label: '到店次数', type: 'number', required: false, options: [] },
  { key: 'vip', label: 'VIP', type: 'boolean', required: false, options: [] },
];

describe('column mapping', () => {
  it('normalises headers and suggests fields, attributes and ignores', () => {
    expect(headerKey(' 手机号码（必填）*')).toBe('手机号码');
    expect(headerKey('Card_No')).toBe('cardno');
    expect(suggestMapping(['手机号码*', 'Name', '性别', '出生日期', '卡号', '门店', '标签', '口味', 'attributes.visits', 'vip', '积分', '储值余额(元)', '备注', '电话'], defs)).toEqual({
      '手机号码*': 'phone',
      Name: 'name',
      性别: 'gender',
      出生日期: 'birthday',
      卡号: 'cardNo',
      门店: 'storeName',
      标签: 'tags',
      口味: 'attributes.taste',
      'attributes.visits': 'attributes.visits',
      vip: 'attributes.vip',
      积分: null,
      '储值余额(元)': null,
      备注: undefined,
      电话: undefined, // phone is taken by the first column
    });
  });

  it('suggests email for its Chinese and English headers, whatever the case', () => {
    for (const h of ['邮箱', '电子邮件', '电子邮箱', 'Email', 'E-mail', 'EMAIL', 'e_mail', 'Email Address', '邮箱（选填）']) {
      expect(suggestMapping(['手机号', h], defs), h).toEqual({ 手机号: 'phone', [h]: 'email' });
    }
    // one column per field: a second email column is the user's decision
    expect(suggestMapping(['邮箱', 'E-mail'], defs)).toEqual({ 邮箱: 'email', 'E-mail': undefined });
  });

  it('checks explicit mappings against the file and the attributes', () => {
    expect(checkMapping({ 手机: 'phone', 颜色: 'attributes.color' }, ['手机', '颜色'], defs)).toEqual([
      { path: 'body.mapping.颜色', message: expect.stringContaining('attributes.color is not an attribute this merchant has defined (defined: taste, visits, vip)') },
    ]);
    expect(checkMapping({ 电话: 'phone' }, ['手机'], defs)[0]!.message).toContain('is not a column of the file (its columns are: 手机)');
  });

  it('resolves columns, explicit entries first, and reports header problems', () => {
    const columns = ['手机', '姓名', '备注', '电话'];
    const suggested = suggestMapping(columns, defs);
    const blind = resolveColumns(columns, {}, suggested);
    expect(blind.columns.map((c) => c.target)).toEqual(['phone', 'name']);
    expect(blind.errors.map((e) => e.column)).toEqual(['备注', '电话']);
    const decided = resolveColumns(columns, { 备注: null, 电话: null }, suggested);
    expect(decided.errors).toEqual([]);
    const twice = resolveColumns(columns, { 备注: null, 电话: 'phone' }, suggested);
    expect(twice.errors).toEqual([{ column: '电话', value: '电话', reason: expect.stringContaining('like column "手机"') }]);
    const noPhone = resolveColumns(['姓名'], {}, suggestMapping(['姓名'], defs));
    expect(noPhone.errors[0]!.reason).toContain('no column is mapped to phone');
    expect(uniqueHeaders(['备注', '备注', ' 备注 '])).toEqual(['备注', '备注 (2)', '备注 (3)']);
  });
});

describe('row checks', () => {
  const ctx = (over: Partial<RowContext> = {}): RowContext => ({
    defs: new Map(defs.map((d) => [d.key, d])),
    cardPlan: { prefix: 'VIP', digits: 6, checkDigit: false },
    storesByCode: new Map([['S1', '11']]),
    storesByName: new Map<string, string | null>([['朝阳店', '11'], ['同名店', null]]),
    today: '2025-06-30',
    mobiles: new MobileCache(),
    ...over,
  });
  const cols = resolveColumns(
    ['手机', '姓名', '性别', '生日', '卡号', '门店编码', '门店', '标签', '口味', '到店次数', 'VIP', '注册时间'],
    {},
    suggestMapping(['手机', '姓名', '性别', '生日', '卡号', '门店编码', '门店', '标签', '口味', '到店次数', 'VIP', '注册时间'], defs),
  ).columns;

  it('stages a good row', () => {
    const { row, errors } = readRow(['138-0013-8000', ' 张三\u200b ', '女士', '1990年1月2日', 'vip000042', 'S1', '', '老客，午市|老客', '甜', '1,200', '是', '2020/5/6 7:08'], cols, 2, ctx());
    expect(errors).toEqual([]);
    expect(row).toEqual({
      rowNo: 2,
      phone: '+8613800138000',
      name: '张三',
      gender: 'female',
      birthday: '1990-01-02',
      email: null,
      cardNo: 'VIP000042',
      storeId: '11',
      attributes: { taste: '甜', visits: 1200, vip: true },
      tags: ['老客', '午市'],
      createdAt: '2020-05-06 07:08:00',
    });
  });

  it('names every bad cell of a row', () => {
    const { row, errors } = readRow(['010-88886666', 'x'.repeat(101), '不详', '2030-01-01', 'VIP12', 'S9', '', '', '辣', 'abc', '也许', '2031-01-01'], cols, 7, ctx());
    expect(row).toBeNull();
    expect(errors).toEqual([
      { column: '手机', value: '010-88886666', reason: 'is not a mobile number' },
      { column: '姓名', value: 'x'.repeat(101), reason: 'is longer than 100 characters' },
      { column: '性别', value: '不详', reason: expect.stringContaining('must be 男 or 女') },
      { column: '生日', value: '2030-01-01', reason: 'must be between 1900-01-01 and today (2025-06-30)' },
      { column: '卡号', value: 'VIP12', reason: 'is outside the card-number plan (prefix VIP, 6 digits)' },
      { column: '门店编码', value: 'S9', reason: 'is not the code of a store you may assign members to' },
      { column: '口味', value: '辣', reason: 'must be one of 甜, 咸' },
      { column: '到店次数', value: 'abc', reason: 'must be a number' },
      { column: 'VIP', value: '也许', reason: 'must be true or false' },
      { column: '注册时间', value: '2031-01-01', reason: 'is in the future' },
    ]);
    // the verdicts of attribute cells are remembered, and the same either way
    expect(readRow(['13800138000', '', '', '', '', '', '', '', '辣', '', '', ''], cols, 8, ctx()).errors).toEqual([{ column: '口味', value: '辣', reason: 'must be one of 甜, 咸' }]);
    const sameName = readRow(['13800138000', '', '', '', '', '', '同名店', '', '', '', '', ''], cols, 3, ctx());
    expect(sameName.errors[0]!.reason).toContain('two stores have this name');
    const missing = readRow(['', '张三', '', '', '', '', '', '', '', '', '', ''], cols, 4, ctx());
    expect(missing.errors).toEqual([{ column: '手机', value: '', reason: expect.stringContaining('is required') }]);
  });

  it('reads an email cell as the member API does: normalised, empty = none, malformed = an error', () => {
    const emailCols = resolveColumns(['手机', '邮箱'], {}, suggestMapping(['手机', '邮箱'], defs)).columns;
    const read = (email: string) => readRow(['13800138000', email], emailCols, 5, ctx());
    expect(read(' Zhang.Wei@Example.CN ')).toEqual({ row: expect.objectContaining({ phone: '+8613800138000', email: 'Zhang.Wei@example.cn' }), errors: [] });
    expect(read('')).toEqual({ row: expect.objectContaining({ email: null }), errors: [] });
    expect(read('   ')).toEqual({ row: expect.objectContaining({ email: null }), errors: [] });
    expect(read('小王@例子.中国').errors).toEqual([{ column: '邮箱', value: '小王@例子.中国', reason: 'has characters not allowed before the @' }]);
    expect(read('wang@例子.中国').row!.email).toBe('wang@例子.中国');
    for (const [bad, reason] of [
      ['zhang.example.cn', 'is not an email address (local@domain)'],
      ['zhang@localhost', 'has no valid domain after the @'],
      ['张 三 <z@example.cn>', 'has characters not allowed before the @'],
    ] as const) {
      expect(read(bad), bad).toEqual({ row: null, errors: [{ column: '邮箱', value: bad, reason }] });
    }
    // a bad email is named with the other bad cells of its row, in column order
    expect(readRow(['12345', 'x@'], emailCols, 6, ctx()).errors.map((e) => e.column)).toEqual(['手机', '邮箱']);
  });

  it('reads dates the ways spreadsheets write them', () => {
    expect(parseDate('1990/1/2')).toBe('1990-01-02');
    expect(parseDate('19900102')).toBe('1990-01-02');
    expect(parseDate('1990.01.02 00:00:00')).toBe('1990-01-02');
    expect(parseDate('32874')).toBe('1990-01-01'); // Excel serial day
    expect(parseDate('1990-02-30')).toBeNull();
    expect(parseDate('02/01/1990')).toBeNull(); // ambiguous day/month orders are refused
    expect(parseLocalDateTime('2020-05-06T07:08:09')).toBe('2020-05-06 07:08:09');
    expect(parseLocalDateTime('2020-05-06 25:00')).toBeNull();
  });

  it('the mobile cache gives normalizeMobile verdicts, per number block', () => {
    const cache = new MobileCache();
    const digits = fc.stringMatching(/^1[0-9]{10}$/);
    fc.assert(
      fc.property(digits, (n) => {
        expect(cache.check(n)).toEqual(normalizeMobile(n));
        expect(cache.check('+86' + n)).toEqual(normalizeMobile('+86' + n));
      }),
      { numRuns: 3000 },
    );
    for (const raw of ['138 0013 8000', '0086 138-0013-8000', '12345', '+44 7911 123456']) expect(cache.check(raw)).toEqual(normalizeMobile(raw));
  });
});

describe('COPY text', () => {
  it('escapes what COPY treats specially', () => {
    expect(copyText('a\tb\nc\\d\re')).toBe('a\\tb\\nc\\\\d\\re');
    expect(copyText('普通')).toBe('普通');
    expect(textArrayLiteral([])).toBe('{}');
    expect(textArrayLiteral(['a "b"', 'c\\d', 'e,f'])).toBe('{"a \\"b\\"","c\\\\d","e,f"}');
  });
});

describe('CSV output', () => {
  it('quotes when needed and defuses formulas, but not phone numbers', () => {
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('=1+1')).toBe("'=1+1");
    expect(csvField('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvField('+8613800138000')).toBe('+8613800138000');
    expect(csvField('-12.5')).toBe('-12.5');
    expect(csvField(null)).toBe('');
  });
});

describe('export cells', () => {
  const member: ExportRow = {
    card_no: '00000001', phone: '+8613800138000', email: 'zhang.wei@example.cn', name: '张三', gender: 'male', birthday: null,
    store_name: null, tier_code: null, points: '0', tier_points: '0', stored_value_fen: '0', sms_opt_out: false, status: 'active',
    tags: [], attributes: {}, created_local: '2025-01-01 00:00:00',
  };
  it('carry the email after the phone, masked like it without members.pii, and re-import by header', () => {
    expect(exportHeaders([], 'zh').slice(0, 4)).toEqual(['会员卡号', '手机号', '邮箱', '姓名']);
    expect(exportHeaders([], 'en').slice(0, 4)).toEqual(['cardNo', 'phone', 'email', 'name']);
    expect(exportCells(member, [], 'zh', true).slice(1, 4)).toEqual(['+8613800138000', 'zhang.wei@example.cn', '张三']);
    expect(exportCells(member, [], 'zh', false).slice(1, 4)).toEqual(['138****8000', 'z***@example.cn', '张*']);
    expect(exportCells({ ...member, email: null }, [], 'en', false)[2]).toBe('');
    for (const lang of ['zh', 'en'] as const) expect(suggestMapping(exportHeaders([], lang), [])[lang === 'zh' ? '邮箱' : 'email']).toBe('email');
  });
});

describe('demo members', () => {
  it('have valid, unique mobile numbers and rows that read without errors', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 20_000; i++) {
      const m = demoMobile(i, 42);
      expect(seen.has(m)).toBe(false);
      seen.add(m);
    }
    for (const prefix of MOBILE_PREFIXES) expect(normalizeMobile(prefix + '12345678').ok, prefix).toBe(true);
    const header = demoHeader(defs);
    const { columns, errors } = resolveColumns(header, {}, suggestMapping(header, defs));
    expect(errors).toEqual([]);
    const c: RowContext = { defs: new Map(defs.map((d) => [d.key, d])), cardPlan: null, storesByCode: new Map([['BJ01', '1']]), storesByName: new Map(), today: '2099-01-01', mobiles: new MobileCache() };
    let i = 2;
    for (const cells of demoRows(0, 2000, { seed: 3, stores: [{ code: 'BJ01', name: '北京' }], defs, now: new Date('2025-01-01T00:00:00Z') })) {
      expect(readRow(cells, columns, i++, c).errors).toEqual([]);
    }
    // the same seed gives the same people
    expect([...demoRows(5, 3, { seed: 3, stores: [], defs, now: new Date(0) })]).toEqual([...demoRows(5, 3, { seed: 3, stores: [], defs, now: new Date(0) })]);
  });
});
