/**
 * The web console in a real browser (Debian's chromium through playwright-core) against the
 * real server, walking the story a platform operator and a merchant owner live through.
 * Needs `npm run build:console` first (`npm test` does it). Screenshots of every step go to
 * artifacts/screenshots/.
 */
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, newPage, screenshotter } from '../support/browser.js';
import { reportFailure } from '../support/console.js';
import { client } from '../support/http.js';
import { ADMIN_PASSWORD, startTestServer, type TestServer } from '../support/test-server.js';

const OWNER_PASSWORD = 'owner-pass-2024';

let server: TestServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const shot = screenshotter('console');

/** Waits until `locator` shows up and returns its text. */
async function textOf(locator: Locator): Promise<string> {
  await locator.first().waitFor();
  return (await locator.first().innerText()).trim();
}

const dialog = (name: string) => page.getByRole('dialog', { name });
/** Matches an accessible name that ends with `label` (antd icons add their own name in front). */
const named = (label: string) => new RegExp(`(^|\\s)${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
const menuItem = (name: string) => page.getByRole('menuitem', { name: named(name) });
const button = (scope: Page | Locator, name: string) => scope.getByRole('button', { name: named(name) });
const visibleCount = async (locator: Locator) => {
  let n = 0;
  for (const l of await locator.all()) if (await l.isVisible()) n++;
  return n;
};

/** Picks an option of an antd Select / TreeSelect opened from the field labelled `label`. */
async function choose(scope: Locator, label: string, option: string) {
  await scope.getByLabel(label, { exact: true }).click();
  const popup = page.locator('.ant-select-dropdown:visible');
  await popup.getByText(option, { exact: true }).first().click();
  await popup.waitFor({ state: 'hidden' });
}

async function openPage(menu: string, heading: string) {
  await menuItem(menu).click();
  await page.getByRole('heading', { name: heading, exact: true }).waitFor();
}

beforeAll(async () => {
  server = await startTestServer();
  browser = await launchBrowser();
  ({ context, page } = await newPage(browser, server.baseUrl));
});

afterEach(async (ctx) => reportFailure(ctx, page, shot));

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await server?.close();
});

describe('web console', () => {
  it('sends a visitor to the login page and refuses a wrong password', async () => {
    await page.goto('/');
    await page.waitForURL('**/login');
    await page.getByRole('heading', { name: '登录', exact: true }).waitFor();
    expect(await page.getByText('平台管理员请留空').isVisible()).toBe(true);
    await shot(page, 'login');

    await page.getByLabel('用户名', { exact: true }).fill('admin');
    await page.getByLabel('密码', { exact: true }).fill('not-the-password');
    await button(page, '登录').click();
    expect(await textOf(page.getByRole('alert'))).toBe('商户代码、用户名或密码错误');
    await shot(page, 'login-wrong-password');
  });

  it('platform admin logs in and sees the empty merchant list', async () => {
    await page.getByLabel('密码', { exact: true }).fill(ADMIN_PASSWORD);
    await button(page, '登录').click();
    await page.waitForURL('**/merchants');
    await page.getByRole('heading', { name: '商户管理', exact: true }).waitFor();
    expect(await textOf(page.getByTestId('merchant-name'))).toBe('平台管理');
    await page.getByText('暂无商户，点击“新建商户”开通第一个商户').waitFor();
    expect(await visibleCount(menuItem('商户'))).toBe(1);
    expect(await visibleCount(menuItem('组织架构'))).toBe(0);
    await shot(page, 'merchants-empty');
  });

  it('creates two merchants; a clashing SMS extension is refused at the field', async () => {
    const fill = async (name: string, slug: string, ext: string, admin: string) => {
      await button(page, '新建商户').click();
      const d = dialog('新建商户');
      await d.waitFor();
      await d.getByLabel('商户名称', { exact: true }).fill(name);
      await d.getByLabel('商户代码', { exact: true }).fill(slug);
      await d.getByLabel('短信扩展码', { exact: true }).fill(ext);
      await d.getByLabel('管理员用户名', { exact: true }).fill('owner');
      await d.getByLabel('管理员密码', { exact: true }).fill(OWNER_PASSWORD);
      await d.getByLabel('管理员姓名', { exact: true }).fill(admin);
      await button(d, '创建').click();
      return d;
    };

    const first = await fill('一号茶饮', 'tea-one', '01', '张老板');
    await first.waitFor({ state: 'hidden' });
    await page.getByRole('cell', { name: /一号茶饮/ }).waitFor();
    await shot(page, 'merchant-created');

    // 012 starts with 01: the ports would prefix each other.
    const second = await fill('二号面包', 'bread-two', '012', '李老板');
    await second.getByText('该扩展码与已有商户冲突（端口不能互为前缀）').waitFor();
    expect(await second.isVisible()).toBe(true);
    await shot(page, 'merchant-extension-clash');

    await second.getByLabel('短信扩展码', { exact: true }).fill('02');
    await expect.poll(() => visibleCount(second.getByText('该扩展码与已有商户冲突（端口不能互为前缀）'))).toBe(0);
    await button(second, '创建').click();
    await second.waitFor({ state: 'hidden' });
    await page.getByRole('cell', { name: /二号面包/ }).waitFor();
    expect(await textOf(page.getByTestId('merchant-count'))).toBe('共 2 个商户');
    const row = page.getByRole('row', { name: /二号面包/ });
    expect(await row.innerText()).toContain('106570216002');
  });

  it('tops up the SMS credit of a merchant', async () => {
    const row = page.getByRole('row', { name: /一号茶饮/ });
    expect(await textOf(page.getByTestId('credit-tea-one'))).toBe('¥0.00');
    await button(row, '充值').click();
    const d = dialog('短信充值 · 一号茶饮');
    await d.waitFor();
    await d.getByLabel('充值金额（元）', { exact: true }).fill('1234.5');
    await shot(page, 'top-up');
    await button(d, '充值').click();
    await d.waitFor({ state: 'hidden' });
    await expect.poll(() => page.getByTestId('credit-tea-one').innerText()).toBe('¥1,234.50');
    expect(await page.getByTestId('credit-bread-two').innerText()).toBe('¥0.00');
    await shot(page, 'merchants-topped-up');
  });

  it('the platform admin logs out', async () => {
    await button(page, 'admin').click();
    await page.getByRole('menuitem', { name: '退出登录' }).click();
    await page.waitForURL('**/login');
    // The session is gone on the server too.
    expect(await page.evaluate(() => fetch('/api/v1/auth/me').then((r) => r.status))).toBe(401);
  });

  it('the merchant owner logs in, sees the home page and no platform page', async () => {
    await page.getByLabel('商户代码', { exact: true }).fill('tea-one');
    await page.getByLabel('用户名', { exact: true }).fill('owner');
    await page.getByLabel('密码', { exact: true }).fill(OWNER_PASSWORD);
    await button(page, '登录').click();
    await page.getByRole('heading', { name: '一号茶饮', exact: true }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/');
    expect(await textOf(page.getByTestId('merchant-name'))).toBe('一号茶饮');
    expect(await textOf(page.getByTestId('sms-port'))).toContain('106570216001');
    expect(await textOf(page.getByTestId('sms-credit'))).toContain('¥1,234.50');
    for (const m of ['首页', '组织架构', '操作员', '角色', 'API 密钥', '审计日志']) expect(await visibleCount(menuItem(m)), m).toBe(1);
    expect(await visibleCount(menuItem('商户'))).toBe(0);
    await shot(page, 'merchant-home');

    await page.goto('/merchants');
    await page.getByText('无权访问', { exact: true }).waitFor();
    expect(await visibleCount(page.getByRole('heading', { name: '商户管理' }))).toBe(0);
    expect(await page.evaluate(() => fetch('/api/v1/platform/tenants').then((r) => r.status))).toBe(403);
    await shot(page, 'merchant-forbidden-platform-page');
    await button(page, '返回首页').click();
    await page.getByRole('heading', { name: '一号茶饮', exact: true }).waitFor();
  });

  it('builds the org tree: headquarters → a region → two stores', async () => {
    await openPage('组织架构', '组织架构');
    const tree = page.getByRole('tree');
    await tree.getByText('一号茶饮 总部', { exact: true }).waitFor();
    expect(await textOf(page.getByTestId('org-count'))).toBe('共 1 个节点');

    const add = async (name: string, code: string, expectedParent: string) => {
      await button(page, '新建节点').click();
      const d = dialog('新建组织节点');
      await d.waitFor();
      // The parent defaults to the selected node (the new region after the first add).
      expect(await d.locator('.ant-select-content, .ant-select-selection-item').first().innerText()).toContain(expectedParent);
      await d.getByLabel('名称', { exact: true }).fill(name);
      await d.getByLabel('编码', { exact: true }).fill(code);
      await button(d, '创建').click();
      await d.waitFor({ state: 'hidden' });
      await tree.getByText(name, { exact: true }).waitFor();
    };
    await add('华东区', 'EAST', '一号茶饮 总部');
    await add('南京新街口店', 'NJ01', '华东区');
    await add('上海南京路店', 'SH01', '华东区');
    expect(await textOf(page.getByTestId('org-count'))).toBe('共 4 个节点');
    expect(await tree.getByText('门店', { exact: true }).count()).toBe(2);
    expect(await tree.getByText('区域', { exact: true }).count()).toBe(1);

    // Deleting a node that has children asks first, then explains why it cannot.
    await tree.getByText('华东区', { exact: true }).click();
    await button(page.getByTestId('org-details'), '删除').click();
    await page.getByText('确定删除“华东区”吗？').waitFor();
    await button(page.locator('.ant-popconfirm'), '删除').click();
    await page.getByText('请先删除下级节点').waitFor();
    expect(await textOf(page.getByTestId('org-count'))).toBe('共 4 个节点');
    await shot(page, 'org-tree');
  });

  it('creates a custom role', async () => {
    await openPage('角色', '角色');
    await page.getByRole('cell', { name: '所有者 Owner' }).waitFor();
    await button(page, '新建角色').click();
    const d = dialog('新建角色');
    await d.waitFor();
    await d.getByLabel('角色编码', { exact: true }).fill('store_lead');
    await d.getByLabel('角色名称', { exact: true }).fill('门店组长');
    for (const p of ['查看组织架构', '查看会员', '编辑会员']) await d.getByRole('checkbox', { name: p, exact: true }).check();
    await shot(page, 'role-form');
    await button(d, '创建').click();
    await d.waitFor({ state: 'hidden' });
    const row = page.getByRole('row', { name: /门店组长/ });
    await row.waitFor();
    expect(await row.innerText()).toContain('3 项权限');
    expect(await row.innerText()).toContain('自定义');
    expect(await page.getByRole('row', { name: /(所有者|店长|店员|门店组长)/ }).count()).toBe(4);
    await shot(page, 'roles');
  });

  it('creates an operator attached to a store', async () => {
    await openPage('操作员', '操作员');
    await page.getByRole('cell', { name: '张老板' }).waitFor();
    await button(page, '新建操作员').click();
    const d = dialog('新建操作员');
    await d.waitFor();
    await d.getByLabel('用户名', { exact: true }).fill('clerk01');
    await d.getByLabel('姓名', { exact: true }).fill('王小明');
    await d.getByLabel('初始密码', { exact: true }).fill('clerk-pass-2024');
    await choose(d, '角色', '门店组长');
    await choose(d, '所属组织', '南京新街口店');
    await shot(page, 'operator-form');
    await button(d, '创建').click();
    await d.waitFor({ state: 'hidden' });
    const row = page.getByRole('row', { name: /王小明/ });
    await row.waitFor();
    const text = await row.innerText();
    expect(text).toContain('clerk01');
    expect(text).toContain('门店组长');
    expect(text).toContain('南京新街口店');
    expect(text).toContain('启用');
    await shot(page, 'operators');
  });

  it('issues an API key, shown exactly once, and revokes it after confirming', async () => {
    await openPage('API 密钥', 'API 密钥');
    await page.getByText('暂无 API 密钥').waitFor();
    await button(page, '新建 API 密钥').click();
    const d = dialog('新建 API 密钥');
    await d.waitFor();
    await d.getByLabel('名称', { exact: true }).fill('POS 收银');
    await d.getByRole('checkbox', { name: '查看会员', exact: true }).check();
    await button(d, '创建').click();

    const shown = dialog('API 密钥已创建');
    await shown.waitFor();
    expect(await shown.innerText()).toContain('此密钥只显示这一次');
    const key = await textOf(shown.getByTestId('new-api-key'));
    expect(key).toMatch(/^mdk_\S{20,}$/);
    await shot(page, 'api-key-shown-once');
    // What the person copies really works.
    expect((await client(server.baseUrl, key).get('/api/v1/tenant')).status).toBe(200);
    await button(shown, '我已保存').click();
    await shown.waitFor({ state: 'hidden' });

    const row = page.getByRole('row', { name: /POS 收银/ });
    await row.waitFor();
    expect(await row.innerText()).toContain('有效');
    // Gone from the page once closed: the only copy is the one the person took.
    await expect.poll(() => page.content()).not.toContain(key);

    await button(row, '吊销').click();
    await page.getByText('确定吊销“POS 收银”吗？').waitFor();
    await shot(page, 'api-key-revoke-confirm');
    await button(page.locator('.ant-popconfirm'), '吊销').click();
    await page.getByText('暂无 API 密钥').waitFor();
    await page.getByRole('switch', { name: '显示已吊销' }).click();
    expect(await textOf(page.getByRole('row', { name: /POS 收银/ }))).toContain('已吊销');
    expect((await client(server.baseUrl, key).get('/api/v1/tenant')).status).toBe(401);
  });

  it('the audit log shows those actions', async () => {
    await openPage('审计日志', '审计日志');
    const actions = page.getByTestId('audit-action');
    await actions.first().waitFor();
    const count = async (label: string) => actions.filter({ hasText: new RegExp(`^${label}$`) }).count();
    await expect.poll(() => count('新建组织节点')).toBe(3);
    expect(await count('新建角色')).toBe(1);
    expect(await count('新建操作员')).toBe(1);
    expect(await count('新建 API 密钥')).toBe(1);
    expect(await count('吊销 API 密钥')).toBe(1);
    expect(await count('短信充值')).toBe(1);
    expect(await count('开通商户')).toBe(1);
    expect(await count('登录')).toBeGreaterThanOrEqual(1);
    await shot(page, 'audit-log', true);

    await choose(page.locator('body'), '操作', '新建组织节点');
    await expect.poll(() => page.getByTestId('audit-count').innerText()).toBe('已加载 3 条');
    expect(await actions.count()).toBe(3);
  });

  it('the new store operator sees only what the role and the store allow', async () => {
    const clerk = await newPage(browser, server.baseUrl);
    try {
      const p = clerk.page;
      await p.goto('/operators');
      await p.waitForURL('**/login?next=%2Foperators');
      await p.getByLabel('商户代码', { exact: true }).fill('tea-one');
      await p.getByLabel('用户名', { exact: true }).fill('clerk01');
      await p.getByLabel('密码', { exact: true }).fill('clerk-pass-2024');
      await button(p, '登录').click();
      // Back where they wanted to go, which their role does not open.
      await p.getByText('无权访问', { exact: true }).waitFor();
      const items = (await p.getByRole('menuitem').allInnerTexts()).map((s) => s.trim());
      // 会员 (a closed submenu): the role holds members.read.
      expect(items).toEqual(['首页', '会员', '消费与积分', '组织架构']);

      await p.getByRole('menuitem', { name: named('组织架构') }).click();
      const tree = p.getByRole('tree');
      await tree.getByText('南京新街口店', { exact: true }).waitFor();
      expect(await textOf(p.getByTestId('org-count'))).toBe('共 1 个节点');
      expect(await tree.getByText('上海南京路店').count()).toBe(0);
      expect(await button(p, '新建节点').count()).toBe(0);
      await shot(p, 'clerk-org-scope');
    } finally {
      await clerk.context.close();
    }
  });

  it('switches to English, and the choice survives a reload', async () => {
    await button(page, '语言').click();
    await page.getByRole('menuitem', { name: 'English' }).click();
    await page.getByRole('heading', { name: 'Audit log', exact: true }).waitFor();
    for (const m of ['Home', 'Organization', 'Operators', 'Roles', 'API keys', 'Audit log']) expect(await visibleCount(menuItem(m)), m).toBe(1);
    expect(await visibleCount(menuItem('组织架构'))).toBe(0);
    await expect.poll(() => page.getByTestId('audit-count').innerText()).toBe('3 entries loaded');
    expect(await page.getByTestId('audit-action').filter({ hasText: /^Create org node$/ }).count()).toBe(3);
    expect(await page.getByRole('columnheader', { name: 'Actor' }).count()).toBe(1);
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('en');
    await shot(page, 'english-audit-log');

    await page.reload();
    await openPage('Operators', 'Operators');
    expect(await textOf(page.getByRole('row', { name: /王小明/ }))).toContain('Active');
    expect(await button(page, 'New operator').count()).toBe(1);
  });

  it('at 390 px the menu is a drawer and the operators page is usable', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await button(page, 'Open menu').waitFor();
    expect(await visibleCount(menuItem('Roles'))).toBe(0);
    await shot(page, 'phone-operators');

    await button(page, 'Open menu').click();
    await menuItem('Roles').waitFor();
    await expect.poll(async () => (await menuItem('Roles').boundingBox())?.x ?? -1).toBeGreaterThanOrEqual(0);
    await shot(page, 'phone-menu-drawer');
    await menuItem('Roles').click();
    await page.getByRole('heading', { name: 'Roles', exact: true }).waitFor();
    await expect.poll(() => visibleCount(menuItem('Roles'))).toBe(0);

    // Nothing but the table scrolls sideways; the primary action stays on screen.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    const newRole = await button(page, 'New role').boundingBox();
    expect(newRole).not.toBeNull();
    expect(newRole!.x + newRole!.width).toBeLessThanOrEqual(390);
    const table = page.locator('.ant-table-content, .ant-table-body').first();
    expect(await table.evaluate((el) => el.scrollWidth > el.clientWidth)).toBe(true);
    await shot(page, 'phone-roles');

    await button(page, 'New role').click();
    const d = dialog('New role');
    await d.waitFor();
    // The drawer slides in and then fills the phone's width.
    const field = d.getByLabel('Role code', { exact: true });
    await expect.poll(async () => { const b = await field.boundingBox(); return b !== null && b.x >= 0 && b.x + b.width <= 390; }).toBe(true);
    await shot(page, 'phone-role-form');
  });

  it('on the phone, the owner disables the operator from the edit drawer', async () => {
    await button(dialog('New role'), 'Cancel').click();
    await dialog('New role').waitFor({ state: 'hidden' });
    await button(page, 'Open menu').click();
    await menuItem('Operators').click();
    const row = page.getByRole('row', { name: /王小明/ });
    await row.waitFor();
    await button(row, 'Edit').click();
    const d = dialog('Edit operator');
    await d.waitFor();
    await choose(d, 'Status', 'Disabled');
    await button(d, 'Save').click();
    await d.waitFor({ state: 'hidden' });
    await expect.poll(() => row.innerText()).toContain('Disabled');
    await shot(page, 'phone-operator-disabled');
    // Disabled means no more logins.
    const res = await client(server.baseUrl).post('/api/v1/auth/login', { tenant: 'tea-one', username: 'clerk01', password: 'clerk-pass-2024' });
    expect(res.status).toBe(401);
  });
});
