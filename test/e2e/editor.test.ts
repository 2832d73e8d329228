// The mask editor on the demo page, in real Chromium against the real api + worker + model:
// brush, undo/redo, views, Save (the served PNG's alpha), the edit after a reload, remembered
// settings, the wand and the polygon, keyboard only, and a 375 px phone with touch.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { fixturesSkip, REMBG } from '../helpers/fixtures.js';
import { subjectOnBackground } from '../helpers/images.js';
import { browserSkip, launchChromium, openPage, SCREENSHOTS } from '../helpers/browser.js';
import { brushRect, editorPoint, setEditorRange } from '../helpers/editor-page.js';
import { startStack, type Stack } from '../helpers/stack.js';

type Alpha = { at(x: number, y: number): number; width: number; height: number };
/** An opaque part of car-1's car (the model's alpha is 255 there) and the part erased inside it. */
const OPAQUE = { x0: 210, y0: 170, x1: 310, y1: 210 };
const ERASE = { x0: 222, y0: 182, x1: 298, y1: 198 };
const BRUSH = 24;

describe('mask editor in Chromium', { skip: browserSkip || fixturesSkip, timeout: 600_000 }, () => {
  let stack: Stack;
  let browser: Browser;
  const car = () => fs.readFileSync(path.join(REMBG, 'car-1.jpg'));
  before(async () => {
    // No result cache: the same photo uploaded again is a job of its own, with a mask to edit.
    stack = await startStack({ workers: 1, env: { RESULT_CACHE: 'false' } });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await stack?.stop();
  });

  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SCREENSHOTS, `editor-${name}.png`), fullPage: true });

  /** The alpha of the image at `url` (or, for a greyscale mask, its grey). */
  async function alphaOf(url: string): Promise<Alpha> {
    const res = await fetch(`${stack.baseUrl}${url}`);
    assert.equal(res.status, 200, url);
    const image = sharp(Buffer.from(await res.arrayBuffer()));
    const grey = (await image.metadata()).channels === 1;
    const { data, info } = await image.extractChannel(grey ? 0 : 3).raw().toBuffer({ resolveWithObject: true });
    return { at: (x, y) => data[y * info.width + x]!, width: info.width, height: info.height };
  }
  const resultHref = async (page: Page) => (await page.locator('.card a.download').first().getAttribute('href'))!;
  const jobOf = (href: string) => /\/result\/([^/?]+)/.exec(href)![1]!;

  /** Uploads a photo and waits for its card (the new first one) to have its Edit button. */
  async function upload(page: Page, name: string, buffer: Buffer): Promise<void> {
    // The page adds the card after reading the file: until then the first card may be an older
    // one, already done (a reload restores the cards), whose Edit button is not this upload's.
    const cards = await page.locator('.card').count();
    await page.setInputFiles('#file', { name, mimeType: name.endsWith('.png') ? 'image/png' : 'image/jpeg', buffer });
    await page.waitForFunction((n) => document.querySelectorAll('.card').length > n, cards);
    await page.locator('.card').first().getByRole('button', { name: 'Edit' }).waitFor({ timeout: 120_000 });
  }
  /** Waits for the open editor to have its photo and mask. */
  const loaded = (page: Page) => page.waitForFunction(() => (document.querySelector('.editor canvas') as HTMLCanvasElement).width > 0 && !document.querySelector('.ed-status')!.textContent);
  /** The editor canvas's alpha (the cutout view) at an image pixel. */
  const shown = (page: Page, x: number, y: number) =>
    page.evaluate(([px, py]) => (document.querySelector('.editor canvas') as HTMLCanvasElement).getContext('2d')!.getImageData(px!, py!, 1, 1).data[3]!, [x, y]);
  const pressed = (page: Page, name: string) => page.getByRole('button', { name, exact: true }).getAttribute('aria-pressed');

  it('brush erases a rectangle, undo takes back a stroke, Save serves the edit, and it survives a reload', async () => {
    const page = await openPage(browser, stack.baseUrl, { viewport: { width: 1280, height: 900 } });
    await upload(page, 'car-1.jpg', car());
    const href = await resultHref(page);
    const before = await alphaOf(href);
    for (let y = OPAQUE.y0; y <= OPAQUE.y1; y += 10) for (let x = OPAQUE.x0; x <= OPAQUE.x1; x += 10) assert.ok(before.at(x, y) > 200, `the car is opaque at ${x},${y}`);

    await page.getByRole('button', { name: 'Edit' }).click();
    await loaded(page);
    assert.equal(await pressed(page, 'Brush erase'), 'true');
    assert.equal(await page.getByRole('button', { name: 'Save' }).isDisabled(), true, 'nothing to save yet');
    await shot(page, '01-open');
    await setEditorRange(page, 'size', BRUSH);
    await setEditorRange(page, 'hard', 100);
    await brushRect(page, ERASE, BRUSH);
    assert.equal(await shown(page, 260, 190), 0);
    // A second, small stroke elsewhere in the car, then undone (button), redone (Ctrl+Shift+Z), undone (Ctrl+Z).
    const [bx, by, was] = [120, 193, await shown(page, 120, 193)];
    await setEditorRange(page, 'size', 10);
    await page.mouse.move(...(await editorPoint(page, 112, by)));
    await page.mouse.down();
    await page.mouse.move(...(await editorPoint(page, 128, by)), { steps: 5 });
    await page.mouse.up();
    assert.equal(await shown(page, bx, by), 0);
    await shot(page, '02-two-strokes');
    await page.getByRole('button', { name: 'Undo' }).click();
    assert.equal(await shown(page, bx, by), was, 'undo restores the pixels');
    assert.equal(await shown(page, 260, 190), 0, 'the first stroke stays');
    await page.keyboard.press('Control+Shift+Z');
    assert.equal(await shown(page, bx, by), 0, 'redo');
    await page.keyboard.press('Control+Z');
    assert.equal(await shown(page, bx, by), was);
    await shot(page, '03-undone');
    await page.getByRole('button', { name: 'Mask', exact: true }).click();
    await shot(page, '04-mask-view');
    await page.getByRole('button', { name: 'Original', exact: true }).click();
    assert.equal(await shown(page, 260, 190), 255, 'the original view shows the photo');
    await shot(page, '05-original-view');
    await page.getByRole('button', { name: 'Cutout', exact: true }).click();
    // Space + drag pans (right after a button was clicked, too) and paints nothing.
    const left = async () => (await page.locator('.editor canvas').boundingBox())!.x;
    const alphaSum = () => page.evaluate(() => {
      const c = document.querySelector('.editor canvas') as HTMLCanvasElement;
      return c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data.reduce((sum, v, i) => (i % 4 === 3 ? sum + v : sum), 0);
    });
    const [x0, sum0] = [await left(), await alphaSum()];
    const [px, py] = await editorPoint(page, 200, 240);
    await page.mouse.move(px, py);
    await page.keyboard.down(' ');
    await page.mouse.down();
    await page.mouse.move(px - 150, py, { steps: 5 });
    await page.mouse.up();
    await page.keyboard.up(' ');
    assert.ok(Math.abs((await left()) - (x0 - 150)) < 2, `panned by 150 px: ${x0} → ${await left()}`);
    assert.equal(await alphaSum(), sum0, 'the pan painted nothing');
    await page.keyboard.press('0');
    assert.ok(Math.abs((await left()) - x0) < 2, '0 fits the photo again');
    // Settings to find again on the next visit.
    await page.keyboard.press('w');
    await setEditorRange(page, 'tol', 50);

    await page.getByRole('button', { name: 'Save' }).click();
    await page.locator('.editor').waitFor({ state: 'detached', timeout: 120_000 });
    const edited = await resultHref(page);
    assert.notEqual(edited, href, 'the card shows the new version');
    assert.equal(await page.locator('.card img.result').first().getAttribute('src'), edited);
    assert.match(await page.locator('.card .result-info').first().textContent() ?? '', /edited/);
    await page.waitForFunction(() => document.querySelector<HTMLImageElement>('.compare img.result')?.complete);
    await shot(page, '06-saved');
    const assertEdited = async (a: Alpha) => {
      assert.deepEqual([a.width, a.height], [before.width, before.height]);
      for (let y = ERASE.y0; y <= ERASE.y1; y++) for (let x = ERASE.x0; x <= ERASE.x1; x++) assert.equal(a.at(x, y), 0, `erased at ${x},${y}`);
      const m = BRUSH / 2 + 3;
      let changed = 0;
      for (let y = 0; y < a.height; y++) {
        for (let x = 0; x < a.width; x++) {
          const near = x >= ERASE.x0 - m && x <= ERASE.x1 + m && y >= ERASE.y0 - m && y <= ERASE.y1 + m;
          if (!near && Math.abs(a.at(x, y) - before.at(x, y)) > 1) changed++;
        }
      }
      assert.equal(changed, 0, 'unchanged elsewhere (the undone stroke too)');
    };
    await assertEdited(await alphaOf(edited));
    const status = (await (await fetch(`${stack.baseUrl}/status/${jobOf(href)}`)).json()) as { edited?: boolean; result_version?: number };
    assert.equal(status.edited, true);
    assert.equal(status.result_version, 2);

    // A reload: the server keeps the edit (result and mask), and the page brings back its card.
    await page.reload();
    await page.waitForFunction(() => document.getElementById('drop-hint')?.textContent?.includes('MB'));
    await page.locator('.card').getByRole('button', { name: 'Edit' }).waitFor();
    await assertEdited(await alphaOf(href));
    const mask = await alphaOf(`/jobs/${jobOf(href)}/mask`);
    assert.equal(mask.at(260, 190), 0, 'the mask is 0 where it was erased');
    assert.ok(mask.at(120, 193) > 200, 'and kept where the stroke was undone');

    // The next visit opens the editor with the settings left: the wand, tolerance 50.
    await upload(page, 'car-1.jpg', car());
    const second = page.locator('.card').first();
    assert.notEqual(await second.locator('a.download').getAttribute('href'), href, 'a job of its own');
    await second.getByRole('button', { name: 'Edit' }).click();
    await loaded(page);
    assert.equal(await pressed(page, 'Magic wand'), 'true');
    assert.equal(await page.locator('.editor input[name=tol]').inputValue(), '50');
    // Unsaved edits: Cancel asks first.
    await page.keyboard.press('b');
    // Where the car is opaque (the undone stroke's place).
    await brushRect(page, { x0: 114, y0: 190, x1: 126, y1: 196 }, BRUSH);
    // The stroke is an unsaved edit once Save is enabled (the page's own sign of it).
    await page.waitForFunction(() => document.querySelector<HTMLButtonElement>('.editor button[data-k="save"]')?.disabled === false);
    // Leaving the page asks first.
    const leaving = page.waitForEvent('dialog');
    const navigation = page.goto(`${stack.baseUrl}/docs`).catch((e: Error) => e.message);
    const dialog = await leaving;
    assert.equal(dialog.type(), 'beforeunload');
    await dialog.dismiss();
    assert.match(String(await navigation), /ERR_ABORTED/, 'staying on the page');
    const questions: string[] = [];
    page.once('dialog', (d) => void (questions.push(d.message()), d.dismiss()));
    await page.getByRole('button', { name: 'Cancel' }).click();
    assert.deepEqual(questions, ['Discard your edits to this mask?']);
    assert.equal(await page.locator('.editor').count(), 1, 'kept when the person says no');
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Cancel' }).click();
    assert.equal(await page.locator('.editor').count(), 0);
    assert.deepEqual(page.jsErrors, []);
    await page.close();
  });

  it('keyboard only: Tab to Edit, shortcuts switch tools, ? lists them; the wand and the polygon erase', async () => {
    const page = await openPage(browser, stack.baseUrl, { viewport: { width: 1280, height: 900 } });
    // A red disc with a yellow dot on a pale background: the model keeps the disc; the dot is one colour.
    await upload(page, 'disc.png', await subjectOnBackground(320, 240, 'png'));
    const href = await resultHref(page);
    const before = await alphaOf(href);
    const dot = [136, 96] as const;
    const ring = [160, 170] as const;
    assert.ok(before.at(...dot) > 200 && before.at(...ring) > 200, 'the model keeps the disc and its dot');

    await page.locator('.card .remove').focus();
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Edit');
    await page.keyboard.press('Enter');
    await loaded(page);
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Brush erase', 'focus moves into the editor');
    for (const [key, name] of [['w', 'Magic wand'], ['p', 'Polygon'], ['e', 'Brush restore'], ['b', 'Brush erase']]) {
      await page.keyboard.press(key!);
      assert.equal(await pressed(page, name!), 'true', `${key} → ${name}`);
    }
    await page.keyboard.press('?');
    const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
    await help.waitFor();
    assert.match((await help.textContent()) ?? '', /brush erase.*magic wand.*polygon.*undo.*redo.*pan/is);
    await shot(page, '07-shortcuts');
    await page.keyboard.press('Escape');
    await help.waitFor({ state: 'hidden' });

    await page.keyboard.press('w');
    await page.mouse.click(...(await editorPoint(page, ...dot)));
    assert.equal(await shown(page, ...dot), 0, 'the wand erased the dot');
    assert.equal(await shown(page, ...ring), before.at(...ring), 'the disc around it is kept');
    // The polygon: three corners in the disc, closed with Enter.
    await page.keyboard.press('p');
    for (const [x, y] of [[180, 110], [200, 110], [190, 130]]) await page.mouse.click(...(await editorPoint(page, x!, y!)));
    await shot(page, '08-wand-and-polygon');
    await page.keyboard.press('Enter');
    assert.equal(await shown(page, 190, 116), 0, 'the polygon erased its inside');
    await page.getByRole('button', { name: 'Save' }).focus();
    await page.keyboard.press('Enter');
    await page.locator('.editor').waitFor({ state: 'detached', timeout: 120_000 });
    const after = await alphaOf(await resultHref(page));
    assert.equal(after.at(...dot), 0);
    assert.equal(after.at(190, 116), 0);
    assert.ok(Math.abs(after.at(...ring) - before.at(...ring)) <= 1);
    await shot(page, '09-wand-saved');
    assert.deepEqual(page.jsErrors, []);
    await page.close();
  });

  it('works on a 375 px phone with touch: a finger erases, two fingers zoom without painting', async () => {
    const page = await openPage(browser, stack.baseUrl, { viewport: { width: 375, height: 740 }, hasTouch: true, isMobile: true });
    await upload(page, 'car-1.jpg', car());
    await page.getByRole('button', { name: 'Edit' }).tap();
    await loaded(page);
    const widths = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
    assert.ok(widths[0]! <= widths[1]!, `no horizontal scroll: ${widths}`);
    await page.locator('.ed-view').scrollIntoViewIfNeeded();
    await shot(page, '10-phone-open');
    const cdp = await page.context().newCDPSession(page);
    const touch = (type: 'touchStart' | 'touchMove' | 'touchEnd', points: [number, number][]) =>
      cdp.send('Input.dispatchTouchEvent', { type, touchPoints: points.map(([x, y], id) => ({ x, y, id })) });
    // One finger across the car's roof.
    const from = await editorPoint(page, ERASE.x0, 190);
    const to = await editorPoint(page, ERASE.x1, 190);
    await touch('touchStart', [from]);
    for (let k = 1; k <= 10; k++) await touch('touchMove', [[from[0] + ((to[0] - from[0]) * k) / 10, from[1]]]);
    await touch('touchEnd', []);
    assert.equal(await shown(page, 260, 190), 0, 'the finger erased');
    // Two fingers spread apart: a zoom, and no paint.
    const scale = () => page.evaluate(() => (document.querySelector('.ed-layer') as HTMLElement).getBoundingClientRect().width);
    const wide = await scale();
    const [cx, cy] = await editorPoint(page, 240, 120);
    const untouched = await shown(page, 240, 120);
    await touch('touchStart', [[cx - 20, cy]]);
    await touch('touchStart', [[cx - 20, cy], [cx + 20, cy]]);
    for (let k = 1; k <= 8; k++) await touch('touchMove', [[cx - 20 - k * 8, cy], [cx + 20 + k * 8, cy]]);
    await touch('touchEnd', []);
    assert.ok((await scale()) > wide * 1.5, 'pinched in');
    assert.equal(await shown(page, 240, 120), untouched, 'the pinch painted nothing');
    await shot(page, '11-phone-zoomed');
    await page.getByRole('button', { name: 'Fit' }).tap();
    await page.getByRole('button', { name: 'Save' }).tap();
    await page.locator('.editor').waitFor({ state: 'detached', timeout: 120_000 });
    const a = await alphaOf(await resultHref(page));
    assert.equal(a.at(260, 190), 0);
    await shot(page, '12-phone-saved');
    assert.deepEqual(page.jsErrors, []);
    await page.close();
  });
});
