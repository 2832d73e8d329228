// Demo check: open the running demo in Chromium, upload car-1 and a URL, take screenshots.
import { chromium } from 'playwright-core';
const base = process.argv[2] ?? 'http://127.0.0.1:8000';
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
for (const [w, h, name] of [[1280, 900, 'desk'], [375, 800, 'phone']] as const) {
  const page = await browser.newPage({ viewport: { width: w, height: h } });
  await page.goto(base);
  await page.setInputFiles('input[type=file]', ['/work/shared/fixtures/rembg/car-1.jpg', '/work/shared/fixtures/rembg/cloth-1.jpg']);
  await page.waitForSelector('text=Download', { timeout: 120_000 });
  await page.waitForTimeout(9000);
  await page.screenshot({ path: `/tmp/demo-${name}.png`, fullPage: true });
  await page.close();
}
// An image URL that is refused (a private address): the api's sentence on a card.
const page = await browser.newPage({ viewport: { width: 1280, height: 700 } });
await page.goto(base);
await page.fill('input[type=url]', 'http://10.0.0.5/photo.jpg');
await page.keyboard.press('Enter');
await page.waitForTimeout(1500);
await page.screenshot({ path: '/tmp/demo-url-refused.png' });
await browser.close();
console.log('shots done');
