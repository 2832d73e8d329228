// The demo page in real Chromium against the real api + worker + Redis.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { fixturesSkip, REMBG } from '../helpers/fixtures.js';
import { subjectOnBackground } from '../helpers/images.js';
import { browserSkip, launchChromium, SCREENSHOTS } from '../helpers/browser.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { resultName } from '../../src/vocabulary.js';

describe('demo page in Chromium', { skip: browserSkip, timeout: 600_000 }, () => {
  let stack: Stack;
  let browser: Browser;
  before(async () => {
    stack = await startStack({ workers: 1, env: { RESULT_CACHE: 'true' } });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await stack?.stop();
  });

  async function photo(): Promise<{ name: string; buffer: Buffer }> {
    if (!fixturesSkip) return { name: 'car-1.jpg', buffer: fs.readFileSync(path.join(REMBG, 'car-1.jpg')) };
    return { name: 'generated.jpg', buffer: await subjectOnBackground(480, 360) };
  }

  async function openPage(width: number, height: number, opts: { noStream?: boolean } = {}): Promise<Page> {
    const page = await browser.newPage({ viewport: { width, height } });
    // The event stream refused (a proxy that buffers, a broken connection): the page polls.
    if (opts.noStream) await page.route(/\/events(\/|\?|$)/, (route) => route.abort());
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => m.type() === 'error' && !/Failed to load resource/.test(m.text()) && errors.push(m.text()));
    await page.goto(stack.baseUrl);
    await page.waitForFunction(() => document.getElementById('drop-hint')?.textContent?.includes('MB'));
    (page as Page & { jsErrors?: string[] }).jsErrors = errors;
    return page;
  }
  /**
   * The original and the cutout fill one box with one geometry in the visible view, and what is
   * behind them is the backdrop, never black: no bars above or below the original.
   */
  async function assertSameBox(page: Page, view: 'compare' | 'side'): Promise<void> {
    // (no named functions inside: tsx would wrap them in a helper the page lacks)
    const boxes = await page.evaluate((v) => {
      const card = document.querySelector('.card')!;
      const frameSel = v === 'compare' ? '.compare' : '.side figure:first-child .checker';
      const [original, result, frame] = [`.view.${v} img.original`, `.view.${v} img.result`, frameSel]
        .map((sel) => card.querySelector(sel)!.getBoundingClientRect())
        .map((r) => ({ w: Math.round(r.width), h: Math.round(r.height), x: Math.round(r.x), y: Math.round(r.y) }));
      const frames = Array.from(card.querySelectorAll(v === 'compare' ? '.compare' : '.side .checker'));
      return { original: original!, result: result!, frame: frame!, backgrounds: frames.map((f) => getComputedStyle(f).backgroundColor) };
    }, view);
    const size = (b: { w: number; h: number }) => `${b.w}x${b.h}`;
    assert.ok(boxes.original.w > 0 && boxes.original.h > 0, JSON.stringify(boxes));
    assert.equal(size(boxes.result), size(boxes.original), `${view}: the cutout's box is the original's`);
    assert.equal(size(boxes.frame), size(boxes.original), `${view}: no band around the original`);
    if (view === 'compare') assert.deepEqual(boxes.result, boxes.original, 'the cutout lies exactly on the original');
    for (const bg of boxes.backgrounds) assert.notEqual(bg, 'rgb(0, 0, 0)', `${view}: the backdrop is not black`);
  }

  /** With a white backdrop, the cutout side of the slider is white at its top and bottom edge. */
  async function assertWhiteEdges(page: Page): Promise<void> {
    const png = await page.locator('.card .compare').first().screenshot();
    const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    for (const y of [1, info.height - 2]) {
      const i = (y * info.width + info.width - 4) * info.channels;
      const px = [data[i]!, data[i + 1]!, data[i + 2]!];
      assert.ok(px.every((c) => c > 200), `pixel at the right edge, row ${y}, is white, not ${px}`);
    }
  }

  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });

  it('uploads through the file input, shows progress, the result and a working download', async () => {
    const page = await openPage(1280, 900);
    await shot(page, '01-empty');
    const { name, buffer } = await photo();
    await page.setInputFiles('#file', { name, mimeType: 'image/jpeg', buffer });
    await page.locator('.card img.original').first().waitFor();
    await page.locator('.card .progress').waitFor();
    await shot(page, '02-uploaded-progress');
    const result = page.getByRole('img', { name: /cutout of/i }).first();
    await result.waitFor({ state: 'visible', timeout: 120_000 });
    await page.waitForFunction(() => {
      const img = document.querySelector<HTMLImageElement>('.compare img.result');
      return !!img && img.complete && img.naturalWidth > 0;
    });
    assert.equal(await page.locator('.card .badge').first().textContent(), 'Done');
    await shot(page, '03-done-slider');

    const link = page.locator('a[download]').first();
    const href = await link.getAttribute('href');
    assert.equal(await link.getAttribute('download'), resultName(name));
    assert.ok(href?.startsWith('/result/'), String(href));
    const res = await page.request.get(`${stack.baseUrl}${href}`);
    assert.equal(res.headers()['content-type'], 'image/png');
    const meta = await sharp(await res.body()).metadata();
    assert.equal(meta.channels, 4);
    assert.equal(meta.hasAlpha, true);

    // the slider moves with the keyboard
    await page.locator('.slider').first().focus();
    for (let i = 0; i < 5; i++) await page.keyboard.press('ArrowRight');
    assert.equal(await page.locator('.slider').first().inputValue(), '55');
    await assertSameBox(page, 'compare');
    await page.getByRole('button', { name: 'White' }).first().click();
    await assertWhiteEdges(page);
    await shot(page, '03b-done-slider-white');

    await page.getByRole('button', { name: 'Side by side' }).first().click();
    await assertSameBox(page, 'side');
    await shot(page, '03c-done-side-by-side-white');
    await page.getByRole('button', { name: 'Black' }).first().click();
    await shot(page, '04-done-side-by-side-black');
    assert.deepEqual((page as Page & { jsErrors?: string[] }).jsErrors, []);
    await page.close();
  });

  /** Waits until the first card is done with a result other than `previous`; returns the result's address. */
  async function nextResult(page: Page, previous: string | null): Promise<string> {
    await page.waitForFunction((prev) => {
      const card = document.querySelector('.card');
      const href = card?.querySelector('a.download')?.getAttribute('href');
      const badge = card?.querySelector('.badge')?.textContent;
      return (badge === 'Done' && href && href !== prev) || badge === 'Failed';
    }, previous, { timeout: 120_000 });
    assert.equal(await page.locator('.card .error').first().isVisible(), false, String(await page.locator('.card .error').first().textContent()));
    return (await page.locator('.card a.download').first().getAttribute('href'))!;
  }
  const jobOf = (href: string) => /\/result\/([^/?]+)/.exec(href)![1]!;
  const status = async (href: string) =>
    (await (await fetch(`${stack.baseUrl}/status/${jobOf(href)}`)).json()) as { options: Record<string, unknown>; mask_reused?: boolean; cached?: boolean };

  it('sends the Options panel with each upload, applies new options to a finished card and remembers them', async () => {
    const page = await openPage(1280, 900);
    const { name, buffer } = await photo();
    await page.getByText('Options', { exact: true }).click();
    const format = page.getByRole('combobox', { name: 'Format' });
    const crop = page.getByRole('combobox', { name: 'Crop' });
    await format.selectOption('webp');
    await page.getByRole('radio', { name: 'Colour' }).check();
    await page.getByLabel('Background colour').fill('#ffffff');
    await crop.selectOption('true');

    // An option the api would refuse: its sentence under the panel, and nothing is uploaded.
    await page.getByRole('textbox', { name: 'Canvas' }).fill('20x');
    assert.match((await page.locator('#options-error').textContent()) ?? '', /^Canvas must be WIDTHxHEIGHT/);
    await page.setInputFiles('#file', { name, mimeType: 'image/jpeg', buffer });
    assert.equal(await page.locator('.card').count(), 0, 'no card, no upload');
    await page.getByRole('textbox', { name: 'Canvas' }).fill('');
    assert.equal(await page.locator('#options-error').isVisible(), false);

    await page.setInputFiles('#file', { name, mimeType: 'image/jpeg', buffer });
    const first = await nextResult(page, null);
    const info = (await page.locator('.card .result-info').textContent()) ?? '';
    assert.match(info, /^WebP · \d+×\d+ · /);
    assert.match((await page.locator('.card .options-info').textContent()) ?? '', /Format WebP · Crop Subject · Background #ffffff/);
    const link = page.locator('.card a.download').first();
    assert.equal(await link.getAttribute('download'), resultName(name, 'webp'));
    assert.equal(await link.textContent(), 'Download WebP');
    const res = await page.request.get(`${stack.baseUrl}${first}`);
    assert.equal(res.headers()['content-type'], 'image/webp');
    const meta = await sharp(await res.body()).metadata();
    assert.equal(meta.format, 'webp');
    assert.ok(info.startsWith(`WebP · ${meta.width}×${meta.height}`), `${info} vs ${meta.width}x${meta.height}`);
    const { options } = await status(first);
    assert.deepEqual([options.format, options.crop, options.bg_color], ['webp', true, '#ffffffff']);
    // An opaque result (on white): no transparent backdrop to choose.
    assert.equal(await page.locator('.card .backdrops').isVisible(), false);
    await page.screenshot({ path: '/tmp/ui-1280-done-webp.png', fullPage: true });

    // Another option for the finished card: a second job, from the stored mask.
    const apply = page.getByRole('button', { name: 'Apply options' }).first();
    assert.equal(await apply.isVisible(), false, 'nothing to apply while the panel matches the card');
    await format.selectOption('png');
    await page.getByRole('radio', { name: 'None' }).check();
    await apply.click();
    const second = await nextResult(page, first);
    const again = await status(second);
    assert.ok(again.mask_reused || again.cached, JSON.stringify(again));
    assert.equal((await page.request.get(`${stack.baseUrl}${second}`)).headers()['content-type'], 'image/png');
    assert.match((await page.locator('.card .result-info').textContent()) ?? '', /^PNG · /);
    assert.equal(await page.locator('.card a.download').first().getAttribute('download'), resultName(name, 'png'));
    assert.equal(await page.locator('.card .backdrops').isVisible(), true, 'a transparent result: the backdrop buttons are back');
    await page.getByRole('button', { name: 'Black' }).first().click();
    await page.screenshot({ path: '/tmp/ui-1280-applied-png.png', fullPage: true });

    // The same photo with the same options again: done at once, from the result cache (a new card, first in the list).
    await page.setInputFiles('#file', { name, mimeType: 'image/jpeg', buffer });
    await page.waitForFunction(() => document.querySelectorAll('.card').length === 2);
    const third = await nextResult(page, null);
    assert.notEqual(third, second);
    assert.equal((await status(third)).cached, true);
    assert.match((await page.locator('.card .result-info').first().textContent()) ?? '', /^PNG · .* · from cache$/);

    // A job that fails (no face in the photo): its sentence on the card, and other options may still be applied.
    if (!fixturesSkip) {
      await crop.selectOption('face');
      await apply.click();
      const card = page.locator('.card').first();
      await card.locator('.error').waitFor({ state: 'visible', timeout: 120_000 });
      assert.match((await card.locator('.error').textContent()) ?? '', /No face was found/);
      assert.equal(await card.locator('.badge').textContent(), 'Failed');
      assert.equal(await card.locator('.retry').isVisible(), false, 'the same options would fail again');
      await page.screenshot({ path: '/tmp/ui-1280-no-face.png', fullPage: true });
      await crop.selectOption('true');
      assert.equal(await apply.isVisible(), true);
    }

    // A background image: the panel asks for the file first, then sends it with the photo.
    await page.getByRole('radio', { name: 'Image' }).check();
    assert.match((await page.locator('#options-error').textContent()) ?? '', /Choose a background image file/);
    assert.equal(await apply.isVisible(), false, 'nothing to apply while the options are incomplete');
    const beach = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#2a7ab0' } }).jpeg().toBuffer();
    await page.getByLabel('Background image').setInputFiles({ name: 'beach.jpg', mimeType: 'image/jpeg', buffer: beach });
    const before = await page.locator('.card a.download').first().getAttribute('href');
    await apply.click();
    const withImage = await nextResult(page, before);
    assert.equal(typeof (await status(withImage)).options.bg_image, 'string');
    assert.match((await page.locator('.card .options-info').first().textContent()) ?? '', /Background image/);
    assert.equal(await page.locator('.card .backdrops').first().isVisible(), false, 'an opaque result');
    await page.screenshot({ path: '/tmp/ui-1280-bg-image.png', fullPage: true });

    // Remembered between visits.
    await page.reload();
    await page.waitForFunction(() => document.getElementById('drop-hint')?.textContent?.includes('MB'));
    assert.equal(await format.inputValue(), 'png');
    assert.equal(await crop.inputValue(), 'true');
    assert.equal(await page.getByRole('radio', { name: 'None' }).isChecked(), true, 'a background image file is not remembered');
    assert.equal(await page.getByLabel('Background colour').inputValue(), '#ffffff', 'an unchosen background keeps its value');
    assert.equal(await page.locator('.options-summary').textContent(), 'Crop Subject');
    assert.deepEqual((page as Page & { jsErrors?: string[] }).jsErrors, []);
    await page.close();
  });

  it('shows a clear error for a dropped file that is not an image', async () => {
    const page = await openPage(1280, 800);
    await page.evaluate(() => {
      const dt = new DataTransfer();
      dt.items.add(new File(['this is not an image'], 'notes.png', { type: 'image/png' }));
      document.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    });
    const error = page.locator('.card .error');
    await error.waitFor({ state: 'visible' });
    assert.match((await error.textContent()) ?? '', /not a supported image/i);
    assert.equal(await page.locator('.card .badge').textContent(), 'Failed');
    await shot(page, '05-error-not-an-image');
    await page.close();
  });

  it('fits a 375 px phone screen with no horizontal scroll', async () => {
    const page = await openPage(375, 740);
    await page.getByText('Options', { exact: true }).click();
    await page.getByRole('radio', { name: 'Blur' }).check();
    const noScroll = async () => {
      const widths = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
      assert.ok(widths[0]! <= widths[1]!, `no horizontal scroll: ${widths}`);
    };
    await noScroll();
    await page.screenshot({ path: '/tmp/ui-375-options.png', fullPage: true });
    await page.getByRole('radio', { name: 'None' }).check();
    await page.getByText('Options', { exact: true }).click();
    const { name, buffer } = await photo();
    await page.setInputFiles('#file', { name, mimeType: 'image/jpeg', buffer });
    await page.getByRole('img', { name: /cutout of/i }).first().waitFor({ state: 'visible', timeout: 120_000 });
    await page.waitForFunction(() => document.querySelector<HTMLImageElement>('.compare img.result')?.naturalWidth);
    const widths = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
    assert.ok(widths[0]! <= widths[1]!, `no horizontal scroll: ${widths}`);
    await shot(page, '06-phone-375');
    await page.screenshot({ path: '/tmp/ui-375-done.png', fullPage: true });
    await assertSameBox(page, 'compare');
    await page.getByRole('button', { name: 'Side by side' }).first().click();
    await assertSameBox(page, 'side');
    await shot(page, '07-phone-375-side-by-side');
    await page.emulateMedia({ colorScheme: 'dark' });
    await assertSameBox(page, 'side');
    await shot(page, '08-phone-375-side-by-side-dark');
    await page.getByRole('button', { name: 'Slider' }).first().click();
    await assertSameBox(page, 'compare');
    await shot(page, '09-phone-375-slider-dark');
    await page.close();
  });

  it('follows a job by polling /status when the event stream cannot be had', async () => {
    const page = await openPage(1280, 800, { noStream: true });
    const { name, buffer } = await photo();
    await page.setInputFiles('#file', { name, mimeType: 'image/jpeg', buffer });
    await page.getByRole('img', { name: /cutout of/i }).first().waitFor({ state: 'visible', timeout: 120_000 });
    assert.equal(await page.locator('.card .badge').first().textContent(), 'Done');
    assert.ok((await page.locator('a[download]').first().getAttribute('href'))?.startsWith('/result/'));
    assert.deepEqual((page as Page & { jsErrors?: string[] }).jsErrors, []);
    await page.close();
  });
});
