// The web component <cutout-remover> in real Chromium, loaded from the api's /embed.js into a page
// served by another origin (allowed by CORS_ORIGINS, as an operator sets it), against the real
// api, Redis and worker. The worker runs the stand-in cutter: the component is the point, and the
// stand-in holds a job in inference so the progress state can be seen (the model's quality is
// the demo page test's and the eval's).
import assert from 'node:assert/strict';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { browserSkip, launchChromium, SCREENSHOTS } from '../helpers/browser.js';
import { startServer, type Handler, type TestServer } from '../helpers/http-servers.js';
import { subjectCutout, subjectOnBackground } from '../helpers/images.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { standInCutter, type StandInCutter } from '../helpers/stand-in.js';

/** Records the component's events on window (a string: tsx must not rewrite code run in the page). */
const RECORD_EVENTS = `
  window.cutoutEvents = [];
  for (const type of ['cutout-progress', 'cutout-done', 'cutout-error']) {
    document.addEventListener(type, (e) => {
      window.cutoutEvents.push({ type, detail: { ...e.detail, blob: undefined } });
      if (type === 'cutout-done') window.cutoutBlob = e.detail.blob;
    });
  }`;

/** The shop's own key: public in its page (a dedicated key with a rate limit, in real life). */
const KEY = 'k-shop-embed';

interface Recorded {
  type: string;
  detail: Record<string, unknown>;
}

describe('<cutout-remover> embedded in another origin, in Chromium', { skip: browserSkip, timeout: 300_000 }, () => {
  let cutter: StandInCutter;
  let stack: Stack;
  let browser: Browser;
  let shop: TestServer;
  let stranger: TestServer;
  let photo: Buffer;

  /** A host page as a shop would write it: the script from the api, one element. */
  const hostPage: Handler = (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>A shop</title><script src="${stack.baseUrl}/embed.js" defer></script></head>
<body style="margin:0;padding:16px;font-family:Georgia,serif;background:#f4f1ea">
<h1 style="margin:0 0 12px">Sell your sneakers</h1><cutout-remover format="png" api-key="${KEY}"></cutout-remover></body></html>`);
  };

  before(async () => {
    cutter = await standInCutter(await subjectCutout(480, 360));
    shop = await startServer({ '/': hostPage });
    stranger = await startServer({ '/': hostPage });
    // As an operator sets it: the shop's origin allowed, keys required (the shop has its own).
    // JOB_ATTEMPTS=1: a failure of the stand-in is the job's end (no retry to wait for).
    stack = await startStack({ cutter, env: { CORS_ORIGINS: shop.origin, API_KEYS: `k-admin,${KEY}`, JOB_ATTEMPTS: '1' } });
    browser = await launchChromium();
    photo = await subjectOnBackground(480, 360);
  });
  after(async () => {
    cutter?.proceed();
    await browser?.close();
    await stack?.stop();
    await shop?.close();
    await stranger?.close();
  });

  async function open(url: string, width: number, height: number): Promise<Page> {
    const page = await browser.newPage({ viewport: { width, height } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => m.type() === 'error' && !/Failed to load resource|CORS policy/.test(m.text()) && errors.push(m.text()));
    (page as Page & { jsErrors?: string[] }).jsErrors = errors;
    await page.addInitScript(RECORD_EVENTS);
    // The demo page's live instance uses the key the Cutout page keeps for its server.
    await page.addInitScript(`localStorage.setItem('cutout-api-key', '${KEY}')`);
    await page.goto(url);
    await page.getByRole('button', { name: 'Choose a photo' }).waitFor();
    return page;
  }
  const jsErrors = (page: Page) => (page as Page & { jsErrors?: string[] }).jsErrors ?? [];
  const events = (page: Page) => page.evaluate(() => (window as unknown as { cutoutEvents: Recorded[] }).cutoutEvents);
  const waitForEvent = (page: Page, type: string) =>
    page.waitForFunction((t) => (window as unknown as { cutoutEvents: Recorded[] }).cutoutEvents.some((e) => e.type === t), type, { timeout: 60_000 });
  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SCREENSHOTS, `embed-${name}.png`), fullPage: true });
  const statusLine = (page: Page) => page.locator('cutout-remover [part="status"]').textContent();
  const assertNoSideScroll = async (page: Page, width: number) =>
    assert.ok((await page.evaluate(() => document.documentElement.scrollWidth)) <= width, 'no horizontal scrolling');

  /** The cutout-done Blob's bytes, read in the page. */
  async function doneBytes(page: Page): Promise<Buffer> {
    const bytes = await page.evaluate(async () => Array.from(new Uint8Array(await (window as unknown as { cutoutBlob: Blob }).cutoutBlob.arrayBuffer())));
    return Buffer.from(bytes);
  }

  /** Sends the photo the way a user would at this size: the file chooser, or a paste. */
  async function give(page: Page, how: 'choose' | 'paste', file: { name: string; mimeType: string; buffer: Buffer }): Promise<void> {
    if (how === 'choose') {
      const chooser = page.waitForEvent('filechooser');
      await page.getByRole('button', { name: 'Choose a photo' }).click();
      await (await chooser).setFiles(file);
      return;
    }
    await page.locator('cutout-remover [part="box"]').evaluate(
      (box, f) => {
        const dt = new DataTransfer();
        dt.items.add(new File([new Uint8Array(f.bytes)], f.name, { type: f.mimeType }));
        box.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, composed: true, cancelable: true }));
      },
      { name: file.name, mimeType: file.mimeType, bytes: Array.from(file.buffer) },
    );
  }

  for (const [label, width, height, how] of [['desktop', 1280, 800, 'choose'], ['375', 375, 740, 'paste']] as const) {
    it(`${label}: a photo goes through progress to a transparent PNG and cutout-done; a text file is a readable cutout-error`, async () => {
      const page = await open(shop.origin, width, height);
      assert.equal(await page.locator('cutout-remover').getAttribute('state'), 'idle');
      await shot(page, `${label}-1-idle`);

      cutter.hold();
      await give(page, how, { name: 'sneaker.jpg', mimeType: 'image/jpeg', buffer: photo });
      await cutter.parked();
      await page.waitForFunction(() => (window as unknown as { cutoutEvents: Recorded[] }).cutoutEvents.some((e) => e.detail.stage === 'inference'));
      assert.match((await statusLine(page)) ?? '', /Finding the subject… \d+%/);
      assert.equal(await page.locator('cutout-remover').getAttribute('state'), 'working');
      assert.ok(Number(await page.locator('cutout-remover [role="progressbar"]').getAttribute('aria-valuenow')) > 0, 'the bar has moved');
      await assertNoSideScroll(page, width);
      await shot(page, `${label}-2-progress`);

      cutter.proceed();
      await waitForEvent(page, 'cutout-done');
      const done = (await events(page)).find((e) => e.type === 'cutout-done')!;
      const png = await doneBytes(page);
      const meta = await sharp(png).metadata();
      assert.equal(meta.format, 'png');
      assert.equal(meta.hasAlpha, true);
      const stats = await sharp(png).stats();
      assert.ok(stats.channels[3]!.min < 255, 'the cutout has transparent pixels');
      assert.equal((done.detail.status as { status: string }).status, 'done');
      assert.equal(done.detail.jobId, (done.detail.status as { job_id: string }).job_id);
      const download = page.locator('cutout-remover [part="download"]');
      assert.equal(await download.getAttribute('download'), 'sneaker-cutout.png');
      assert.match((await download.getAttribute('href')) ?? '', /^blob:/);
      assert.equal(await download.textContent(), 'Download PNG');
      await assertNoSideScroll(page, width);
      await shot(page, `${label}-3-done`);

      await page.locator('cutout-remover [part="reset"]').first().click();
      await give(page, how, { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not a photo at all\n') });
      await waitForEvent(page, 'cutout-error');
      const error = (await events(page)).find((e) => e.type === 'cutout-error')!;
      assert.equal(error.detail.code, 'unsupported_media_type', JSON.stringify(error.detail));
      assert.match(String(error.detail.message), /not a supported image/);
      assert.equal(await page.getByRole('alert').textContent(), error.detail.message, 'the api sentence is on screen');
      await shot(page, `${label}-4-error`);
      assert.deepEqual(jsErrors(page), []);
      await page.close();
    });
  }

  it('Cancel cancels the job on the server and goes back to the drop zone', async (t) => {
    const page = await open(shop.origin, 1280, 800);
    cutter.hold();
    await give(page, 'choose', { name: 'sneaker.jpg', mimeType: 'image/jpeg', buffer: photo });
    await cutter.parked();
    await page.waitForFunction(() => (window as unknown as { cutoutEvents: Recorded[] }).cutoutEvents.some((e) => e.detail.stage === 'inference'));
    const jobId = String((await events(page)).find((e) => e.detail.jobId)!.detail.jobId);
    t.after(() => cutter.proceed()); // whatever happens, the worker is not left held
    const canceled = page.waitForResponse((r) => r.request().method() === 'DELETE' && r.url().endsWith(`/jobs/${jobId}`));
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.locator('cutout-remover[state="idle"]').waitFor();
    assert.equal((await canceled).status(), 202, 'the cancel was accepted (it lands at the next stage)');
    cutter.proceed(); // the worker reaches its next stage and sees the cancel
    let status = '';
    for (let i = 0; i < 200 && status !== 'canceled'; i++) {
      status = ((await (await fetch(`${stack.baseUrl}/status/${jobId}`, { headers: { 'x-api-key': KEY } })).json()) as { status: string }).status;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(status, 'canceled');
    assert.equal((await events(page)).filter((e) => e.type !== 'cutout-progress').length, 0, 'no done or error event');
    assert.deepEqual(jsErrors(page), []);
    await page.close();
  });

  it('an origin CORS_ORIGINS does not allow gets a cutout-error saying so, not a silent hang', async () => {
    const page = await open(stranger.origin, 1280, 800);
    await give(page, 'choose', { name: 'sneaker.jpg', mimeType: 'image/jpeg', buffer: photo });
    await waitForEvent(page, 'cutout-error');
    const error = (await events(page)).find((e) => e.type === 'cutout-error')!;
    assert.equal(error.detail.code, 'network_error');
    assert.ok(String(error.detail.message).includes(stranger.origin) && /CORS_ORIGINS/.test(String(error.detail.message)), String(error.detail.message));
    assert.match((await page.getByRole('alert').textContent()) ?? '', /Cannot reach the background-removal service/);
    await shot(page, 'desktop-5-cors-refused');
    await page.close();
  });

  it('a wrong key, a bad option attribute and a failed job are cutout-errors with the api sentence', async () => {
    const page = await open(shop.origin, 1280, 800);
    const el = page.locator('cutout-remover');
    const errorFor = async (attribute: string, value: string, screenshot: string) => {
      await el.evaluate((e, [a, v]) => e.setAttribute(a!, v!), [attribute, value]);
      await page.evaluate(() => ((window as unknown as { cutoutEvents: Recorded[] }).cutoutEvents.length = 0));
      await give(page, 'choose', { name: 'sneaker.jpg', mimeType: 'image/jpeg', buffer: photo });
      await waitForEvent(page, 'cutout-error');
      const { detail } = (await events(page)).find((e) => e.type === 'cutout-error')!;
      assert.equal(await page.getByRole('alert').textContent(), detail.message);
      await shot(page, screenshot);
      await page.locator('cutout-remover [part="reset"]').last().click();
      return detail;
    };
    const badKey = await errorFor('api-key', 'k-wrong', 'desktop-6-wrong-key');
    assert.equal(badKey.code, 'api_key_invalid', JSON.stringify(badKey));
    await el.evaluate((e, key) => e.setAttribute('api-key', key), KEY);
    const badOption = await errorFor('format', 'bmp', 'desktop-7-bad-option');
    assert.equal(badOption.code, 'invalid_format', JSON.stringify(badOption));
    assert.match(String(badOption.message), /format/i);
    cutter.failNext(1);
    const failed = await errorFor('format', 'png', 'desktop-8-processing-failed');
    assert.equal(failed.code, 'processing_error', JSON.stringify(failed));
    assert.match(String(failed.jobId), /^[0-9a-f-]{36}$/);
    assert.deepEqual(jsErrors(page), []);
    await page.close();
  });

  it('the api serves embed.js (cacheable, loadable by any origin, under budget) and a demo page that works with its CSP', async () => {
    const res = await fetch(`${stack.baseUrl}/embed.js`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /javascript/);
    assert.equal(res.headers.get('cache-control'), 'public, max-age=300');
    assert.equal(res.headers.get('cross-origin-resource-policy'), 'cross-origin');
    const body = Buffer.from(await res.arrayBuffer());
    const gz = gzipSync(body).length;
    assert.ok(gz < 15 * 1024, `embed.js is ${gz} bytes gzipped (budget 15 KB)`);
    const short = await fetch(`${stack.baseUrl}/embed`, { redirect: 'manual' });
    assert.equal(short.headers.get('location'), '/embed.html');

    for (const [label, width, height] of [['desktop', 1280, 900], ['375', 375, 900]] as const) {
      const page = await open(`${stack.baseUrl}/embed.html`, width, height);
      assert.match((await page.locator('#snippet').textContent()) ?? '', new RegExp(`${stack.baseUrl}/embed.js`));
      // The component's styles apply under the page's strict CSP (style-src 'self').
      const accent = await page.getByRole('button', { name: 'Choose a photo' }).evaluate((b) => getComputedStyle(b).backgroundColor);
      assert.equal(accent, 'rgb(59, 99, 246)');
      // A drop on the live instance.
      await page.locator('cutout-remover [part="box"]').evaluate((box, bytes) => {
        const dt = new DataTransfer();
        dt.items.add(new File([new Uint8Array(bytes)], 'dropped.jpg', { type: 'image/jpeg' }));
        box.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, composed: true, cancelable: true }));
      }, Array.from(photo));
      await waitForEvent(page, 'cutout-done');
      await page.locator('#log code', { hasText: 'cutout-done' }).waitFor();
      await assertNoSideScroll(page, width);
      await shot(page, `demo-${label}`);
      assert.deepEqual(jsErrors(page), []);
      await page.close();
    }
  });
});
