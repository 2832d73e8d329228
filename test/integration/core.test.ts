// Upload → Redis → worker (real model) → result, over real HTTP.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { maskIoU, readAlpha } from '../../src/cutout/quality.js';
import type { StatusView } from '../../src/jobs/contract.js';
import { expectedFor, fixturesSkip, PARITY, REMBG } from '../helpers/fixtures.js';
import { corruptPng, subjectOnBackground } from '../helpers/images.js';
import { startStack, type Stack } from '../helpers/stack.js';

describe('core service, end to end', { timeout: 600_000 }, () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ workers: 1 });
  });
  after(() => stack?.stop());

  async function submit(bytes: Buffer, name: string, fields: Record<string, string> = {}): Promise<string> {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(bytes)]), name);
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    const res = await fetch(`${stack.baseUrl}/remove-bg`, { method: 'POST', body: form });
    assert.equal(res.status, 202, await res.clone().text());
    const { job_id } = (await res.json()) as { job_id: string };
    return job_id;
  }

  it('goes queued → processing → done and serves an RGBA PNG of the oriented size', async () => {
    const worker = stack.workers[0]!.worker;
    await worker.pause();
    // EXIF orientation 6: stored 320x240, shown 240x320.
    const bytes = await sharp(await subjectOnBackground(320, 240)).withMetadata({ orientation: 6 }).jpeg().toBuffer();
    const id = await submit(bytes, 'rotated.jpg');
    const seen: string[] = [];
    const first = (await (await fetch(`${stack.baseUrl}/status/${id}`)).json()) as StatusView;
    seen.push(first.status);
    assert.equal(first.status, 'queued');
    assert.equal((await fetch(`${stack.baseUrl}/result/${id}`)).status, 404);
    worker.resume();
    const done = await stack.waitFor(id, (v) => {
      if (seen.at(-1) !== v.status) seen.push(v.status);
      return v.status === 'done' || v.status === 'failed';
    });
    assert.deepEqual(seen, ['queued', 'processing', 'done']);
    assert.equal(done.result_url, `/result/${id}`);
    assert.ok(done.finished_at && done.started_at && done.created_at);

    const res = await fetch(`${stack.baseUrl}${done.result_url}`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'image/png');
    const png = Buffer.from(await res.arrayBuffer());
    const meta = await sharp(png).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height, meta.channels, meta.hasAlpha], ['png', 240, 320, 4, true]);
    // The red disc in the middle is the subject; the light corners are background.
    const alpha = await readAlpha(png);
    assert.ok(alpha.data[160 * 240 + 120]! > 200, 'centre is opaque');
    assert.ok(alpha.data[0]! < 30, 'corner is transparent');
  });

  it('matches rembg isnet-general-use on the real fixtures with refine=none', { skip: fixturesSkip }, async () => {
    const ids = new Map<string, string>();
    for (const file of Object.keys(PARITY)) ids.set(file, await submit(await fs.readFile(path.join(REMBG, file)), file, { refine: 'none' }));
    for (const [file, id] of ids) {
      const view = await stack.waitFor(id);
      assert.equal(view.status, 'done', `${file}: ${view.error}`);
      const png = Buffer.from(await (await fetch(`${stack.baseUrl}/result/${id}`)).arrayBuffer());
      const ours = await readAlpha(png);
      const ref = await readAlpha(expectedFor(file));
      assert.deepEqual([ours.width, ours.height], [ref.width, ref.height], file);
      const iou = maskIoU(ours.data, ref.data);
      assert.ok(iou >= PARITY[file]!, `${file}: alpha IoU ${iou.toFixed(4)} < ${PARITY[file]}`);
      console.log(`# parity ${file}: IoU ${iou.toFixed(4)}`);
    }
  });

  it('a file that cannot be decoded ends failed with a readable message, without retries', async () => {
    const id = await submit(await corruptPng(), 'broken.png');
    const view = await stack.waitFor(id);
    assert.equal(view.status, 'failed');
    assert.match(view.error ?? '', /damaged|could not be decoded/i);
    assert.equal(view.attempts, 1);
    const res = await fetch(`${stack.baseUrl}/result/${id}`);
    assert.equal(res.status, 404);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'job_failed');
    // and the worker still works
    const next = await stack.waitFor(await submit(await subjectOnBackground(), 'ok.jpg'));
    assert.equal(next.status, 'done');
    assert.ok(next.result?.confidence !== undefined && next.result.confidence > 0.5, `a clean disc: confidence ${next.result?.confidence}`);
  });

  it('a photo with nothing in it (plain white, a gradient) ends failed with unknown_foreground, without retries', async () => {
    const white = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#ffffff' } }).png().toBuffer();
    const sky = await sharp(
      Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="300" height="200"><defs><linearGradient id="g"><stop offset="0" stop-color="#4a90d9"/><stop offset="1" stop-color="#d0e4f7"/></linearGradient></defs><rect width="100%" height="100%" fill="url(#g)"/></svg>'),
    ).png().toBuffer();
    for (const [name, bytes] of [['white.png', white], ['sky.png', sky]] as const) {
      const view = await stack.waitFor(await submit(bytes, name));
      assert.equal(view.status, 'failed', name);
      assert.equal(view.error_code, 'unknown_foreground', name);
      assert.match(view.error ?? '', /^No foreground .*\.$/);
      assert.equal(view.attempts, 1);
    }
  });
});
