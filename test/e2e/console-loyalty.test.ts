/**
 * The loyalty pages of the web console in a real browser against the real server: the owner
 * sets tiers and rules, a purchase goes through the checkout (live quote, one record for a
 * double click, tier upgrade), the member page shows the ledgers and moves value (top-up with
 * its bonus, redemption, adjustment, tier override), a purchase is refunded in part, balances
 * reconcile, members about to lose points are listed; a clerk sees what a clerk may do; the
 * pages work on a phone and in English; the purchases page filters by store and by the merchant's
 * days and shows who bought (names masked for a clerk). Screenshots: artifacts/screenshots/loyalty-*.png.
 * Needs `npm run build:console` first.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, newPage, screenshotter } from '../support/browser.js';
import { button, choose, fieldError, login, menuItem, openFromMenu, pageWidth, reportFailure, textOf, watch } from '../support/console.js';
import { createTenant, loginAdmin, type Client } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

let server: TestServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let owner: Client;
const complaints: string[] = [];
const shot = screenshotter('loyalty');
let zhangId: string;
let storeId: string;

const dialog = (name: string) => page.getByRole('dialog', { name });
const squash = (s: string) => s.replace(/\s+/g, ' ').trim();
/** expect.poll with the patience of a locator (its default second is short on a busy machine). */
const poll = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 10_000 });

beforeAll(async () => {
  server = await startTestServer();
  const admin = await loginAdmin(server.baseUrl);
  const t = await createTenant(server.baseUrl, admin, 'tea-two', '02');
  owner = t.api;
  const hqId = (await owner.get('/api/v1/org/nodes')).body.items[0].id;
  const store = await owner.post('/api/v1/org/nodes', { parentId: hqId, kind: 'store', name: '上海徐汇店', code: 'SH01' });
  expect(store.status).toBe(201);
  storeId = store.body.id;
  const clerkRoleId = (await owner.get('/api/v1/roles')).body.items.find((r: any) => r.code === 'clerk').id;
  expect((await owner.post('/api/v1/operators', { username: 'clerk02', password: 'clerk-pass-2024', name: '赵小丽', roleId: clerkRoleId, orgNodeId: store.body.id })).status).toBe(201);
  const zhang = await owner.post('/api/v1/members', { phone: '13800138000', name: '张三' });
  expect(zhang.status).toBe(201);
  zhangId = zhang.body.id;
  expect((await owner.post('/api/v1/members', { phone: '13900139000', name: '张小四' })).status).toBe(201);

  browser = await launchBrowser();
  ({ context, page } = await newPage(browser, server.baseUrl));
  watch(page, complaints);
  await login(page, 'tea-two', 'owner', 'owner-password-1');
});

afterEach(async (ctx) => reportFailure(ctx, page, shot));

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await server?.close();
});

describe('loyalty pages', () => {
  it('the owner sets two tiers: a threshold below the one before is refused at the field', async () => {
    await openFromMenu(page, '消费与积分', '等级与积分规则', '等级与积分规则');
    const tiers = page.getByTestId('tiers');
    await tiers.getByText('尚未设置等级').waitFor();
    await button(tiers, '添加等级').click();
    await tiers.getByLabel('等级名称 1', { exact: true }).fill('银卡');
    await tiers.getByLabel('等级代码 1', { exact: true }).fill('silver');
    await tiers.getByLabel('升级门槛 1', { exact: true }).fill('0');
    await button(tiers, '添加等级').click();
    await tiers.getByLabel('等级名称 2', { exact: true }).fill('金卡');
    await tiers.getByLabel('等级代码 2', { exact: true }).fill('GOLD');
    await tiers.getByLabel('升级门槛 2', { exact: true }).fill('0');
    await tiers.getByLabel('折扣 % 2', { exact: true }).fill('5');
    await tiers.getByLabel('或周期消费（元） 2', { exact: true }).fill('1000');
    await button(tiers, '保存等级').click();
    await fieldError(tiers, '门槛须高于上一等级').waitFor();
    await tiers.getByLabel('升级门槛 2', { exact: true }).fill('500');
    await button(tiers, '保存等级').click();
    await page.getByText('会员等级已保存').waitFor();
    await shot(page, 'tiers');
    expect((await owner.get('/api/v1/loyalty/tiers')).body).toEqual([
      { code: 'SILVER', name: '银卡', threshold: 0, discountPct: 0 },
      { code: 'GOLD', name: '金卡', threshold: 500, spendThresholdFen: 100000, discountPct: 5 },
    ]);
  });

  it('sets the rules: drinks earn double, points expire after a month, top up 1,000 get 100; a new version', async () => {
    await page.getByRole('tab', { name: '积分与储值规则' }).click();
    const rules = page.getByTestId('rules');
    const before = (await owner.get('/api/v1/loyalty/rules')).body.version;
    await poll(() => page.getByTestId('rules-version').innerText()).toBe(`当前规则版本：v${before}`);
    await button(rules, '添加品类倍数').click();
    await rules.getByLabel('品类 1', { exact: true }).fill('drinks');
    await rules.getByLabel('倍数 1', { exact: true }).fill('2');
    await choose(page, rules, '积分有效期', '获得后 N 个月过期');
    await rules.getByLabel('月数', { exact: true }).fill('1');
    await button(rules, '添加赠送档位').click();
    await rules.getByLabel('满 ¥ 1', { exact: true }).fill('1000');
    await rules.getByLabel('送 ¥ 1', { exact: true }).fill('100');
    await button(page, '保存规则').click();
    await page.getByText(`规则已保存为 v${before + 1}`).waitFor();
    await poll(() => page.getByTestId('rules-version').innerText()).toBe(`当前规则版本：v${before + 1}`);
    await shot(page, 'rules', true);
    const saved = (await owner.get('/api/v1/loyalty/rules')).body;
    expect(saved.earn.categoryMultipliers).toEqual({ drinks: 2 });
    expect(saved.expiry).toEqual({ mode: 'rolling', months: 1 });
    expect(saved.storedValue.topUpBonus).toEqual([{ minFen: 100000, bonusFen: 10000 }]);
    // untouched sections keep their values
    expect(saved.redemption).toEqual({ pointsPerYuan: 100, maxPaymentPct: 100 });
  });

  it('checkout: finds the member by name, quotes live and records a double-clicked purchase once; the member goes up to 金卡', async () => {
    await openFromMenu(page, '消费与积分', '收银', '收银');
    const find = page.getByLabel('查找会员', { exact: true });
    // "张" matches two members: pick one
    await find.fill('张');
    await find.press('Enter');
    await page.getByText('找到 2 位会员，请选择：').waitFor();
    await find.fill('13800138000');
    await find.press('Enter');
    const member = page.getByTestId('checkout-member');
    await member.getByText('张三').waitFor();
    expect(squash(await member.innerText())).toContain('银卡');
    await page.getByLabel('消费金额（元）', { exact: true }).fill('600');
    const quote = page.getByTestId('checkout-quote');
    await poll(() => textOf(quote.getByTestId('quote-payable'))).toBe('¥600.00');
    const q = squash(await quote.innerText());
    expect(q).toContain('获得积分 600');
    expect(q).toContain('积分最多可抵 ¥0.00');
    await shot(page, 'checkout-quote');
    const record = button(page, '确认收款 ¥600.00');
    await record.dblclick();
    const result = page.getByTestId('checkout-result');
    await result.getByText('消费已记录').waitFor();
    const text = squash(await result.innerText());
    for (const s of ['应付金额 ¥600.00', '获得积分 600', '积分 600', '储值余额 ¥0.00']) expect(text, s).toContain(s);
    expect(squash(await result.getByTestId('tier-change').innerText())).toBe('等级变更： 银卡 金卡');
    await shot(page, 'checkout-recorded');
    // the double click recorded one purchase
    expect((await owner.get(`/api/v1/transactions?memberId=${zhangId}`)).body.items).toHaveLength(1);
  });

  it('checkout with items: drinks earn double, the gold discount applies, the tenders must add up', async () => {
    await button(page, '同一会员继续消费').click();
    await button(page, '添加商品').click();
    await page.getByLabel('商品编码 1', { exact: true }).fill('T01');
    await page.getByLabel('商品名称 1', { exact: true }).fill('珍珠奶茶');
    await page.getByLabel('品类 1', { exact: true }).fill('drinks');
    await page.getByLabel('数量 1', { exact: true }).fill('2');
    await page.getByLabel('单价（元） 1', { exact: true }).fill('20');
    await poll(() => page.getByLabel('消费金额（元）', { exact: true }).inputValue()).toBe('40.00');
    const quote = page.getByTestId('checkout-quote');
    // 5 % off 40.00 = 2.00; 38 yuan × 2 (drinks)
    await poll(() => textOf(quote.getByTestId('quote-payable'))).toBe('¥38.00');
    const q = squash(await quote.innerText());
    expect(q).toContain('折扣优惠 ¥2.00 (5% 折扣)');
    expect(q).toContain('获得积分 76');
    expect(q).toContain('积分最多可抵 ¥6.00');
    await button(page, '添加支付方式').click();
    await page.getByLabel('支付金额 1', { exact: true }).fill('30');
    await page.getByText('支付合计与应付金额不一致').waitFor();
    expect(await button(page, '确认收款 ¥38.00').isDisabled()).toBe(true);
    await button(page, '添加支付方式').click();
    await choose(page, page, '支付方式 2', '积分抵现');
    await page.getByRole('button', { name: '填入剩余' }).nth(1).click();
    await page.getByText('= 800 积分').waitFor();
    await poll(() => textOf(quote.getByTestId('quote-remaining'))).toBe('¥0.00');
    await shot(page, 'checkout-items');
    // 800 points but the member has 600: refused, nothing recorded
    await button(page, '确认收款 ¥38.00').click();
    await page.getByRole('alert').filter({ hasText: '积分不足，未记账' }).waitFor();
    await page.getByLabel('支付金额 2', { exact: true }).fill('6');
    await page.getByRole('button', { name: '填入剩余' }).nth(0).click();
    await poll(() => page.getByLabel('支付金额 1', { exact: true }).inputValue()).toBe('32.00');
    await poll(() => textOf(quote.getByTestId('quote-remaining'))).toBe('¥0.00');
    await button(page, '确认收款 ¥38.00').click();
    const result = page.getByTestId('checkout-result');
    await result.getByText('消费已记录').waitFor();
    const text = squash(await result.innerText());
    for (const s of ['应付金额 ¥38.00', '折扣优惠 ¥2.00', '获得积分 76', '积分抵扣 600', '积分 76']) expect(text, s).toContain(s);
    expect(await result.getByTestId('tier-change').count()).toBe(0);
    expect((await owner.get(`/api/v1/transactions?memberId=${zhangId}`)).body.items).toHaveLength(2);
  });

  it('the member page: ledgers, purchases and tier changes; top-up with its bonus, redemption, adjustment, tier override', async () => {
    await page.goto(`/members/${zhangId}`);
    const header = page.getByTestId('member-header');
    await poll(() => textOf(header.getByTestId('member-points'))).toContain('76');
    expect(squash(await header.innerText())).toContain('金卡');
    // the 600 were spent (oldest lots first); the 76 left expire a month after they were earned
    expect(squash(await page.getByTestId('loyalty-summary').innerText())).toMatch(/^76 积分将于 \d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2} 过期/);

    await page.getByRole('tab', { name: '消费记录' }).click();
    const txs = page.getByTestId('member-transactions');
    await poll(async () => squash(await txs.innerText())).toMatch(/¥40\.00 ¥2\.00 ¥38\.00 76 .*¥600\.00 ¥0\.00 ¥600\.00 600/);

    await page.getByRole('tab', { name: '积分明细' }).click();
    const points = page.getByTestId('ledger-points');
    await poll(async () => squash(await points.innerText())).toMatch(/消费得积分 \+76 76 .*消费支付 −600 0 .*消费得积分 \+600 600/);

    await page.getByRole('tab', { name: '等级变更' }).click();
    const tiers = page.getByTestId('tier-changes');
    await poll(async () => squash(await tiers.innerText())).toContain('等级变更： 银卡 金卡 消费升级');

    // top-up: the rule and the bonus it gives are shown before paying
    await button(header, '储值充值').click();
    let d = dialog('储值充值');
    await d.getByTestId('top-up-rules').getByText('充值满 ¥1,000.00 送 ¥100.00').waitFor();
    await d.getByLabel('充值金额（元）', { exact: true }).fill('999');
    await d.getByText('本次无赠送，到账 ¥999.00').waitFor();
    await d.getByLabel('充值金额（元）', { exact: true }).fill('1000');
    await d.getByText('本次赠送 ¥100.00，到账合计 ¥1,100.00').waitFor();
    await choose(page, d, '付款方式', '微信');
    await shot(page, 'top-up');
    await button(d, '确认充值').click();
    await page.getByText('已充值 ¥1,000.00，赠送 ¥100.00，储值余额 ¥1,100.00').waitFor();
    await poll(() => textOf(header.getByTestId('member-stored-value'))).toContain('¥1,100.00');
    expect(squash(await page.getByTestId('loyalty-summary').innerText())).toContain('储值：本金 ¥1,000.00，赠送 ¥100.00');
    await page.getByRole('tab', { name: '储值明细' }).click();
    const sv = page.getByTestId('ledger-stored_value');
    await poll(async () => squash(await sv.innerText())).toContain('充值赠送 +¥100.00 ¥1,100.00 +¥100.00 owner');
    expect(squash(await sv.innerText())).toContain('储值充值 +¥1,000.00 ¥1,000.00 — owner');

    // redeem more than there is: refused at the field; then 50
    await button(header, '积分兑换').click();
    d = dialog('积分兑换');
    await d.getByText('当前积分 76 分').waitFor();
    await d.getByLabel('兑换积分', { exact: true }).fill('100');
    await d.getByLabel('兑换内容', { exact: true }).fill('保温杯');
    await button(d, '确认兑换').click();
    await fieldError(d, '积分不足（当前 76 分）').waitFor();
    await d.getByLabel('兑换积分', { exact: true }).fill('50');
    await button(d, '确认兑换').click();
    await page.getByText('已兑换 50 分，剩余 26 分').waitFor();

    // an adjustment needs a reason
    await button(header, '调整积分').click();
    d = dialog('调整积分');
    await d.getByLabel('分数', { exact: true }).fill('100');
    await button(d, '确认调整').click();
    await fieldError(d, '此项为必填项').waitFor();
    await d.getByLabel('原因', { exact: true }).fill('开业补偿');
    await button(d, '确认调整').click();
    await page.getByText('已调整，当前 126 分').waitFor();
    await poll(() => textOf(header.getByTestId('member-points'))).toContain('126');

    await button(header, '调整等级').click();
    d = dialog('调整会员等级');
    await choose(page, d, '等级', '银卡');
    await d.getByLabel('原因', { exact: true }).fill('会员申请降级');
    await button(d, '保存').click();
    await page.getByText('会员等级已改为 银卡').waitFor();
    await page.getByRole('tab', { name: '等级变更' }).click();
    await poll(async () => squash(await page.getByTestId('tier-changes').innerText())).toContain('等级变更： 金卡 银卡 手工设置 会员申请降级 owner');
    await page.getByRole('tab', { name: '积分明细' }).click();
    await poll(async () => squash(await page.getByTestId('ledger-points').innerText())).toContain('积分兑换 −50 26 保温杯');
    expect(squash(await page.getByTestId('ledger-points').innerText())).toContain('手工调整 +100 126 开业补偿');
    await shot(page, 'member-points', true);
  });

  it('refunds part of the first purchase from the purchases page and sees it in the detail', async () => {
    await openFromMenu(page, '消费与积分', '消费记录', '消费记录');
    await poll(() => page.getByTestId('transaction-count').innerText()).toBe('已加载 2 笔');
    const row = page.getByRole('row', { name: /¥600\.00/ });
    await button(row, '退款').click();
    const d = dialog('办理退款');
    await d.getByText('应付 ¥600.00，已退 ¥0.00，最多还可退 ¥600.00。').waitFor();
    await d.getByText('部分退款').click();
    await d.getByLabel('退款金额（元）', { exact: true }).fill('100');
    await d.getByLabel('原因', { exact: true }).fill('一杯做错');
    await button(d, '确认退款').click();
    const result = page.getByTestId('refund-result');
    await result.waitFor();
    expect(squash(await result.innerText())).toContain('扣回积分 100');
    await shot(page, 'refund-result');
    await page.locator('.ant-modal').filter({ has: result }).getByRole('button').click();
    await poll(async () => squash(await row.innerText())).toContain('¥100.00 部分退款');
    await row.click();
    const detail = page.getByTestId('transaction-detail');
    await detail.waitFor();
    const text = squash(await detail.innerText());
    expect(text).toContain('已退款 ¥100.00 部分退款');
    expect(text).toMatch(/¥100\.00 \d{4}\/.* owner 扣回积分 100 · 原因：一杯做错/);
    await shot(page, 'transaction-detail');
    await page.keyboard.press('Escape');
  });

  it('reconciles every balance and lists members about to lose points', async () => {
    await openFromMenu(page, '消费与积分', '等级与积分规则', '等级与积分规则');
    await page.getByRole('tab', { name: '对账' }).click();
    await button(page, '开始对账').click();
    await poll(async () => textOf(page.getByTestId('reconcile-result'))).toMatch(/^全部一致：2 位会员，\d+ 条流水$/);
    await shot(page, 'reconcile');

    await openFromMenu(page, '消费与积分', '积分到期', '积分即将过期');
    await page.getByText('90 天内').click();
    const row = page.getByRole('row', { name: /张三/ });
    await row.waitFor();
    expect(squash(await row.innerText())).toMatch(/00000001 张三 26 26 \d{4}\//);
    await shot(page, 'expiring');
  });

  it('a clerk may record purchases and top up but not adjust points, set tiers or change the rules, and sees their store’s purchases only', async () => {
    const clerk = await newPage(browser, server.baseUrl);
    watch(clerk.page, complaints);
    try {
      const p = clerk.page;
      await login(p, 'tea-two', 'clerk02', 'clerk-pass-2024');
      await menuItem(p, '消费与积分').click();
      await menuItem(p, '收银').waitFor();
      const items = (await p.getByRole('menuitem').allInnerTexts()).map((x) => x.trim());
      expect(items).toEqual(['首页', '会员', '消费与积分', '收银', '消费记录', '积分到期', '短信', '营销', '组织架构']);
      await p.goto(`/members/${zhangId}`);
      const actions = p.getByTestId('loyalty-actions');
      await actions.waitFor();
      expect(squash(await actions.innerText())).toBe('收银 储值充值 积分兑换');
      await p.goto('/loyalty/settings');
      await p.getByText('无权访问', { exact: true }).waitFor();
      // a store clerk sees the purchases of their store only: the owner's were at no store
      await p.goto('/transactions');
      await p.getByTestId('transactions').getByText('暂无消费记录').waitFor();
      expect(await button(p, '退款').count()).toBe(0);
      await shot(p, 'clerk-transactions');
    } finally {
      await clerk.context.close();
    }
  });

  it('at 390x844 a purchase can be taken and the lists read as cards', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto('/checkout');
    const find = page.getByLabel('查找会员', { exact: true });
    await find.fill('13900139000');
    await find.press('Enter');
    await page.getByTestId('checkout-member').getByText('张小四').waitFor();
    await page.getByLabel('消费金额（元）', { exact: true }).fill('88.8');
    await poll(() => textOf(page.getByTestId('quote-payable'))).toBe('¥88.80');
    expect(await pageWidth(page)).toBeLessThanOrEqual(390);
    const record = button(page, '确认收款 ¥88.80');
    const box = await record.boundingBox();
    expect(box!.x + box!.width).toBeLessThanOrEqual(390);
    await shot(page, 'phone-checkout');
    await record.click();
    await page.getByTestId('checkout-result').getByText('消费已记录').waitFor();
    expect(squash(await page.getByTestId('balances').innerText())).toContain('积分 88');
    expect(await pageWidth(page)).toBeLessThanOrEqual(390);
    await shot(page, 'phone-recorded');

    await page.goto('/transactions');
    const cards = page.getByTestId('transaction-card');
    await poll(() => cards.count()).toBe(3);
    expect(squash(await cards.first().innerText())).toContain('¥88.80');
    expect(await pageWidth(page)).toBeLessThanOrEqual(390);
    await shot(page, 'phone-transactions');

    await page.goto(`/members/${zhangId}?tab=points`);
    await poll(() => page.getByTestId('ledger-card').count()).toBeGreaterThan(3);
    expect(await pageWidth(page)).toBeLessThanOrEqual(390);
    await shot(page, 'phone-member-points', true);
  });

  it('in English the loyalty pages speak English', async () => {
    await page.setViewportSize({ width: 1280, height: 800 });
    await button(page, '语言').click();
    await page.getByRole('menuitem', { name: 'English' }).click();
    await page.getByRole('tab', { name: 'Points history' }).waitFor();
    for (const tab of ['Purchases', 'Stored value', 'Tier changes']) expect(await page.getByRole('tab', { name: tab }).count(), tab).toBe(1);
    const header = page.getByTestId('member-header');
    expect(squash(await page.getByTestId('loyalty-actions').innerText())).toBe('Checkout Top up Redeem points Adjust points Set tier Cash out');
    expect(squash(await page.getByTestId('loyalty-summary').innerText())).toContain('Stored value: principal ¥1,000.00, bonus ¥100.00');
    // paying principal back forfeits the bonus in proportion
    await button(page.getByTestId('loyalty-actions'), 'Cash out').click();
    const d = page.getByRole('dialog', { name: 'Cash out stored value (principal)' });
    await d.getByText('Stored value ¥1,100.00: principal ¥1,000.00, bonus ¥100.00.', { exact: false }).waitFor();
    await d.getByLabel('Principal to pay back (yuan)', { exact: true }).fill('100');
    await d.getByLabel('Reason', { exact: true }).fill('moving away');
    await button(d, 'Cash out').click();
    await page.getByText('Paid back ¥100.00, bonus forfeited ¥10.00, stored value now ¥990.00').waitFor();
    await poll(() => textOf(page.getByTestId('member-stored-value'))).toContain('¥990.00');
    // tier names are the merchant's own
    expect(squash(await header.innerText())).toContain('银卡');
    await page.getByTestId('ledger-points').getByText('Manual adjustment').waitFor();

    await openFromMenu(page, 'Sales & points', 'Checkout', 'Checkout');
    await page.getByLabel('Find member', { exact: true }).fill('13800138000');
    await page.getByLabel('Find member', { exact: true }).press('Enter');
    await page.getByLabel('Amount (yuan)', { exact: true }).fill('100');
    const quote = page.getByTestId('checkout-quote');
    await poll(() => textOf(quote.getByTestId('quote-payable'))).toBe('¥100.00');
    const q = squash(await quote.innerText());
    for (const s of ['Amount ¥100.00', 'Discount ¥0.00', 'Points earned 100', 'Points can pay up to ¥0.26 (100 points = 1 yuan)']) expect(q, s).toContain(s);
    await shot(page, 'english-checkout');

    await openFromMenu(page, 'Sales & points', 'Tiers and rules', 'Tiers and points rules');
    for (const tab of ['Tiers', 'Points and stored value', 'Reconcile']) expect(await page.getByRole('tab', { name: tab }).count(), tab).toBe(1);
    await page.getByRole('tab', { name: 'Points and stored value' }).click();
    await page.getByText('Top-up bonus', { exact: true }).waitFor();
    await shot(page, 'english-rules', true);
    await openFromMenu(page, 'Sales & points', 'Purchases', 'Purchases');
    for (const h of ['Time', 'Member', 'Store', 'Amount', 'Discount', 'Payable', 'Points earned', 'Refunded', 'Operator']) expect(await page.getByRole('columnheader', { name: h, exact: true }).count(), h).toBe(1);
    await page.getByText('Partly refunded').waitFor();
    expect(complaints).toEqual([]);
  });

  it('the purchases page filters by store and by the merchant’s days and shows who bought; a clerk sees names masked', async () => {
    // two earlier purchases of a new member: one at the store at 00:30 on 1 March in Shanghai (still
    // 28 February in UTC), one at no store on 2 March
    const wang = await owner.post('/api/v1/members', { phone: '13700137000', name: '王五' });
    expect(wang.status).toBe(201);
    const cardNo: string = wang.body.cardNo;
    for (const [at, store] of [['2026-03-01T00:30:00+08:00', storeId], ['2026-03-02T10:00:00+08:00', undefined]] as const) {
      const res = await owner.post('/api/v1/transactions', { member: { id: wang.body.id }, amountFen: 2_000, occurredAt: at, ...(store ? { storeId: store } : {}) }, { 'idempotency-key': `filter-${at}` });
      expect(res.status).toBe(201);
    }
    const pick = async (label: string, date: string) => {
      const input = page.getByLabel(label, { exact: true });
      await input.click();
      await input.fill(date);
      await input.press('Enter');
      await page.locator('.ant-picker-dropdown:visible').waitFor({ state: 'hidden' });
    };
    const count = () => page.getByTestId('transaction-count').innerText();
    const rows = () => page.getByTestId('transactions').locator('tbody tr.ant-table-row');

    await page.goto('/transactions');
    await poll(count).toBe('5 loaded');
    // every row names its member with the card number
    expect(squash(await page.getByRole('row', { name: /¥600\.00/ }).innerText())).toMatch(/张三 · \d{8}/);
    await pick('Start date', '2026-03-01');
    await pick('End date', '2026-03-01');
    await poll(count).toBe('1 loaded');
    const row = squash(await rows().first().innerText());
    expect(row).toContain(`王五 · ${cardNo}`);
    expect(row).toContain('上海徐汇店');
    expect(row).toContain('¥20.00');
    await pick('End date', '2026-03-02');
    await poll(count).toBe('2 loaded');
    await choose(page, page, 'Filter by store', '上海徐汇店');
    await poll(count).toBe('1 loaded');
    expect(new URL(page.url()).searchParams.toString()).toBe(`from=2026-03-01&to=2026-03-02&store=${storeId}`);
    await shot(page, 'transactions-filtered');
    // the filters live in the address: a reload keeps them
    await page.reload();
    await poll(count).toBe('1 loaded');
    expect(squash(await rows().first().innerText())).toContain(`王五 · ${cardNo}`);
    await rows().first().click();
    const detail = page.getByTestId('transaction-detail');
    await detail.waitFor();
    expect(squash(await detail.innerText())).toContain(`王五 · ${cardNo}`);
    await page.keyboard.press('Escape');

    // a clerk of the store (no members.pii) sees the purchase at their store, the name masked
    const clerk = await newPage(browser, server.baseUrl);
    watch(clerk.page, complaints);
    try {
      const p = clerk.page;
      await login(p, 'tea-two', 'clerk02', 'clerk-pass-2024');
      await p.goto('/transactions?from=2026-03-01&to=2026-03-31');
      await poll(() => p.getByTestId('transaction-count').innerText()).toBe('已加载 1 笔');
      const text = squash(await p.getByTestId('transactions').innerText());
      expect(text).toContain(`王* · ${cardNo}`);
      expect(text).not.toContain('王五');
      await shot(p, 'clerk-transactions-masked');
    } finally {
      await clerk.context.close();
    }
    expect(complaints).toEqual([]);
  });
});
