// The instant preview of cheap options on a finished card (issue 18), in real Chromium against the
// real api + worker + Redis, with the real rendering around a stand-in for the model: a background
// colour, shadow or crop chosen in the Options panel shows at once over the card's transparent
// result, labelled Preview, with no request to /remove-bg; Apply options has the server render it.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import sharp from 'sharp';
import { browserSkip, launchChromium, openPage, SCREENSHOTS } from '../helpers/browser.js';
import { subjectOnBackground } from '../helpers/images.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { darkSubjectCutter } from '../helpers/stand-in.js';

describe('instant preview of cheap options in Chromium', { skip: browserSkip, timeout: 180_000 }, () => {
  let stack: Stack;
  let browser: Browser;
  before(async () => {
    stack = await startStack({ workers: 1, cutter: darkSubjectCutter() });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('previews a background colour, shadow and crop in the browser; Apply renders the colour on the server', async () => {
    const page = await openPage(browser, stack.baseUrl, { viewport: { width: 1280, height: 900 } });
    let uploads = 0;
    page.on('request', (r) => void (r.method() === 'POST' && r.url().endsWith('/remove-bg') && uploads++));
    const card = page.locator('.card').first();
    const result = () => card.locator('a.download').getAttribute('href');
    await page.setInputFiles('#file', { name: 'shoe.png', mimeType: 'image/png', buffer: await subjectOnBackground(320, 240, 'png') });
    await card.locator('.badge', { hasText: 'Done' }).waitFor({ timeout: 60_000 });
    const first = await result();
    assert.equal(uploads, 1);
    const tag = card.locator('.view:not([hidden]) .pv-tag');
    assert.equal(await tag.isVisible(), false, 'no preview while the panel matches the card');

    await page.getByText('Options', { exact: true }).click();
    await page.getByRole('radio', { name: 'Colour' }).check();
    await page.getByLabel('Background colour').fill('#ff0000');
    await tag.waitFor({ state: 'visible' });
    assert.equal(await tag.textContent(), 'Preview');
    const behind = () => card.locator('.after-clip').evaluate((e) => getComputedStyle(e).backgroundColor);
    assert.equal(await behind(), 'rgb(255, 0, 0)', 'the colour is behind the cutout');
    assert.equal(await card.locator('.apply').isVisible(), true);
    assert.match((await card.locator('.apply').getAttribute('title')) ?? '', /preview/i);

    // Shadow and crop too: a drop-shadow on the cutout, the crop's box over it.
    await page.getByRole('combobox', { name: 'Shadow' }).selectOption('soft');
    assert.match(await card.locator('.after-clip img.result').evaluate((e) => getComputedStyle(e).filter), /drop-shadow/);
    await page.getByRole('combobox', { name: 'Crop' }).selectOption('true');
    const box = card.locator('.view:not([hidden]) .pv-box');
    await box.waitFor({ state: 'visible' });
    const [w, h] = await box.evaluate((e) => [e.getBoundingClientRect().width, e.getBoundingClientRect().height]);
    assert.ok(w! > 10 && h! > 10, `the crop box is drawn: ${w}x${h}`);
    await card.screenshot({ path: path.join(SCREENSHOTS, '20-preview-card.png') });
    await page.screenshot({ path: path.join(SCREENSHOTS, '20-preview-1280.png'), fullPage: true });
    await page.getByRole('combobox', { name: 'Shadow' }).selectOption('none');
    await page.getByRole('combobox', { name: 'Crop' }).selectOption('false');
    assert.equal(await box.isVisible(), false);
    assert.equal(await behind(), 'rgb(255, 0, 0)');
    assert.equal(await result(), first, 'the download is still the server result');
    assert.equal(uploads, 1, 'a preview sends nothing to /remove-bg');

    // Apply: a new job, and the card shows the server's render in place of the preview.
    await card.locator('.apply').click();
    await page.waitForFunction((f) => {
      const c = document.querySelector('.card');
      return c?.querySelector('.badge')?.textContent === 'Done' && c.querySelector('a.download')?.getAttribute('href') !== f;
    }, first, { timeout: 60_000 });
    assert.equal(uploads, 2);
    assert.equal(await tag.isVisible(), false, 'the server render replaces the preview');
    const second = (await result())!;
    assert.equal(await card.locator('.after-clip img.result').getAttribute('src'), second);
    const { data, info } = await sharp(await (await page.request.get(`${stack.baseUrl}${second}`)).body()).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    for (const [x, y] of [[0, 0], [info.width - 1, info.height - 1]] as const) {
      const i = (y * info.width + x) * info.channels;
      assert.deepEqual([...data.subarray(i, i + 4)], [255, 0, 0, 255], `opaque red where the cutout was transparent (${x},${y})`);
    }
    // The earlier transparent result stays the base: another colour is previewed at once.
    await page.getByLabel('Background colour').fill('#0000ff');
    await tag.waitFor({ state: 'visible' });
    assert.equal(await behind(), 'rgb(0, 0, 255)');
    // Another format needs the server: no preview, and Apply's tooltip says so.
    await page.getByRole('combobox', { name: 'Format' }).selectOption('webp');
    assert.equal(await tag.isVisible(), false);
    assert.match((await card.locator('.apply').getAttribute('title')) ?? '', /No instant preview/);
    assert.equal(uploads, 2);
    assert.deepEqual(page.jsErrors, []);
    await page.close();
  });
});
