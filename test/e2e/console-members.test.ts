/**
 * The member pages of the web console in a real browser against the real server: the owner
 * sets up attributes, the card plan and the card pool, registers and looks after members and
 * reviews a join application; a clerk without the personal-data permission sees masked
 * members; the pages work on a phone and in English. The merchant, its store, a clerk and a
 * second member are made through the API to save time. Screenshots go to
 * artifacts/screenshots/members-*.png. Needs `npm run build:console` first.
 */
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, newPage, screenshotter } from '../support/browser.js';
import { reportFailure } from '../support/console.js';
import { createTenant, loginAdmin, type Client } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

let server: TestServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let owner: Client;
/** Page errors and React/antd warnings: a page that works but complains is not done. */
const complaints: string[] = [];
const shot = screenshotter('members');
/** expect.poll with the patience of a locator (its default second is short on a busy machine). */
const poll = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 10_000 });

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** Matches an accessible name that ends with `label` (antd icons add their own name in front). */
const named = (label: string) => new RegExp(`(^|\\s)${escape(label)}$`);
const button = (scope: Page | Locator, name: string) => scope.getByRole('button', { name: named(name) });
const dialog = (name: string) => page.getByRole('dialog', { name });
const menuItem = (p: Page, name: string) => p.getByRole('menuitem', { name: named(name) });

async function textOf(locator: Locator): Promise<string> {
  await locator.first().waitFor();
  return (await locator.first().innerText()).trim();
}

const visibleCount = async (locator: Locator) => {
  let n = 0;
  for (const l of await locator.all()) if (await l.isVisible()) n++;
  return n;
};

/** Picks an option of the antd Select labelled `label` inside `scope`. */
async function choose(scope: Locator, label: string, option: string) {
  await scope.getByLabel(label, { exact: true }).click();
  const popup = page.locator('.ant-select-dropdown:visible');
  // .ant-select-item-option: rc-select also renders a hidden list for screen readers
  await popup.locator('.ant-select-item-option').filter({ hasText: new RegExp(`^${escape(option)}$`) }).first().click();
  await popup.waitFor({ state: 'hidden' });
}

/** Types a date into the antd DatePicker labelled `label`. */
async function pickDate(scope: Locator, label: string, date: string) {
  const input = scope.getByLabel(label, { exact: true });
  await input.click();
  await input.fill(date);
  await input.press('Enter');
  await page.locator('.ant-picker-dropdown:visible').waitFor({ state: 'hidden' });
}

/** Opens a page from the 会员 submenu (opening the submenu when it is closed). */
async function openMemberMenu(p: Page, group: string, item: string, heading: string) {
  if (!(await menuItem(p, item).isVisible())) await menuItem(p, group).click();
  await menuItem(p, item).click();
  await p.getByRole('heading', { name: heading, exact: true }).waitFor();
}

/** The help or error text under a form field. */
const fieldError = (scope: Locator, text: string) => scope.locator('.ant-form-item-explain-error').filter({ hasText: text });

async function login(p: Page, tenant: string, username: string, password: string) {
  await p.goto('/login');
  await p.getByLabel('商户代码', { exact: true }).fill(tenant);
  await p.getByLabel('用户名', { exact: true }).fill(username);
  await p.getByLabel('密码', { exact: true }).fill(password);
  await button(p, '登录').click();
  await p.getByTestId('merchant-name').waitFor();
}

function watch(p: Page) {
  p.on('pageerror', (e) => complaints.push(`pageerror: ${e.message}`));
  p.on('console', (m) => {
    // 4xx answers are part of the story (bad phone, taken phone, …); the browser logs each.
    if (/^Failed to load resource: the server responded with a status of 4\d\d/.test(m.text())) return;
    if (m.type() === 'error' || (m.type() === 'warning' && /antd|React|Warning/.test(m.text()))) complaints.push(`${m.type()}: ${m.text().slice(0, 300)}`);
  });
}

let clerkRoleId: string;
let hqId: string;

beforeAll(async () => {
  server = await startTestServer();
  const admin = await loginAdmin(server.baseUrl);
  const t = await createTenant(server.baseUrl, admin, 'tea-one', '01');
  owner = t.api;
  hqId = (await owner.get('/api/v1/org/nodes')).body.items[0].id;
  const store = await owner.post('/api/v1/org/nodes', { parentId: hqId, kind: 'store', name: '南京新街口店', code: 'NJ01' });
  expect(store.status).toBe(201);
  clerkRoleId = (await owner.get('/api/v1/roles')).body.items.find((r: any) => r.code === 'clerk').id;
  const clerk = await owner.post('/api/v1/operators', { username: 'clerk01', password: 'clerk-pass-2024', name: '王小明', roleId: clerkRoleId, orgNodeId: store.body.id });
  expect(clerk.status).toBe(201);
  // Somebody else is a member already: search must tell them apart.
  expect((await owner.post('/api/v1/members', { phone: '13900139000', name: '李四', tags: ['常客'] })).status).toBe(201);

  browser = await launchBrowser();
  ({ context, page } = await newPage(browser, server.baseUrl));
  watch(page);
  await login(page, 'tea-one', 'owner', 'owner-password-1');
});

afterEach(async (ctx) => reportFailure(ctx, page, shot));

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await server?.close();
});

describe('member pages', () => {
  it('the owner defines a single-choice and a yes/no attribute', async () => {
    // The 会员 menu holds the list, the applications and (for settings.manage) the settings.
    await openMemberMenu(page, '会员', '会员设置', '会员设置');
    const defs = page.getByTestId('attribute-defs');
    await defs.getByText('暂未定义会员属性').waitFor();
    expect(await textOf(page.getByTestId('attribute-count'))).toBe('已定义 0 / 30 个');

    await button(defs, '新增属性').click();
    let d = dialog('新增会员属性');
    await d.waitFor();
    await d.getByLabel('名称', { exact: true }).fill('尺码');
    await d.getByLabel('字段名', { exact: true }).fill('size');
    await choose(d, '类型', '单选');
    const options = d.getByLabel('选项', { exact: true });
    for (const o of ['S', 'M', 'L']) {
      await options.fill(o);
      await options.press('Enter');
    }
    await d.getByRole('switch', { name: '必填' }).click();
    await shot(page, 'attribute-form');
    await button(d, '创建').click();
    await d.waitFor({ state: 'hidden' });

    await button(defs, '新增属性').click();
    d = dialog('新增会员属性');
    await d.waitFor();
    await d.getByLabel('名称', { exact: true }).fill('是否学生');
    await d.getByLabel('字段名', { exact: true }).fill('Student');
    await choose(d, '类型', '是/否');
    await button(d, '创建').click();
    // The key is checked before anything is sent.
    await fieldError(d, '小写字母开头，只能含小写字母、数字和下划线').waitFor();
    await d.getByLabel('字段名', { exact: true }).fill('student');
    await button(d, '创建').click();
    await d.waitFor({ state: 'hidden' });

    const size = defs.getByRole('row', { name: /尺码/ });
    await size.waitFor();
    expect(await size.innerText()).toMatch(/尺码\s+必填\s+size\s+单选\s+S\s+M\s+L/);
    expect(await textOf(defs.getByRole('row', { name: /是否学生/ }))).toContain('是/否');
    await poll(() => page.getByTestId('attribute-count').innerText()).toBe('已定义 2 / 30 个');
  });

  it('sets a card plan with a prefix and turns on the review of applications', async () => {
    const plan = page.getByTestId('card-plan');
    expect(await textOf(plan.getByTestId('card-plan-next'))).toBe('下一个卡号：00000002');
    await plan.getByLabel('卡号前缀', { exact: true }).fill('vip');
    await plan.getByLabel('序号位数', { exact: true }).fill('6');
    await poll(() => plan.getByTestId('card-plan-next').innerText()).toBe('下一个卡号：VIP000002');
    await plan.getByRole('switch', { name: '入会审核' }).click();
    await button(plan, '保存').click();
    await page.getByText('卡号规则已保存').waitFor();
    await shot(page, 'settings', true);
    const saved = (await owner.get('/api/v1/members/settings')).body;
    expect(saved).toMatchObject({ cardPrefix: 'VIP', cardDigits: 6, reviewApplications: true, cardMode: 'sequence' });
  });

  let memberUrl: string;

  it('registers a member through the form: a bad phone and a taken phone are marked at the field', async () => {
    await openMemberMenu(page, '会员', '会员列表', '会员');
    await page.getByRole('row', { name: /李四/ }).waitFor();
    await button(page, '新建会员').click();
    const d = dialog('新建会员');
    await d.waitFor();
    // The attributes come from their definitions, required ones marked.
    expect(await d.locator('.ant-form-item-required').filter({ hasText: /^尺码$/ }).count()).toBe(1);
    await d.getByLabel('手机号', { exact: true }).fill('12345');
    await d.getByLabel('姓名', { exact: true }).fill('张三');
    await choose(d, '性别', '男');
    await pickDate(d, '生日', '1990-05-01');
    await choose(d, '所属门店', '南京新街口店');
    await choose(d, '尺码', 'M');
    await d.getByRole('switch', { name: '是否学生' }).click();
    const tags = d.getByLabel('标签', { exact: true });
    await tags.fill('新客');
    await tags.press('Enter');
    await button(d, '登记').click();
    // The API's errors[].path lands under the field, in the console's words.
    await fieldError(d, '请输入有效的手机号码').waitFor();

    await d.getByLabel('手机号', { exact: true }).fill('139 0013 9000');
    await button(d, '登记').click();
    await fieldError(d, '该手机号已是会员').waitFor();
    expect(await button(d, '查看该会员').isVisible()).toBe(true);
    await shot(page, 'register-taken-phone');

    await d.getByLabel('手机号', { exact: true }).fill('138-0013-8000');
    await button(d, '登记').click();
    await page.waitForURL(/\/members\/\d+$/);
    memberUrl = new URL(page.url()).pathname;
    const header = page.getByTestId('member-header');
    // The card number of the plan is the first thing the clerk reads out.
    expect(await textOf(header.getByTestId('member-card-no'))).toBe('VIP000002');
    expect(await textOf(header.getByTestId('member-name'))).toBe('张三');
    expect(await textOf(header.getByTestId('member-phone'))).toBe('13800138000');
    const text = await header.innerText();
    for (const s of ['无等级', '正常', '新客', '南京新街口店', '门店登记', '¥0.00']) expect(text, s).toContain(s);
    await shot(page, 'member-registered');
  });

  it('finds the member by a phone fragment and by the surname', async () => {
    await page.goto('/members');
    const search = page.getByLabel('搜索', { exact: true });
    await page.getByText('3 个字符以上按片段搜索；1–2 个字符只匹配姓氏（如“张”）或完整卡号').waitFor();
    await page.getByRole('row', { name: /李四/ }).waitFor();
    expect(await textOf(page.getByTestId('member-count'))).toBe('已加载 2 位会员');

    await search.fill('38001');
    await poll(() => page.getByTestId('member-count').innerText()).toBe('已加载 1 位会员');
    const row = page.getByRole('row', { name: /张三/ });
    const cells = await row.innerText();
    for (const s of ['VIP000002', '张三', '13800138000', '无等级', '¥0.00', '新客']) expect(cells, s).toContain(s);

    await search.fill('李');
    await page.getByRole('row', { name: /李四/ }).waitFor();
    await poll(() => page.getByTestId('member-count').innerText()).toBe('已加载 1 位会员');
    await search.fill('张');
    await row.waitFor();
    await poll(() => page.getByTestId('member-count').innerText()).toBe('已加载 1 位会员');
    await shot(page, 'search-surname');

    // The lookup box goes straight to the member.
    await page.getByLabel('直达会员', { exact: true }).fill('VIP000002');
    await page.getByLabel('直达会员', { exact: true }).press('Enter');
    await page.waitForURL(`**${memberUrl}`);
    await page.goBack();
    await page.getByLabel('直达会员', { exact: true }).fill('13700000000');
    await page.getByLabel('直达会员', { exact: true }).press('Enter');
    await page.getByText('没有手机号或卡号为“13700000000”的会员').waitFor();

    await row.click();
    await page.waitForURL(`**${memberUrl}`);
    await page.getByTestId('member-header').waitFor();
  });

  it('the 360° page: empty ledgers and message tabs say so; a profile edit shows in the change history', async () => {
    await page.getByRole('tab', { name: '积分明细' }).click();
    await page.getByTestId('ledger-points').getByText('暂无记录').waitFor();
    await page.getByRole('tab', { name: '消费记录' }).click();
    await page.getByTestId('member-transactions').getByText('暂无消费记录').waitFor();
    await page.getByRole('tab', { name: '短信' }).click();
    await page.getByTestId('member-sms').getByText('暂无短信').waitFor();
    await page.getByRole('tab', { name: '反馈' }).click();
    await page.getByTestId('member-feedback').getByText('暂无反馈').waitFor();

    await page.getByRole('tab', { name: '资料' }).click();
    const form = page.getByRole('tabpanel', { name: '资料' });
    await poll(() => form.getByLabel('姓名', { exact: true }).inputValue()).toBe('张三');
    await form.getByLabel('姓名', { exact: true }).fill('张三丰');
    await choose(form, '尺码', 'L');
    await button(form, '保存').click();
    await page.getByText('资料已保存').waitFor();
    await poll(() => page.getByTestId('member-name').innerText()).toBe('张三丰');

    await page.getByRole('tab', { name: '变更记录' }).click();
    const changes = page.getByTestId('member-changes');
    await changes.getByText('修改资料').waitFor();
    const text = await changes.innerText();
    expect(text).toMatch(/姓名：张三\s*→\s*张三丰/);
    expect(text).toMatch(/尺码：M\s*→\s*L/);
    expect(text).toContain('登记入会');
    expect(text).toMatch(/卡号：VIP000002/);
    await shot(page, 'member-changes');
  });

  it('rebinds the phone; the old number can then join as somebody new', async () => {
    await button(page, '换绑手机').click();
    const d = dialog('换绑手机号');
    await d.waitFor();
    await d.getByLabel('新手机号', { exact: true }).fill('13900139000');
    await d.getByLabel('原因', { exact: true }).fill('手机号丢失');
    await button(d, '保存').click();
    await fieldError(d, '该手机号已是会员').waitFor();
    await shot(page, 'rebind-taken');
    await d.getByLabel('新手机号', { exact: true }).fill('13700137000');
    await button(d, '保存').click();
    await d.waitFor({ state: 'hidden' });
    await poll(() => page.getByTestId('member-phone').innerText()).toBe('13700137000');
    const changes = page.getByTestId('member-changes');
    await changes.getByText('换绑手机').waitFor();
    expect(await changes.innerText()).toMatch(/手机号：13800138000\s*→\s*13700137000\s*原因：手机号丢失/);

    // Freeze and unfreeze ask first.
    const header = page.getByTestId('member-header');
    await button(header, '冻结').click();
    await button(page.locator('.ant-popconfirm'), '冻结').click();
    await page.getByText('会员已冻结').waitFor();
    expect(await header.innerText()).toContain('已冻结');
    await button(header, '解冻').click();
    await button(page.locator('.ant-popconfirm'), '解冻').click();
    await page.getByText('会员已解冻').waitFor();

    await page.goto('/members');
    await button(page, '新建会员').click();
    const reg = dialog('新建会员');
    await reg.waitFor();
    await reg.getByLabel('手机号', { exact: true }).fill('13800138000');
    await reg.getByLabel('姓名', { exact: true }).fill('王五');
    await choose(reg, '尺码', 'S');
    await button(reg, '登记').click();
    await page.waitForURL(/\/members\/\d+$/);
    expect(new URL(page.url()).pathname).not.toBe(memberUrl);
    await poll(() => page.getByTestId('member-card-no').innerText()).toBe('VIP000003');
    expect(await textOf(page.getByTestId('member-phone'))).toBe('13800138000');
  });

  it('files a join application and approves it with its duplicate warning in view', async () => {
    await openMemberMenu(page, '会员', '入会申请', '入会申请');
    await page.getByText('暂无申请').waitFor();
    await button(page, '新建申请').click();
    const d = dialog('新建入会申请');
    await d.waitFor();
    // Same name and birthday as the member edited above, another phone.
    await d.getByLabel('手机号', { exact: true }).fill('13600136000');
    await d.getByLabel('姓名', { exact: true }).fill('张三丰');
    await pickDate(d, '生日', '1990-05-01');
    await button(d, '提交').click();
    await page.getByText('申请已提交，等待审核').waitFor();
    const row = page.getByRole('row', { name: /13600136000/ });
    await row.waitFor();
    expect(await row.innerText()).toContain('同名同生日');
    await shot(page, 'applications-pending');

    await button(row, '通过').click();
    const approve = dialog('通过入会申请');
    await approve.waitFor();
    expect(await approve.innerText()).toContain('请核对以下提示后再通过：');
    expect(await approve.innerText()).toContain('同名同生日');
    await shot(page, 'application-approve');
    await button(approve, '确认通过').click();
    await page.getByText('已通过，会员卡号 VIP000004').waitFor();
    await page.getByText('暂无申请').waitFor();
    await page.getByRole('tab', { name: '已通过' }).click();
    const done = page.getByRole('row', { name: /13600136000/ });
    await done.waitFor();
    expect(await done.innerText()).toContain('owner');

    // Rejecting needs a reason.
    expect((await owner.post('/api/v1/member-applications', { phone: '13500135000', source: 'h5' })).status).toBe(201);
    await page.getByRole('tab', { name: '待审核' }).click();
    const other = page.getByRole('row', { name: /13500135000/ });
    await other.waitFor();
    expect(await other.innerText()).toMatch(/未填姓名[\s\S]*未填生日[\s\S]*缺少必填属性[\s\S]*H5 页面/);
    await button(other, '拒绝').click();
    const reject = dialog('拒绝入会申请');
    await reject.waitFor();
    await button(reject, '确认拒绝').click();
    await fieldError(reject, '此项为必填项').waitFor();
    await reject.getByLabel('拒绝原因', { exact: true }).fill('重复提交');
    await button(reject, '确认拒绝').click();
    await page.getByText('已拒绝该申请').waitFor();
    await page.getByRole('tab', { name: '已拒绝' }).click();
    expect(await textOf(page.getByRole('row', { name: /13500135000/ }))).toContain('重复提交');

    await page.getByRole('tab', { name: '已通过' }).click();
    await done.getByRole('link', { name: '查看会员' }).click();
    await poll(() => page.getByTestId('member-card-no').innerText()).toBe('VIP000004');
  });

  it('adds a batch and a special number to the card pool and sees the counts', async () => {
    await openMemberMenu(page, '会员', '会员设置', '会员设置');
    const pool = page.getByTestId('card-pool');
    await poll(() => pool.getByTestId('pool-total').innerText()).toContain('0');
    await pool.getByLabel('前缀', { exact: true }).fill('p');
    await pool.getByLabel('起始序号', { exact: true }).fill('1001');
    await pool.getByLabel('数量', { exact: true }).fill('50');
    await pool.getByLabel('批次名', { exact: true }).fill('2024 春季');
    await button(pool, '生成').click();
    await page.getByText('已添加 50 个卡号（P001001 – P001050），跳过 0 个已存在的号码').waitFor();
    await pool.getByLabel('添加靓号', { exact: true }).fill('888888');
    await button(pool, '添加').click();
    await page.getByText('已添加靓号 888888').waitFor();
    const count = async (k: string) => (await pool.getByTestId(`pool-${k}`).innerText()).replace(/\s+/g, ' ');
    await poll(() => count('free')).toBe('可用 50');
    expect(await count('freeSpecial')).toBe('可用靓号 1');
    expect(await count('used')).toBe('已使用 0');
    expect(await count('total')).toBe('合计 51');
    // A number already in the pool is refused at the field.
    await pool.getByLabel('添加靓号', { exact: true }).fill('p001001');
    expect(await pool.getByLabel('添加靓号', { exact: true }).inputValue()).toBe('P001001');
    await button(pool, '添加').click();
    await fieldError(pool, '该卡号已在卡号池中').waitFor();
    expect(await pool.getByRole('row', { name: /P001001/ }).innerText()).toContain('2024 春季');
    await shot(page, 'card-pool', true);

    // An attribute members have filled in goes only with their values, after a second question.
    const defs = page.getByTestId('attribute-defs');
    await button(defs.getByRole('row', { name: /是否学生/ }), '删除').click();
    await button(page.locator('.ant-popconfirm'), '删除').click();
    const purge = page.getByRole('dialog', { name: '确定删除属性“是否学生”吗？' });
    await purge.getByText('已有会员填写了“是否学生”。删除属性将同时清除所有会员的该项数据，且不可恢复。').waitFor();
    await button(purge, '连同数据删除').click();
    await page.getByText('已删除属性“是否学生”').waitFor();
    await poll(() => page.getByTestId('attribute-count').innerText()).toBe('已定义 1 / 30 个');
  });

  it('a clerk without members.pii sees masked phones and names', async () => {
    const clerk = await newPage(browser, server.baseUrl);
    watch(clerk.page);
    try {
      const p = clerk.page;
      await login(p, 'tea-one', 'clerk01', 'clerk-pass-2024');
      await menuItem(p, '会员').click();
      const items = (await p.getByRole('menuitem').allInnerTexts()).map((x) => x.trim());
      expect(items).toEqual(['首页', '会员', '会员列表', '入会申请', '消费与积分', '短信', '营销', '组织架构']);
      await menuItem(p, '会员列表').click();
      const row = p.getByRole('row', { name: /VIP000002/ });
      await row.waitFor();
      const text = await row.innerText();
      expect(text).toContain('137****7000');
      expect(text).toContain('张**');
      expect(text).not.toContain('13700137000');
      await shot(p, 'clerk-masked');
      await row.click();
      await poll(() => p.getByTestId('member-phone').innerText()).toBe('137****7000');
      expect(await p.getByTestId('member-name').innerText()).toBe('张**');
      // A clerk may not open the settings.
      await p.goto('/members/settings');
      await p.getByText('无权访问', { exact: true }).waitFor();
    } finally {
      await clerk.context.close();
    }
  });

  it('at 390x844 the list and the member page are usable', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto('/members');
    const cards = page.getByTestId('member-card');
    await poll(() => cards.count()).toBe(4);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    const add = await button(page, '新建会员').boundingBox();
    expect(add!.x + add!.width).toBeLessThanOrEqual(390);
    await shot(page, 'phone-list');

    await page.getByLabel('搜索', { exact: true }).fill('37001');
    await poll(() => cards.count()).toBe(1);
    await cards.first().click();
    await page.getByTestId('member-header').waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    for (const b of ['换绑手机', '冻结']) {
      const box = await button(page, b).boundingBox();
      expect(box!.x + box!.width, b).toBeLessThanOrEqual(390);
    }
    await shot(page, 'phone-member');
    await page.getByRole('tab', { name: '变更记录' }).click();
    await page.getByTestId('member-changes').waitFor();
    await shot(page, 'phone-member-changes');
  });

  it('in English the member pages speak English', async () => {
    await page.setViewportSize({ width: 1280, height: 800 });
    await button(page, '语言').click();
    await page.getByRole('menuitem', { name: 'English' }).click();
    await page.getByRole('tab', { name: 'Change history' }).waitFor();
    for (const tab of ['Profile', 'Purchases', 'Points history', 'Stored value', 'SMS', 'Feedback']) expect(await page.getByRole('tab', { name: tab }).count(), tab).toBe(1);
    expect(await page.getByTestId('member-changes').innerText()).toContain('Phone rebound');
    for (const m of ['Members', 'Member list', 'Applications', 'Member settings']) expect(await visibleCount(menuItem(page, m)), m).toBe(1);
    await menuItem(page, 'Member list').click();
    await page.getByRole('heading', { name: 'Members', exact: true }).waitFor();
    for (const h of ['Card number', 'Name', 'Phone', 'Tier', 'Points', 'Stored value', 'Tags', 'Joined']) expect(await page.getByRole('columnheader', { name: h }).count(), h).toBe(1);
    expect(await button(page, 'New member').count()).toBe(1);
    await page.getByText('From 3 characters any part matches').waitFor();
    await shot(page, 'english-list');
    expect(complaints).toEqual([]);
  });
});
