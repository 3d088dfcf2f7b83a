/**
 * What the console browser tests share: finding things the way a person does (roles and
 * visible names), antd's selects and date pickers, logging in, and catching page errors and
 * React/antd warnings.
 */
import type { Locator, Page } from 'playwright-core';

export const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** Matches an accessible name that ends with `label` (antd icons add their own name in front). */
export const named = (label: string) => new RegExp(`(^|\\s)${escapeRe(label)}$`);
export const button = (scope: Page | Locator, name: string) => scope.getByRole('button', { name: named(name) });
export const menuItem = (p: Page, name: string) => p.getByRole('menuitem', { name: named(name) });

export async function textOf(locator: Locator): Promise<string> {
  await locator.first().waitFor();
  return (await locator.first().innerText()).trim();
}

/** Picks an option of the antd Select labelled `label` inside `scope`. */
export async function choose(page: Page, scope: Locator | Page, label: string, option: string) {
  await scope.getByLabel(label, { exact: true }).click();
  const popup = page.locator('.ant-select-dropdown:visible');
  // .ant-select-item-option: rc-select also renders a hidden list for screen readers
  await popup.locator('.ant-select-item-option').filter({ hasText: new RegExp(`^${escapeRe(option)}$`) }).first().click();
  await popup.waitFor({ state: 'hidden' });
}

/** The error text under a form field. */
export const fieldError = (scope: Locator, text: string) => scope.locator('.ant-form-item-explain-error').filter({ hasText: text });

/** Opens a page from a submenu (opening the submenu when it is closed). */
export async function openFromMenu(p: Page, group: string, item: string, heading: string) {
  if (!(await menuItem(p, item).isVisible())) await menuItem(p, group).click();
  await menuItem(p, item).click();
  // A feature's first page waits for its chunk; when the heading never comes, say what the
  // page shows instead (CI keeps the output, not the browser).
  await p
    .getByRole('heading', { name: heading, exact: true })
    .waitFor({ timeout: 20_000 })
    .catch(async (err: Error) => {
      const shown = await p.locator('main').innerText({ timeout: 1000 }).catch(() => '(no main)');
      throw new Error(`${err.message}\nat ${p.url()} the page shows: ${shown.slice(0, 500)}`);
    });
}

export async function login(p: Page, tenant: string, username: string, password: string) {
  await p.goto('/login');
  await p.getByLabel('商户代码', { exact: true }).fill(tenant);
  await p.getByLabel('用户名', { exact: true }).fill(username);
  await p.getByLabel('密码', { exact: true }).fill(password);
  await button(p, '登录').click();
  await p.getByTestId('merchant-name').waitFor();
}

/** Collects page errors and React/antd warnings into `into`: a page that works but complains
 * is not done. 4xx answers are part of the stories (the browser logs each). */
export function watch(p: Page, into: string[]) {
  p.on('pageerror', (e) => into.push(`pageerror: ${e.message}`));
  p.on('console', (m) => {
    if (/^Failed to load resource: the server responded with a status of 4\d\d/.test(m.text())) return;
    if (m.type() === 'error' || (m.type() === 'warning' && /antd|React|Warning/.test(m.text()))) into.push(`${m.type()}: ${m.text().slice(0, 300)}`);
  });
}

/** The page is no wider than the phone: nothing to scroll sideways. */
export const pageWidth = (p: Page) => p.evaluate(() => document.documentElement.scrollWidth);

/** What a person would read on a page when a step failed: open dialogs, alerts, field errors
 * and notices, then the start of the page. CI keeps the test output, so this goes there. */
export async function describePage(p: Page): Promise<string> {
  return p
    .evaluate(() => {
      const seen = (sel: string) =>
        [...document.querySelectorAll<HTMLElement>(sel)].filter((e) => e.offsetParent !== null || getComputedStyle(e).position === 'fixed').map((e) => e.innerText.trim().replace(/\s+/g, ' ').slice(0, 400));
      const parts = [
        `url: ${location.pathname}${location.search}`,
        ...seen('[role="dialog"]').map((t) => `dialog: ${t}`),
        ...seen('.ant-message-notice, .ant-notification-notice, .ant-alert').map((t) => `notice: ${t}`),
        ...seen('.ant-form-item-explain-error').map((t) => `field error: ${t}`),
        `page: ${(document.querySelector('main') ?? document.body).innerText.trim().replace(/\s+/g, ' ').slice(0, 600)}`,
      ];
      return parts.join('\n');
    })
    .catch((err: Error) => `(page unreadable: ${err.message})`);
}

/** afterEach for browser tests: on failure, a screenshot and what the page showed. */
export async function reportFailure(ctx: { task: { name: string; result?: { state?: string } } }, p: Page | undefined, shot?: (p: Page, name: string, fullPage?: boolean) => Promise<unknown>) {
  if (ctx.task.result?.state !== 'fail' || !p) return;
  console.error(`[${ctx.task.name}] the page when it failed:\n${await describePage(p)}`);
  if (shot) await shot(p, `failed-${ctx.task.name.slice(0, 30).replace(/\W+/g, '-')}`, true).catch(() => undefined);
}
