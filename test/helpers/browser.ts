import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core';
import { ROOT } from './fixtures.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SCREENSHOTS = path.join(ROOT, 'test-output', 'screenshots');

/** False, or why browser tests cannot run here. CI installs chromium, so there they always run. */
export const browserSkip: string | false = fs.existsSync(CHROMIUM)
  ? false
  : `skipped: no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH)`;

export function launchChromium(): Promise<Browser> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** A page (in a context of its own) at `url` once its limits have loaded; `jsErrors` collects the page's errors. */
export async function openPage(browser: Browser, url: string, context: BrowserContextOptions = {}): Promise<Page & { jsErrors: string[] }> {
  const page = Object.assign(await browser.newPage(context), { jsErrors: [] as string[] });
  page.on('pageerror', (e) => page.jsErrors.push(String(e)));
  page.on('console', (m) => m.type() === 'error' && !/Failed to load resource/.test(m.text()) && page.jsErrors.push(m.text()));
  await page.goto(url);
  await page.waitForFunction(() => document.getElementById('drop-hint')?.textContent?.includes('MB'));
  return page;
}
