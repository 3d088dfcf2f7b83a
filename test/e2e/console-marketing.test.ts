/**
 * The marketing pages of the web console in a real browser against the real server: the owner
 * builds the segment "生日在本月 且 近90天消费 ≥ 100 元 且 等级 = 金卡 且 (标签 vip 或 wine)"
 * with the visual builder, the live count equals what the API counts for the same filter, a
 * bad phone shows its error at its row, the segment is saved (its filter is the one built),
 * reopened from the list and edited; email settings keep the SMTP password write-only; the
 * email log; a member's email on the member page; English; a phone at 390x844.
 * Screenshots: artifacts/screenshots/marketing-*.png. Needs `npm run build:console` first.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, newPage, screenshotter } from '../support/browser.js';
import { button, choose, login, menuItem, openFromMenu, pageWidth, reportFailure, watch } from '../support/console.js';
import { createTenant, loginAdmin, type Client } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

let server: TestServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let owner: Client;
const complaints: string[] = [];
const shot = screenshotter('marketing');
const ids: Record<string, string> = {};
let segmentId = '';
let storeId = '';

const squash = (s: string) => s.replace(/\s+/g, ' ').trim();
const poll = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 15_000 });
/** The month now in the merchant's timezone (Asia/Shanghai). */
const thisMonth = Number(new Intl.DateTimeFormat('en', { timeZone: 'Asia/Shanghai', month: 'numeric' }).format(new Date()));
const otherMonth = (thisMonth % 12) + 1;
const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString();

/** The filter the test builds by hand in the browser. */
const built = (minFen: number) => ({
  all: [
    { field: 'tier', op: 'eq', value: 'GOLD' },
    { field: 'birthdayMonth', op: 'eq', value: thisMonth },
    { field: 'spendFen', op: 'gte', value: minFen, days: 90 },
    {
      any: [
        { field: 'tag', op: 'eq', value: 'vip' },
        { field: 'tag', op: 'eq', value: 'wine' },
      ],
    },
  ],
});

async function apiCount(filter: unknown): Promise<number> {
  const res = await owner.post('/api/v1/segments/preview', { filter });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.count as number;
}

async function member(label: string, o: { month: number; gold: boolean; spendFen: number; tags?: string[]; email?: string; color?: string; storeId?: string }) {
  const res = await owner.post('/api/v1/members', {
    phone: `139000000${String(Object.keys(ids).length + 10)}`,
    name: label,
    birthday: `1990-${String(o.month).padStart(2, '0')}-10`,
    tags: o.tags,
    email: o.email,
    attributes: o.color ? { color: o.color } : undefined,
    storeId: o.storeId,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  ids[label] = res.body.id;
  if (o.gold) expect((await owner.post(`/api/v1/members/${res.body.id}/tier`, { code: 'GOLD', reason: 'test' })).status).toBe(201);
  if (o.spendFen) expect((await owner.post('/api/v1/transactions', { member: { id: res.body.id }, amountFen: o.spendFen, occurredAt: daysAgo(10) })).status).toBe(201);
}

beforeAll(async () => {
  server = await startTestServer();
  const adminToken = await loginAdmin(server.baseUrl);
  const t = await createTenant(server.baseUrl, adminToken, 'mkt-one', '41');
  owner = t.api;
  expect(
    (
      await owner.put('/api/v1/loyalty/tiers', [
        { code: 'SILVER', name: '银卡', threshold: 0, discountPct: 0 },
        { code: 'GOLD', name: '金卡', threshold: 1_000_000, discountPct: 0 },
      ])
    ).status,
  ).toBe(200);
  const rootNode = (await owner.get('/api/v1/org/nodes')).body.items[0].id;
  storeId = (await owner.post('/api/v1/org/nodes', { parentId: rootNode, kind: 'store', name: '南京西路店' })).body.id;
  expect((await owner.post('/api/v1/members/attributes', { key: 'color', label: '喜欢的颜色', type: 'single', options: ['red', 'blue'] })).status).toBe(201);
  // in: 安 (150 yuan, vip), 恩 (300 yuan, wine); out: 贝 (50 yuan), 曹 (silver), 丁 (other month), 范 (no tag)
  await member('安', { month: thisMonth, gold: true, spendFen: 15_000, tags: ['vip'], email: 'an@example.com', color: 'red', storeId });
  await member('恩', { month: thisMonth, gold: true, spendFen: 30_000, tags: ['wine'], color: 'red' });
  await member('贝', { month: thisMonth, gold: true, spendFen: 5_000, tags: ['vip'], color: 'blue', storeId });
  await member('曹', { month: thisMonth, gold: false, spendFen: 20_000, tags: ['vip'] });
  await member('丁', { month: otherMonth, gold: true, spendFen: 20_000, tags: ['vip'] });
  await member('范', { month: thisMonth, gold: true, spendFen: 12_000 });

  browser = await launchBrowser();
  ({ context, page } = await newPage(browser, server.baseUrl));
  watch(page, complaints);
  await login(page, 'mkt-one', 'owner', 'owner-password-1');
});

afterEach(async (ctx) => {
  await reportFailure(ctx, page, shot);
});

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await server?.close();
});

describe('marketing pages', () => {
  it('builds a segment with an any-group inside; the live count equals the API count; a bad value shows at its row; saves', async () => {
    await openFromMenu(page, '营销', '客户细分', '客户细分');
    await button(page, '新建细分').click();
    await page.getByRole('heading', { name: '新建客户细分', exact: true }).waitFor();
    await page.getByLabel('细分名称', { exact: true }).fill('本月生日金卡');
    const root = page.getByTestId('filter-root');
    // an empty "all" matches everyone
    await poll(async () => squash(await page.getByTestId('live-count').innerText())).toContain('符合条件：6 人');

    await button(page, '添加条件').click();
    await choose(page, root, '条件 1 值', '金卡');
    await button(page, '添加条件').click();
    await choose(page, root, '条件 2 字段', '生日月份');
    await choose(page, root, '条件 2 值', `${thisMonth} 月（本月）`);
    await button(page, '添加条件').click();
    await choose(page, root, '条件 3 字段', '消费金额');
    // only the operators of the field: spend has no "contains" and no "filled in?"
    await root.getByLabel('条件 3 运算', { exact: true }).click();
    const ops = page.locator('.ant-select-dropdown:visible .ant-select-item-option');
    await poll(async () => (await ops.allInnerTexts()).map((s) => s.trim())).toEqual(['等于', '不等于', '大于', '大于等于', '小于', '小于等于', '介于', '属于', '不属于']);
    await page.keyboard.press('Escape');
    await root.getByLabel('条件 3 值', { exact: true }).fill('100');
    await root.getByLabel('条件 3 天数', { exact: true }).fill('90');
    await poll(async () => squash(await page.getByTestId('live-count').innerText())).toContain('符合条件：3 人');

    await button(page, '添加条件组').click();
    const group = page.getByRole('region', { name: '条件组 1' });
    await choose(page, group, '条件 4 字段', '标签');
    await group.getByLabel('条件 4 值', { exact: true }).fill('vip');
    await button(group, '添加条件 (条件组 1)').click();
    await choose(page, group, '条件 5 字段', '标签');
    await group.getByLabel('条件 5 值', { exact: true }).fill('wine');
    expect(await apiCount(built(10_000))).toBe(2);
    await poll(async () => squash(await page.getByTestId('live-count').innerText())).toContain('符合条件：2 人');
    await poll(async () => squash(await page.getByTestId('preview-count').innerText())).toBe('2');
    const sample = page.getByTestId('preview-sample');
    await poll(async () => squash(await sample.innerText())).toContain('恩');
    expect(squash(await sample.innerText())).toContain('安');
    expect(squash(await sample.innerText())).not.toContain('范');
    await shot(page, 'builder', true);

    // a bad value: the server's message at that row, no count meanwhile
    await button(page, '添加条件').click();
    await choose(page, root, '条件 6 字段', '手机号');
    await root.getByLabel('条件 6 值', { exact: true }).fill('12345');
    const row6 = page.getByRole('group', { name: '条件 6' });
    await poll(async () => squash(await row6.getByTestId('condition-error').innerText().catch(() => ''))).toContain('phone');
    expect(await page.getByRole('group', { name: '条件 5' }).getByTestId('condition-error').count()).toBe(0);
    await poll(async () => squash(await page.getByTestId('live-count').innerText())).toContain('符合条件：—');
    await shot(page, 'field-error', true);
    await button(row6, '删除 条件 6').click();
    await poll(async () => squash(await page.getByTestId('live-count').innerText())).toContain('符合条件：2 人');

    await button(page, '保存细分').click();
    await page.getByText('已保存细分“本月生日金卡”').waitFor();
    await page.getByRole('heading', { name: '编辑客户细分', exact: true }).waitFor();
    const list = (await owner.get('/api/v1/segments')).body.items;
    expect(list).toHaveLength(1);
    expect(list[0].name).toBe('本月生日金卡');
    expect(list[0].filter).toEqual(built(10_000));
    segmentId = list[0].id;
    expect(page.url()).toContain(`/marketing/segments/${segmentId}`);
    expect((await owner.get(`/api/v1/segments/${segmentId}/count`)).body.count).toBe(2);
  });

  it('reopens the saved segment from the list and edits it (rename, spend ≥ 200 yuan)', async () => {
    await openFromMenu(page, '营销', '客户细分', '客户细分');
    const row = page.getByRole('row').filter({ hasText: '本月生日金卡' });
    await poll(async () => squash(await row.innerText())).toContain('2 人');
    await row.getByText('本月生日金卡').click();
    await page.getByRole('heading', { name: '编辑客户细分', exact: true }).waitFor();
    const root = page.getByTestId('filter-root');
    await poll(() => root.getByLabel('条件 3 值', { exact: true }).inputValue()).toBe('100.00');
    expect(await root.getByLabel('条件 3 天数', { exact: true }).inputValue()).toBe('90');
    expect(await root.getByLabel('条件 5 值', { exact: true }).inputValue()).toBe('wine');
    await poll(async () => squash(await page.getByTestId('live-count').innerText())).toBe('符合条件：2 人');
    await root.getByLabel('条件 3 值', { exact: true }).fill('200');
    await page.getByLabel('细分名称', { exact: true }).fill('本月生日金卡 200');
    await poll(async () => squash(await page.getByTestId('live-count').innerText())).toBe('符合条件：1 人未保存');
    expect(await apiCount(built(20_000))).toBe(1);
    await button(page, '保存细分').click();
    await page.getByText('已保存细分“本月生日金卡 200”').waitFor();
    const s = (await owner.get(`/api/v1/segments/${segmentId}`)).body;
    expect(s.name).toBe('本月生日金卡 200');
    expect(s.filter).toEqual(built(20_000));
    expect((await owner.get(`/api/v1/segments/${segmentId}/count`)).body.count).toBe(1);
    expect(complaints).toEqual([]);
  });

  it('an attribute and a store: the value inputs come from the merchant’s definitions and stores; a not-group', async () => {
    await openFromMenu(page, '营销', '客户细分', '客户细分');
    await button(page, '新建细分').click();
    await page.getByRole('heading', { name: '新建客户细分', exact: true }).waitFor();
    const root = page.getByTestId('filter-root');
    await button(page, '添加条件').click();
    await choose(page, root, '条件 1 字段', '喜欢的颜色');
    await choose(page, root, '条件 1 值', 'red');
    await poll(async () => squash(await page.getByTestId('live-count').innerText())).toContain('符合条件：2 人');
    await button(page, '添加条件组').click();
    const group = page.getByRole('region', { name: '条件组 1' });
    await choose(page, group, '条件组 1 匹配方式', '不满足');
    await choose(page, group, '条件 2 字段', '所属门店');
    await choose(page, group, '条件 2 值', '南京西路店');
    const filter = { all: [{ field: 'attributes.color', op: 'eq', value: 'red' }, { not: { all: [{ field: 'storeId', op: 'eq', value: storeId }] } }] };
    expect(await apiCount(filter)).toBe(1);
    await poll(async () => squash(await page.getByTestId('live-count').innerText())).toContain('符合条件：1 人');
    await poll(async () => squash(await page.getByTestId('preview-sample').innerText())).toContain('恩');
    await shot(page, 'attribute-store-not', true);
    // leaving with unsaved changes asks first; staying keeps the work, leaving stores nothing
    await menuItem(page, '邮件记录').click();
    await page.getByText('细分的修改还没有保存，离开后将丢失。').waitFor();
    await button(page.getByRole('dialog'), '留下').click();
    await page.getByRole('dialog').waitFor({ state: 'hidden' });
    expect(await page.getByRole('heading', { name: '新建客户细分', exact: true }).count()).toBe(1);
    await menuItem(page, '邮件记录').click();
    await button(page.getByRole('dialog'), '离开').click();
    await page.getByRole('heading', { name: '邮件记录', exact: true }).waitFor();
    expect((await owner.get('/api/v1/segments')).body.items).toHaveLength(1);
    expect(complaints).toEqual([]);
  });

  it('email settings: sender and own SMTP server; the password is never shown back; the log lists a sent email', async () => {
    await openFromMenu(page, '营销', '邮件设置', '邮件设置');
    const form = page.getByTestId('email-settings');
    await form.getByLabel('发件人名称', { exact: true }).fill('茶馆');
    await form.getByLabel('发件地址', { exact: true }).fill('news@tea.example.com');
    await form.getByLabel('回复地址', { exact: true }).fill('help@tea.example.com');
    await form.getByLabel('使用自己的 SMTP 服务器', { exact: true }).click();
    await form.getByLabel('SMTP 主机', { exact: true }).fill('smtp.example.com');
    await form.getByLabel('端口', { exact: true }).fill('587');
    await form.getByLabel('用户名', { exact: true }).fill('mailer');
    await form.getByLabel('密码', { exact: true }).fill('s3cret-Pass-9');
    await button(page, '保存邮件设置').click();
    await page.getByText('邮件设置已保存').waitFor();
    const settings = (await owner.get('/api/v1/email/settings')).body;
    expect(settings).toMatchObject({ fromName: '茶馆', fromAddress: 'news@tea.example.com', replyTo: 'help@tea.example.com', smtp: { host: 'smtp.example.com', port: 587, secure: false, user: 'mailer', passwordSet: true } });
    expect(JSON.stringify(settings)).not.toContain('s3cret');

    await page.reload();
    await page.getByRole('heading', { name: '邮件设置', exact: true }).waitFor();
    await page.getByTestId('password-set').waitFor();
    expect(await form.getByLabel('密码', { exact: true }).inputValue()).toBe('');
    expect(await form.getByLabel('SMTP 主机', { exact: true }).inputValue()).toBe('smtp.example.com');
    expect(await page.content()).not.toContain('s3cret');
    await poll(async () => squash(await page.getByTestId('email-effective').innerText())).toContain('茶馆 <news@tea.example.com>');
    // saving again without typing the password keeps it
    await form.getByLabel('发件人名称', { exact: true }).fill('茶馆 总店');
    await button(page, '保存邮件设置').click();
    await page.getByText('邮件设置已保存').waitFor();
    expect((await owner.get('/api/v1/email/settings')).body.smtp.passwordSet).toBe(true);
    await shot(page, 'email-settings', true);

    const sent = await owner.post('/api/v1/email/send', { memberId: ids['安'], subject: '生日快乐', body: '祝您生日快乐' });
    expect(sent.status, JSON.stringify(sent.body)).toBe(202);
    await openFromMenu(page, '营销', '邮件记录', '邮件记录');
    const log = page.getByTestId('email-messages');
    await poll(async () => squash(await log.innerText())).toContain('生日快乐');
    expect(squash(await log.innerText())).toContain('an@example.com');
    await shot(page, 'email-log');
    expect(complaints).toEqual([]);
  });

  it('the member page shows the email; the profile form changes it and the email opt-out', async () => {
    await page.goto(`/members/${ids['恩']}`);
    await page.getByTestId('member-email').waitFor();
    expect(squash(await page.getByTestId('member-email').innerText())).toBe('—');
    await page.getByRole('tab', { name: '资料' }).click();
    await page.getByLabel('邮箱', { exact: true }).fill('en@example.com');
    await page.getByLabel('邮件退订', { exact: true }).click();
    await button(page, '保存').click();
    await page.getByText('资料已保存').waitFor();
    const m = (await owner.get(`/api/v1/members/${ids['恩']}`)).body;
    expect(m).toMatchObject({ email: 'en@example.com', emailOptOut: true });
    await poll(async () => squash(await page.getByTestId('member-email').innerText())).toBe('en@example.com');
    expect(complaints).toEqual([]);
  });

  it('at 390x844 the builder stacks its conditions with no sideways scroll; the list reads as cards', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto('/marketing/segments');
    await page.getByTestId('segment-card').filter({ hasText: '本月生日金卡 200' }).click();
    await page.getByRole('heading', { name: '编辑客户细分', exact: true }).waitFor();
    const root = page.getByTestId('filter-root');
    await poll(async () => squash(await page.getByTestId('live-count').innerText())).toBe('符合条件：1 人');
    expect(await pageWidth(page)).toBeLessThanOrEqual(390);
    // the field and the value of a row sit one above the other
    const field = await root.getByLabel('条件 3 字段', { exact: true }).boundingBox();
    const value = await root.getByLabel('条件 3 值', { exact: true }).boundingBox();
    expect(value!.y).toBeGreaterThan(field!.y + field!.height - 1);
    const save = await button(page, '保存细分').boundingBox();
    expect(save!.x + save!.width).toBeLessThanOrEqual(390);
    await shot(page, 'phone-builder', true);
    await page.goto('/email/settings');
    await page.getByTestId('password-set').waitFor();
    expect(await pageWidth(page)).toBeLessThanOrEqual(390);
    await shot(page, 'phone-email-settings', true);
    await page.setViewportSize({ width: 1280, height: 800 });
    expect(complaints).toEqual([]);
  });

  it('in English the marketing pages speak English', async () => {
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto('/marketing/segments');
    await button(page, '语言').click();
    await page.getByRole('menuitem', { name: 'English' }).click();
    await page.getByRole('heading', { name: 'Segments', exact: true }).waitFor();
    for (const m of ['Marketing', 'Segments', 'Email log', 'Email settings']) expect(await menuItem(page, m).count(), m).toBe(1);
    await poll(async () => squash(await page.getByTestId('segment-list').innerText())).toContain('1 members');
    await page.getByText('本月生日金卡 200').first().click();
    await page.getByRole('heading', { name: 'Edit segment', exact: true }).waitFor();
    const root = page.getByTestId('filter-root');
    await root.getByLabel('Condition 3 days', { exact: true }).waitFor();
    await poll(async () => squash(await page.getByTestId('live-count').innerText())).toBe('Matching: 1 members');
    expect(squash(await root.innerText())).toContain('Birthday month');
    expect(squash(await root.innerText())).toContain('Any of');
    await openFromMenu(page, 'Marketing', 'Email settings', 'Email settings');
    await page.getByText('Set', { exact: true }).waitFor();
    await shot(page, 'english-email-settings', true);
    // deleting from the list asks first
    await openFromMenu(page, 'Marketing', 'Segments', 'Segments');
    const row = page.getByRole('row').filter({ hasText: '本月生日金卡 200' });
    await button(row, 'Delete').click();
    await page.getByText('Delete the segment “本月生日金卡 200”?').waitFor();
    await button(page.locator('.ant-popover'), 'OK').click();
    await page.getByText('No segments yet').waitFor();
    expect((await owner.get('/api/v1/segments')).body.items).toEqual([]);
    expect((await owner.get(`/api/v1/segments/${segmentId}`)).status).toBe(404);
    expect(complaints).toEqual([]);
  });

  it('a clerk (sms.read, no campaigns.manage, no sms.settings) sees only the email log under 营销; the other pages answer 403', async () => {
    const roles = (await owner.get('/api/v1/roles')).body.items;
    const hq = (await owner.get('/api/v1/org/nodes')).body.items[0].id;
    const res = await owner.post('/api/v1/operators', { username: 'mktclerk', password: 'clerk-pass-2024', name: '店员', roleId: roles.find((r: any) => r.code === 'clerk').id, orgNodeId: hq });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const clerk = await newPage(browser, server.baseUrl);
    watch(clerk.page, complaints);
    try {
      const p = clerk.page;
      await login(p, 'mkt-one', 'mktclerk', 'clerk-pass-2024');
      await openFromMenu(p, '营销', '邮件记录', '邮件记录');
      expect(await menuItem(p, '客户细分').count()).toBe(0);
      expect(await menuItem(p, '邮件设置').count()).toBe(0);
      await poll(async () => squash(await p.getByTestId('email-messages').innerText())).toContain('生日快乐');
      // clerks have no members.pii: the address is masked
      expect(squash(await p.getByTestId('email-messages').innerText())).not.toContain('an@example.com');
      for (const path of ['/marketing/segments', '/marketing/segments/new', '/email/settings']) {
        await p.goto(path);
        await p.getByText('无权访问').first().waitFor();
      }
      await shot(p, 'clerk');
    } finally {
      await clerk.context.close();
    }
    expect(complaints).toEqual([]);
  });
});
