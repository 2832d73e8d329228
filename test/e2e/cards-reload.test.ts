// The page as a studio over visits (issue 18), in real Chromium against the real api + worker, on
// the synthetic segmentation (a soft disk: the model is not the point): the same photo uploaded
// twice (the second answered from the result cache) is edited on the second card and saved
// without touching the first; a reload brings both cards back (the edited version shown, Edit
// there); Clear finished forgets them; a remembered job the api no longer knows is dropped quietly.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { fixturesSkip, REMBG } from '../helpers/fixtures.js';
import { browserSkip, launchChromium, openPage, SCREENSHOTS } from '../helpers/browser.js';
import { brushRect, setEditorRange } from '../helpers/editor-page.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { syntheticCutter } from '../helpers/synthetic-cutter.js';

/** Inside the disk the synthetic model keeps of car-1 (480×360: an ellipse of radii 144 × 108 around the middle). */
const ERASE = { x0: 200, y0: 160, x1: 280, y1: 200 };
const BRUSH = 20;

describe('the page keeps its cards over a reload, and edits a cached result', { skip: browserSkip || fixturesSkip, timeout: 300_000 }, () => {
  let stack: Stack;
  let browser: Browser;
  const car = () => fs.readFileSync(path.join(REMBG, 'car-1.jpg'));
  before(async () => {
    stack = await startStack({ workers: 1, cutter: syntheticCutter(), env: { RESULT_CACHE: 'true' } });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await stack?.stop();
  });

  async function alphaOf(url: string) {
    const res = await fetch(`${stack.baseUrl}${url}`);
    assert.equal(res.status, 200, url);
    const { data, info } = await sharp(Buffer.from(await res.arrayBuffer())).extractChannel(3).raw().toBuffer({ resolveWithObject: true });
    return (x: number, y: number) => data[y * info.width + x]!;
  }
  const hrefs = (page: Page) => page.locator('.card a.download').evaluateAll((links) => links.map((a) => a.getAttribute('href')!));
  const jobOf = (href: string) => /\/result\/([^/?]+)/.exec(href)![1]!;
  /** Waits for `n` cards, every one done (its Edit button there). */
  const doneCards = (page: Page, n: number) =>
    page.waitForFunction(
      (count) => {
        const cards = Array.from(document.querySelectorAll('.card'));
        return cards.length === count && cards.every((c) => c.querySelector('.badge')!.textContent === 'Done' && !c.querySelector<HTMLElement>('.edit')!.hidden);
      },
      n,
      { timeout: 120_000 },
    );
  const reload = async (page: Page) => {
    await page.reload();
    await page.waitForFunction(() => document.getElementById('drop-hint')?.textContent?.includes('MB'));
  };

  it('upload twice → Edit on the cached card saves its own version → reload → both cards are back; Clear finished forgets them', async () => {
    const page = await openPage(browser, stack.baseUrl, { viewport: { width: 1280, height: 900 } });
    await page.setInputFiles('#file', { name: 'car-1.jpg', mimeType: 'image/jpeg', buffer: car() });
    await doneCards(page, 1);
    await page.setInputFiles('#file', { name: 'car-again.jpg', mimeType: 'image/jpeg', buffer: car() });
    await doneCards(page, 2);
    const [copyHref, originalHref] = await hrefs(page);
    const [copy, original] = [jobOf(copyHref!), jobOf(originalHref!)];
    assert.match((await page.locator('.card .result-info').first().textContent()) ?? '', /from cache/, 'the second card is the cached one');
    const cached = (await (await fetch(`${stack.baseUrl}/status/${copy}`)).json()) as { cached?: boolean };
    assert.equal(cached.cached, true);
    const originalBefore = await alphaOf(originalHref!);
    assert.equal(originalBefore(240, 180), 255, 'the disk is opaque');

    // Edit on the cached card: a brush stroke over the rectangle, Save.
    await page.locator('.card').first().getByRole('button', { name: 'Edit' }).click();
    await page.waitForFunction(() => (document.querySelector('.editor canvas') as HTMLCanvasElement).width > 0 && !document.querySelector('.ed-status')!.textContent, undefined, { timeout: 60_000 });
    await setEditorRange(page, 'size', BRUSH);
    await setEditorRange(page, 'hard', 100);
    await brushRect(page, ERASE, BRUSH);
    await page.getByRole('button', { name: 'Save' }).click();
    await page.locator('.editor').waitFor({ state: 'detached', timeout: 60_000 });
    const [editedHref] = await hrefs(page);
    assert.match(editedHref!, /\?v=2$/, 'the card shows version 2');
    const edited = await alphaOf(editedHref!);
    for (let y = ERASE.y0 + 2; y <= ERASE.y1 - 2; y += 2) for (let x = ERASE.x0 + 2; x <= ERASE.x1 - 2; x += 2) assert.equal(edited(x, y), 0, `erased at ${x},${y}`);
    const originalAfter = await alphaOf(originalHref!);
    assert.equal(originalAfter(240, 180), 255, 'the original job\'s result is untouched');
    const originalStatus = (await (await fetch(`${stack.baseUrl}/status/${original}`)).json()) as { result_version?: number };
    assert.equal(originalStatus.result_version, 1);

    // A reload: both cards come back from the jobs kept in localStorage, the edited version shown.
    await reload(page);
    await doneCards(page, 2);
    assert.deepEqual(await hrefs(page), [editedHref, originalHref], 'the same cards, newest first, the edit\'s version');
    assert.deepEqual(await page.locator('.card .name').allTextContents(), ['car-again.jpg', 'car-1.jpg']);
    assert.match((await page.locator('.card .result-info').first().textContent()) ?? '', /edited/);
    assert.equal(await page.locator('.card img.result').first().getAttribute('src'), editedHref);
    await page.waitForFunction(() => Array.from(document.querySelectorAll<HTMLImageElement>('.card .compare img.result')).every((i) => i.complete && i.naturalWidth > 0));
    await page.screenshot({ path: '/tmp/studio-reload-1280.png', fullPage: true });
    await page.screenshot({ path: path.join(SCREENSHOTS, 'reload-1280.png'), fullPage: true });
    await page.setViewportSize({ width: 375, height: 812 });
    await page.screenshot({ path: '/tmp/studio-reload-375.png', fullPage: true });
    await page.screenshot({ path: path.join(SCREENSHOTS, 'reload-375.png'), fullPage: true });
    // The restored cached card opens its editor on its own (edited) mask.
    await page.locator('.card').first().getByRole('button', { name: 'Edit' }).click();
    await page.waitForFunction(() => (document.querySelector('.editor canvas') as HTMLCanvasElement).width > 0 && !document.querySelector('.ed-status')!.textContent, undefined, { timeout: 60_000 });
    const shownAt = (x: number, y: number) =>
      page.evaluate(([px, py]) => (document.querySelector('.editor canvas') as HTMLCanvasElement).getContext('2d')!.getImageData(px!, py!, 1, 1).data[3]!, [x, y]);
    assert.equal(await shownAt(240, 180), 0, 'the editor shows the saved edit');
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.locator('.editor').waitFor({ state: 'detached' });

    // Clear finished forgets them; a remembered job the api does not know is dropped without a word.
    await page.getByRole('button', { name: 'Clear finished' }).click();
    assert.equal(await page.locator('.card').count(), 0);
    await reload(page);
    await page.waitForTimeout(500);
    assert.equal(await page.locator('.card').count(), 0, 'cleared cards stay cleared');
    await page.evaluate(() => localStorage.setItem('cutout-cards', JSON.stringify([['6f1c2d3e-4b5a-4c6d-8e7f-8a9b0c1d2e3f', 'gone.jpg', {}]])));
    await reload(page);
    await page.waitForFunction(() => document.querySelectorAll('.card').length === 0 && JSON.parse(localStorage.getItem('cutout-cards') ?? '[]').length === 0, undefined, { timeout: 10_000 });
    assert.equal(await page.locator('#banner').isVisible(), false, 'no error shown');
    assert.deepEqual(page.jsErrors, []);
    await page.close();
  });
});
