import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { packageRoot } from '../../src/platform/paths.js';

/** Debian's chromium (`apt-get install chromium`); never a browser playwright downloads. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const SCREENSHOT_DIR = path.join(packageRoot(), 'artifacts', 'screenshots');

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}

/** A fresh context (own cookies and localStorage) on the test server, Chinese by default. */
export async function newPage(browser: Browser, baseURL: string, viewport = { width: 1280, height: 800 }): Promise<{ context: BrowserContext; page: Page }> {
  // Reduced motion: the console then animates nothing, so no click lands on a dialog still
  // zooming in on a loaded machine (the console honours the setting for people too).
  const context = await browser.newContext({ baseURL, viewport, locale: 'zh-CN', timezoneId: 'Asia/Shanghai', reducedMotion: 'reduce' });
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  return { context, page };
}

/** Waits for running transitions (drawers sliding, modals fading) to end; endless ones such as
 * spinners are left alone, and so is antd's click ripple (a transparent overlay whose opacity
 * fades for 2 s after every button press). */
export async function settle(page: Page): Promise<void> {
  await page.evaluate(() =>
    Promise.race([
      Promise.all(
        document
          .getAnimations()
          .filter((a) => Number.isFinite(Number(a.effect?.getComputedTiming().endTime)))
          .filter((a) => !((a.effect as KeyframeEffect | null)?.target as Element | null)?.closest?.('.wave-motion-appear'))
          .map((a) => a.finished.catch(() => undefined)),
      ),
      new Promise((resolve) => setTimeout(resolve, 2000)),
    ]),
  );
}

/** Saves artifacts/screenshots/<prefix>-<nn>-<name>.png (the folder CI keeps). */
export function screenshotter(prefix: string) {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  // Stale shots of an earlier run would pass for this run's.
  for (const f of readdirSync(SCREENSHOT_DIR)) if (f.startsWith(`${prefix}-`)) rmSync(path.join(SCREENSHOT_DIR, f));
  let n = 0;
  return async (page: Page, name: string, fullPage = false) => {
    n += 1;
    await settle(page);
    const file = path.join(SCREENSHOT_DIR, `${prefix}-${String(n).padStart(2, '0')}-${name}.png`);
    await page.screenshot({ path: file, fullPage });
    return file;
  };
}
