import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenant, login, loginAdmin, type Client } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

/** Member export: any member search as CSV or xlsx, streamed; masked without members.pii;
 * refused without members.export; audited with the filter and the row count. */
let server: TestServer;
let owner: { token: string; api: Client };
let hqId: string;

async function download(token: string, query: string) {
  const res = await fetch(`${server.baseUrl}/api/v1/members/export${query}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}

const csvRows = (buf: Buffer): string[][] => parse(buf.toString('utf8'), { bom: true });

async function xlsxRows(buf: Buffer): Promise<string[][]> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(buf as unknown as ArrayBuffer);
  const ws = wb.worksheets[0]!;
  const out: string[][] = [];
  ws.eachRow((row) => {
    const values = row.values as unknown[];
    out.push(Array.from({ length: values.length - 1 }, (_, i) => (values[i + 1] === null || values[i + 1] === undefined ? '' : String(values[i + 1]))));
  });
  return out;
}

async function operatorWith(code: string, permissions: string[]) {
  const role = await owner.api.post('/api/v1/roles', { code, name: code, permissions });
  expect(role.status).toBe(201);
  await owner.api.post('/api/v1/operators', { username: code, password: `${code}-password-1`, name: code, roleId: role.body.id, orgNodeId: hqId });
  return login(server.baseUrl, code, `${code}-password-1`, 'noodle-bar');
}

/** uploads go under <data dir>/imports: a folder of this file's own, removed afterwards */
const dataDir = path.join(os.tmpdir(), `memberdesk-export-test-${process.pid}`);

beforeAll(async () => {
  server = await startTestServer({ MEMBERDESK_DATA_DIR: dataDir });
  const admin = await loginAdmin(server.baseUrl);
  owner = await createTenant(server.baseUrl, admin, 'noodle-bar', '63');
  hqId = (await owner.api.get('/api/v1/org/nodes')).body.items.find((n: any) => n.kind === 'headquarters').id;
  await owner.api.post('/api/v1/org/nodes', { parentId: hqId, kind: 'store', name: '南山店', code: 'NS' });
  expect((await owner.api.post('/api/v1/members/attributes', { key: 'spicy', label: '辣度', type: 'single', options: ['微辣', '中辣', '特辣'] })).status).toBe(201);
  expect((await owner.api.post('/api/v1/members/attributes', { key: 'regular', label: '常客', type: 'boolean' })).status).toBe(201);
  // 40 members through the import, two of them named 张…; every other one with an email
  const lines = ['手机号,姓名,性别,生日,门店编码,标签,辣度,常客,邮箱'];
  for (let i = 0; i < 40; i++) {
    const name = i === 3 ? '张三' : i === 7 ? '=HYPERLINK("x")' : `会员${i}`;
    const email = i === 3 ? 'Zhang.San@Example.CN' : i % 2 ? `m${i}@example.cn` : '';
    lines.push(`1580000${String(i).padStart(4, '0')},"${name.replace(/"/g, '""')}",${i % 2 ? '女' : '男'},1990-01-${String((i % 28) + 1).padStart(2, '0')},${i < 10 ? 'NS' : ''},${i % 5 === 0 ? 'VIP|常客' : ''},${['微辣', '中辣', '特辣'][i % 3]},${i % 2 ? '是' : '否'},${email}`);
  }
  const up = await fetch(`${server.baseUrl}/api/v1/members/imports`, { method: 'POST', headers: { authorization: `Bearer ${owner.token}`, 'content-type': 'text/csv' }, body: lines.join('\n') });
  const id = ((await up.json()) as any).id;
  expect((await owner.api.post(`/api/v1/members/imports/${id}/commit`, {})).status).toBe(202);
  for (let i = 0; i < 200; i++) {
    const s = (await owner.api.get(`/api/v1/members/imports/${id}`)).body;
    if (s.status === 'completed') break;
    if (s.status === 'failed') throw new Error(JSON.stringify(s));
    await new Promise((r) => setTimeout(r, 50));
  }
});
afterAll(async () => {
  await server?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('export', () => {
  it('streams every member as CSV (UTF-8 with BOM, Chinese headers), newest first', async () => {
    const res = await download(owner.token, '?format=csv');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/csv');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="members-\d{8}-\d{6}\.csv"$/);
    expect(res.body.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    const rows = csvRows(res.body);
    expect(rows[0]).toEqual(['会员卡号', '手机号', '邮箱', '姓名', '性别', '生日', '门店', '等级', '积分', '等级积分', '储值余额(元)', '短信退订', '状态', '标签', '辣度', '常客', '注册时间']);
    expect(rows).toHaveLength(41);
    const zhang = rows.find((r) => r[3] === '张三')!;
    // the email as stored: the domain in lower case
    expect(zhang).toEqual(['00000004', '+8615800000003', 'Zhang.San@example.cn', '张三', '女', '1990-01-04', '南山店', '', '0', '0', '0.00', '否', '正常', '', '微辣', '是', expect.stringMatching(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/)]);
    // a formula in a name is defused for spreadsheet programs
    expect(rows.some((r) => r[3] === `'=HYPERLINK("x")`)).toBe(true);
    expect(rows[1]![0]).toBe('00000040');
    // members without an email have an empty cell
    expect(rows.find((r) => r[1] === '+8615800000000')![2]).toBe('');
    expect(rows.find((r) => r[1] === '+8615800000001')![2]).toBe('m1@example.cn');
  });

  it('exports a search (q, tag, storeId) and lang=en headers', async () => {
    const q = csvRows((await download(owner.token, `?q=${encodeURIComponent('张')}`)).body);
    expect(q.slice(1).map((r) => r[3])).toEqual(['张三']);
    const store = csvRows((await download(owner.token, `?storeId=${(await owner.api.get('/api/v1/org/nodes')).body.items.find((n: any) => n.code === 'NS').id}`)).body);
    expect(store).toHaveLength(1 + 10);
    const tagged = csvRows((await download(owner.token, `?tag=VIP&lang=en`)).body);
    expect(tagged[0]!.slice(0, 4)).toEqual(['cardNo', 'phone', 'email', 'name']);
    expect(tagged[0]).toContain('attributes.spicy');
    expect(tagged).toHaveLength(1 + 8);
    expect(tagged.slice(1).every((r) => r[13]!.split('|').includes('VIP'))).toBe(true);
    const phone = csvRows((await download(owner.token, '?phone=158-0000-0003')).body);
    expect(phone).toHaveLength(2);
    const bad = await download(owner.token, '?phone=12345');
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
    expect((await download(owner.token, '?format=pdf')).status).toBe(400);
    expect((await download(owner.token, '?foo=1')).status).toBe(400);
  });

  it('streams xlsx with every cell as text', async () => {
    const res = await download(owner.token, '?format=xlsx&q=' + encodeURIComponent('张三'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    expect(res.headers.get('content-disposition')).toMatch(/\.xlsx"$/);
    const rows = await xlsxRows(res.body);
    expect(rows[0]![0]).toBe('会员卡号');
    expect(rows.slice(1)).toEqual([['00000004', '+8615800000003', 'Zhang.San@example.cn', '张三', '女', '1990-01-04', '南山店', '', '0', '0', '0.00', '否', '正常', '', '微辣', '是', expect.any(String)]]);
    const all = await xlsxRows((await download(owner.token, '?format=xlsx')).body);
    expect(all).toHaveLength(41);
  });

  it('masks phones, emails and names for an operator without members.pii, and refuses one without members.export', async () => {
    const exporter = await operatorWith('exporter', ['members.read', 'members.export']);
    const rows = csvRows((await download(exporter, '?q=' + encodeURIComponent('张三'))).body);
    expect(rows[1]!.slice(0, 4)).toEqual(['00000004', '158****0003', 'Z***@example.cn', '张*']);
    const xlsx = await xlsxRows((await download(exporter, '?format=xlsx')).body);
    expect(xlsx.slice(1).every((r) => /^\d{3}\*{4}\d{4}$/.test(r[1]!))).toBe(true);
    expect(xlsx.slice(1).filter((r) => r[2] !== '').map((r) => r[2])).toHaveLength(20);
    expect(xlsx.slice(1).every((r) => r[2] === '' || /^[A-Za-z]\*\*\*@example\.cn$/.test(r[2]!))).toBe(true);
    expect(xlsx.some((r) => r.includes('m1@example.cn'))).toBe(false);

    const reader = await operatorWith('reader', ['members.read', 'members.pii']);
    const refused = await download(reader, '?format=csv');
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.body.toString()).detail).toMatch(/members\.export/);
  });

  it('writes an audit entry with the filter, the row count and whether it was masked', async () => {
    await download(owner.token, '?format=csv&tag=VIP');
    const log = await owner.api.get('/api/v1/audit-log?action=member.export');
    expect(log.status).toBe(200);
    const entries = log.body.items;
    expect(entries[0]).toMatchObject({ action: 'member.export', actorName: expect.any(String), detail: { format: 'csv', filter: { tag: 'VIP' }, rows: 8, masked: false, complete: true } });
    expect(entries.some((e: any) => e.actorName === 'exporter' && e.detail.masked === true)).toBe(true);
  });

  it('an export imports back: every column is recognised, and a merge changes nothing', async () => {
    const file = (await download(owner.token, '?format=xlsx')).body;
    const up = await fetch(`${server.baseUrl}/api/v1/members/imports`, {
      method: 'POST',
      headers: { authorization: `Bearer ${owner.token}`, 'content-type': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' },
      body: new Uint8Array(file),
    });
    const imp = (await up.json()) as any;
    expect(Object.keys(imp.suggestedMapping).sort()).toEqual([...imp.columns].sort());
    const dry = await owner.api.post(`/api/v1/members/imports/${imp.id}/dry-run`, { onDuplicate: 'merge' });
    expect(dry.status).toBe(202);
    let state = dry.body;
    while (state.status === 'validating') state = (await owner.api.get(`/api/v1/members/imports/${imp.id}`)).body;
    expect(state).toMatchObject({ status: 'validated', errorCount: 0, progress: { total: 40, merged: 40, imported: 0, failed: 1 - 1 } });
  });
});
