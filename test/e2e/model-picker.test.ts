// The page's model picker, in real Chromium against the real api + worker + Redis: with two
// models loaded (tiny ONNX models under the names u2netp and birefnet-general-lite, run by the
// real pipeline) the Options panel offers them and the job runs on the one picked; one that no
// live worker serves is named so; with one model (GET /models answering so) there is no picker.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import sharp from 'sharp';
import { CutoutPipeline } from '../../src/cutout/pipeline.js';
import type { StatusView } from '../../src/jobs/contract.js';
import { browserSkip, launchChromium } from '../helpers/browser.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { tinyModel } from '../helpers/tiny-onnx.js';

describe('model picker in Chromium', { skip: browserSkip, timeout: 180_000 }, () => {
  let dir: string;
  let stack: Stack;
  let browser: Browser;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cutout-picker-'));
    const models = [await tinyModel(dir, 'u2netp', 'u2net', 10), await tinyModel(dir, 'birefnet-general-lite', 'birefnet', 10)];
    const cutter = await CutoutPipeline.create({ models, modelDir: dir, threads: 1, maxPixels: 1e7, pngCompressionLevel: 1 });
    stack = await startStack({ env: { MODELS: 'u2netp,birefnet-general-lite' }, cutter });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await stack?.stop();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('offers the loaded models and the job runs on the one picked', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(stack.baseUrl);
    await page.getByText('Options', { exact: true }).click();
    const picker = page.getByRole('combobox', { name: 'Model' });
    await picker.waitFor({ state: 'visible' });
    assert.deepEqual(await picker.locator('option').allTextContents(), ['u2netp', 'birefnet-general-lite']);
    await picker.selectOption({ label: 'birefnet-general-lite' });

    const photo = await sharp({ create: { width: 300, height: 100, channels: 3, background: '#000000' } })
      .composite([{ input: { create: { width: 150, height: 100, channels: 3, background: '#ff0000' } }, left: 150, top: 0 }])
      .png()
      .toBuffer();
    const accepted = page.waitForResponse((r) => r.url().endsWith('/remove-bg') && r.request().method() === 'POST');
    await page.setInputFiles('#file', { name: 'bands.png', mimeType: 'image/png', buffer: photo });
    const { job_id } = (await (await accepted).json()) as { job_id: string };
    const view: StatusView = await stack.waitFor(job_id);
    assert.equal(view.status, 'done', view.error);
    assert.equal(view.options?.model, 'birefnet-general-lite');
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('says which loaded model no live worker serves now (its jobs wait)', async () => {
    const page = await browser.newPage();
    let real: boolean | undefined;
    await page.route('**/models', async (route) => {
      const body = (await (await route.fetch()).json()) as { models: { name: string; available?: boolean }[] };
      const model = body.models.find((m) => m.name === 'birefnet-general-lite')!;
      real = model.available;
      model.available = false;
      await route.fulfill({ json: body });
    });
    await page.goto(stack.baseUrl);
    await page.getByText('Options', { exact: true }).click();
    const picker = page.getByRole('combobox', { name: 'Model' });
    await picker.waitFor({ state: 'visible' });
    assert.deepEqual(await picker.locator('option').allTextContents(), ['u2netp', 'birefnet-general-lite (no worker)']);
    assert.equal(real, true, 'the real answer: a live worker serves it');
    await page.close();
  });

  it('shows no picker when one model is loaded', async () => {
    const page = await browser.newPage();
    await page.route('**/models', (route) =>
      route.fulfill({ json: { default: 'u2netp', models: [{ name: 'u2netp', description: 'x', loaded: true, default: true }] } }),
    );
    await page.goto(stack.baseUrl);
    await page.getByText('Options', { exact: true }).click();
    await page.getByRole('combobox', { name: 'Format' }).waitFor({ state: 'visible' });
    assert.equal(await page.getByRole('combobox', { name: 'Model' }).isVisible(), false);
    await page.close();
  });
});
