// Per-job options end to end (issue 13): real api, real worker, real model, real photos. What an
// agency would check: the crop is the subject, a canvas is exact, JPEG has no alpha, the mask
// alone equals the cut-out's alpha, a face crop finds the head, a repeat costs nothing.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { subjectBox } from '../../src/cutout/layout.js';
import type { StatusView } from '../../src/jobs/contract.js';
import { fixturesSkip, REMBG } from '../helpers/fixtures.js';
import { startStack, type Stack } from '../helpers/stack.js';

interface Sent {
  status: number;
  body: { job_id?: string; status?: string; cached?: boolean; error?: { code: string; message: string } };
}

describe('per-job options, end to end', { timeout: 600_000, skip: fixturesSkip }, () => {
  let stack: Stack;
  let cloth: Buffer;
  before(async () => {
    stack = await startStack({ workers: 1, env: { RESULT_CACHE: 'true' } });
    cloth = await fs.readFile(path.join(REMBG, 'cloth-1.jpg'));
  });
  after(() => stack?.stop());

  async function send(bytes: Buffer, fields: Record<string, string> = {}, opts: { query?: string; bg?: Buffer; name?: string } = {}): Promise<Sent> {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(bytes)]), opts.name ?? 'photo.jpg');
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    if (opts.bg) form.append('bg_image', new Blob([new Uint8Array(opts.bg)]), 'bg.png');
    const res = await fetch(`${stack.baseUrl}/remove-bg${opts.query ?? ''}`, { method: 'POST', body: form });
    return { status: res.status, body: (await res.json()) as Sent['body'] };
  }

  async function done(bytes: Buffer, fields: Record<string, string> = {}, opts: { query?: string; bg?: Buffer } = {}) {
    const sent = await send(bytes, fields, opts);
    assert.ok(sent.status === 202 || sent.status === 200, JSON.stringify(sent));
    const view = await stack.waitFor(sent.body.job_id!);
    assert.equal(view.status, 'done', JSON.stringify(view));
    const res = await fetch(`${stack.baseUrl}/result/${view.job_id}`);
    assert.equal(res.status, 200);
    const bytesOut = Buffer.from(await res.arrayBuffer());
    return { view, res, bytes: bytesOut, meta: await sharp(bytesOut).metadata(), sent };
  }

  const counter = async (name: string) => {
    const text = await stack.workers[0]!.metrics.getSingleMetricAsString(name);
    return [...text.matchAll(/^\w+\{[^}]*\} (\d+)$/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
  };
  const alphaOf = async (png: Buffer) => {
    const { data, info } = await sharp(png).ensureAlpha().extractChannel(3).raw().toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height };
  };

  let plain: Awaited<ReturnType<typeof done>>;

  it('a plain job reports its options, size, format and where the subject is', async () => {
    plain = await done(cloth);
    const { view, res, meta } = plain;
    assert.equal(view.options?.format, 'png');
    assert.equal(view.options?.crop, false);
    assert.equal(view.result?.format, 'png');
    assert.deepEqual([view.result?.width, view.result?.height], [meta.width, meta.height]);
    assert.equal(res.headers.get('content-type'), 'image/png');
    assert.match(res.headers.get('content-disposition') ?? '', /photo-cutout\.png/);
    const alpha = await alphaOf(plain.bytes);
    const box = subjectBox(alpha.data, alpha.width, alpha.height, 1, 0)!;
    assert.deepEqual(view.result?.foreground, box);
    assert.equal(res.headers.get('x-foreground-left'), String(box.left));
    assert.equal(res.headers.get('x-width'), String(meta.width));
    assert.equal(view.options?.refine, 'fast');
    const confidence = view.result?.confidence;
    assert.ok(confidence !== undefined && confidence > 0 && confidence <= 1, `confidence ${confidence}`);
    assert.equal(res.headers.get('x-confidence'), String(confidence));
  });

  it('refine=none gives the model\'s mask as it is; fast differs only along the edge', async () => {
    const none = await done(cloth, { refine: 'none' });
    assert.equal(none.view.mask_reused, true, 'the same mask, other options');
    assert.equal(none.view.result?.confidence, plain.view.result?.confidence, 'confidence comes from the mask');
    const [a, b] = [await alphaOf(none.bytes), await alphaOf(plain.bytes)];
    let changed = 0;
    let flatChanged = 0;
    for (let i = 0; i < a.data.length; i++) {
      if (a.data[i] === b.data[i]) continue;
      changed++;
      // Where refine=none is fully opaque or transparent 48 px all around, fast leaves it.
      const y = Math.floor(i / a.width);
      const x = i % a.width;
      let flat = true;
      for (let dy = -48; dy <= 48 && flat; dy += 4) for (let dx = -48; dx <= 48 && flat; dx += 4) {
        const v = a.data[Math.min(a.height - 1, Math.max(0, y + dy)) * a.width + Math.min(a.width - 1, Math.max(0, x + dx))]!;
        if (v !== a.data[i] || (v !== 0 && v !== 255)) flat = false;
      }
      if (flat) flatChanged++;
    }
    assert.ok(changed > 0, 'fast changes the edge');
    assert.ok(changed < a.data.length * 0.2, `only along the edge: ${changed} of ${a.data.length}`);
    assert.ok(flatChanged < changed * 0.01, `flat regions untouched: ${flatChanged} of ${changed}`);
  });

  it('crop=true is the subject box, with exact margins; the mask is reused (no inference)', async () => {
    const inferences = await counter('cutout_inferences_total');
    const reused = await counter('cutout_masks_reused_total');
    const { view, meta, res } = await done(cloth, { crop: 'true', crop_margin: '20px 10px' });
    const box = plain.view.result!.foreground;
    assert.equal(view.mask_reused, true);
    assert.equal(await counter('cutout_inferences_total'), inferences, 'the model did not run');
    assert.equal(await counter('cutout_masks_reused_total'), reused + 1);
    assert.ok(Math.abs(meta.width! - (box.width + 20)) <= 1, `${meta.width} vs ${box.width + 20}`);
    assert.ok(Math.abs(meta.height! - (box.height + 40)) <= 1, `${meta.height} vs ${box.height + 40}`);
    const fg = view.result!.foreground;
    assert.ok(Math.abs(fg.left - 10) <= 1 && Math.abs(fg.top - 20) <= 1, JSON.stringify(fg));
    assert.equal(res.headers.get('x-foreground-top'), String(fg.top));
  });

  it('channels=alpha is the RGBA result\'s alpha, as an 8-bit greyscale image', async () => {
    const { bytes, meta, view } = await done(cloth, { channels: 'alpha' });
    assert.equal(meta.channels, 1);
    assert.equal(view.result?.format, 'png');
    const alpha = await alphaOf(plain.bytes);
    const { data: mask, info: mi } = await sharp(bytes).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual([mi.width, mi.height, mi.channels], [alpha.width, alpha.height, 1]);
    let differ = 0;
    let most = 0;
    for (let i = 0; i < mask.length; i++) {
      if (mask[i] === alpha.data[i]) continue;
      differ++;
      most = Math.max(most, Math.abs(mask[i]! - alpha.data[i]!));
    }
    assert.equal(differ, 0, `${differ} of ${mask.length} pixels differ, by up to ${most}`);
  });

  it('the same photo with the same options is done at once, from the cache, without reaching a worker', async () => {
    const completed = (await stack.queue.counts()).completed;
    const inferences = await counter('cutout_inferences_total');
    const started = performance.now();
    const sent = await send(cloth);
    const ms = performance.now() - started;
    assert.equal(sent.status, 200, JSON.stringify(sent));
    assert.equal(sent.body.status, 'done');
    assert.equal(sent.body.cached, true);
    const view = (await (await fetch(`${stack.baseUrl}/status/${sent.body.job_id}`)).json()) as StatusView;
    assert.equal(view.status, 'done');
    assert.equal(view.cached, true);
    assert.deepEqual(view.result, plain.view.result);
    const res = await fetch(`${stack.baseUrl}/result/${sent.body.job_id}`);
    assert.ok(Buffer.from(await res.arrayBuffer()).equals(plain.bytes), 'the same result');
    assert.equal((await stack.queue.counts()).completed, completed, 'no job went through the queue');
    assert.equal(await counter('cutout_inferences_total'), inferences);
    // Its events: one done event, and the stream ends.
    const events = await (await fetch(`${stack.baseUrl}/events/${sent.body.job_id}`)).text();
    assert.match(events, /event: done/);
    assert.match(events, /"cached":true/);
    // A cached job is finished: nothing to cancel.
    assert.equal((await fetch(`${stack.baseUrl}/jobs/${sent.body.job_id}`, { method: 'DELETE' })).status, 409);
    process.stdout.write(`# repeat upload answered in ${ms.toFixed(0)} ms\n`);
  });

  it('canvas on white as JPEG: exactly W×H, no alpha, white corners, the subject inside the margins', async () => {
    const { meta, bytes, view, res } = await done(cloth, { canvas: '600x600', bg_color: 'white', crop_margin: '5%', format: 'jpg' });
    assert.deepEqual([meta.width, meta.height, meta.format, meta.hasAlpha], [600, 600, 'jpeg', false]);
    assert.equal(res.headers.get('content-type'), 'image/jpeg');
    assert.match(res.headers.get('content-disposition') ?? '', /photo-cutout\.jpg/);
    const { data } = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
    for (const i of [0, (600 * 600 - 1) * 3]) assert.ok(data[i]! > 245 && data[i + 1]! > 245 && data[i + 2]! > 245, `corner ${i}`);
    const fg = view.result!.foreground;
    assert.ok(fg.top >= 29 && fg.top + fg.height <= 571, JSON.stringify(fg));
    assert.ok(fg.left >= 29 && fg.left + fg.width <= 571, JSON.stringify(fg));
    assert.ok(Math.max(fg.width, fg.height) >= 538, 'fitted: the long side fills the space inside the margins');
  });

  it('webp keeps alpha; preview is at most 0.25 MP; options also come as query parameters', async () => {
    const webp = await done(cloth, {}, { query: '?format=webp&size=preview' });
    assert.equal(webp.meta.format, 'webp');
    assert.equal(webp.meta.hasAlpha, true);
    assert.ok(webp.meta.width! * webp.meta.height! <= 250_000);
    assert.equal(webp.res.headers.get('content-type'), 'image/webp');
    assert.equal(webp.view.options?.size, 'preview');
  });

  it('bg_image covers the canvas; a text file or a pixel bomb as bg_image is a 400', async () => {
    const bg = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#ff0000' } }).png().toBuffer();
    const { bytes, meta } = await done(cloth, { canvas: '400x400' }, { bg });
    assert.equal(meta.width, 400);
    const { data, info } = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
    for (const [x, y] of [[0, 0], [399, 0], [0, 399], [399, 399]]) {
      const i = (y! * 400 + x!) * info.channels;
      assert.ok(data[i]! > 240 && data[i + 1]! < 15 && data[i + 3 < info.channels ? i + 3 : i]! > 0, `corner ${x},${y} is the background`);
      if (info.channels === 4) assert.equal(data[i + 3], 255);
    }
    const text = await send(cloth, {}, { bg: Buffer.from('not an image at all') });
    assert.equal(text.status, 400);
    assert.equal(text.body.error?.code, 'invalid_bg_image');
    const bomb = Buffer.from(await sharp({ create: { width: 8, height: 8, channels: 3, background: '#fff' } }).png().toBuffer());
    bomb.writeUInt32BE(60000, 16);
    bomb.writeUInt32BE(60000, 20);
    bomb.writeUInt32BE(crc32(bomb.subarray(12, 29)), 29);
    const big = await send(cloth, {}, { bg: bomb });
    assert.equal(big.status, 400);
    assert.equal(big.body.error?.code, 'invalid_bg_image');
    assert.match(big.body.error!.message, /megapixels/);
  });

  it('crop=face frames the head of a person; a photo without a face fails with no_face_found', async () => {
    const { view, meta } = await done(cloth, { crop: 'face' });
    const input = await sharp(cloth).metadata();
    assert.ok(meta.width! < input.width! * 0.6 && meta.height! < input.height! * 0.5, `${meta.width}x${meta.height}`);
    // Head and shoulders: a portrait frame, the whole hat inside it, near the top.
    assert.ok(meta.width! / meta.height! > 0.5 && meta.width! / meta.height! < 1, `${meta.width}x${meta.height}`);
    const fg = view.result!.foreground;
    assert.ok(fg.top > 0 && fg.top < meta.height! * 0.15, `the hat is inside, near the top: ${JSON.stringify(fg)}`);
    const plants = await fs.readFile(path.join(REMBG, 'plants-1.png'));
    const sent = await send(plants, { crop: 'face' });
    const failed = await stack.waitFor(sent.body.job_id!);
    assert.equal(failed.status, 'failed');
    assert.equal(failed.error_code, 'no_face_found');
    assert.match(failed.error!, /No face was found/);
    // Nothing else broke: the next job works.
    const after = await done(plants, { crop: 'true' });
    assert.equal(after.view.options?.crop, true);
  });

  it('refuses hostile and bad values at upload with their codes, before storing anything', async () => {
    const cases: [Record<string, string>, string][] = [
      [{ canvas: '99999x99999' }, 'invalid_canvas'],
      [{ crop_margin: '-5px' }, 'invalid_crop_margin'],
      [{ bg_color: 'javascript:' }, 'invalid_bg_color'],
      [{ format: 'gif' }, 'invalid_format'],
      [{ size: 'huge' }, 'invalid_size'],
      [{ bg_color: 'red', bg_blur: '10' }, 'multiple_bg_sources'],
      [{ colour: 'red' }, 'unknown_field'],
    ];
    for (const [fields, code] of cases) {
      const sent = await send(cloth, fields);
      assert.equal(sent.status, 400, JSON.stringify(fields));
      assert.equal(sent.body.error?.code, code, JSON.stringify(sent.body));
    }
    const twice = await send(cloth, { format: 'png' }, { query: '?format=webp' });
    assert.equal(twice.body.error?.code, 'duplicate_option');
    const unknownQuery = await send(cloth, {}, { query: '?colour=red' });
    assert.equal(unknownQuery.body.error?.code, 'unknown_option');
  });
});
