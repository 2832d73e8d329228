// The compat endpoints end to end with the real model: a remove.bg request and a rembg request
// through the api, the queue and a worker running ISNet, answered with a real cut-out. And a
// damaged photo, which passes the upload checks and fails in the worker: remove.bg's 400.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { corruptPng, subjectOnBackground } from '../helpers/images.js';
import { assertRemoveBgAnswer } from '../helpers/removebg-doc.js';
import { startStack, type Stack } from '../helpers/stack.js';

describe('compat endpoints with the real model', () => {
  let stack: Stack;
  let photo: Buffer;
  before(async () => {
    photo = await subjectOnBackground(320, 240, 'jpeg');
    stack = await startStack({ workers: 1, env: { JOB_ATTEMPTS: '1' } });
  });
  after(async () => stack.stop());

  const removebg = async (fields: Record<string, string>, file: Buffer) => {
    const form = new FormData();
    form.append('image_file', new Blob([new Uint8Array(file)]), 'photo.jpg');
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    const res = await fetch(`${stack.baseUrl}/v1.0/removebg`, { method: 'POST', body: form, headers: { 'x-api-key': 'any' } });
    return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
  };

  it('remove.bg: a transparent PNG of the subject, its box in the headers', async () => {
    const res = await removebg({ size: 'full', format: 'png' }, photo);
    assertRemoveBgAnswer(['post', '/removebg'], res, 'real model');
    const { data, info } = await sharp(res.body).raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual([info.width, info.height, info.channels], [320, 240, 4]);
    assert.equal(data[3], 0, 'the corner (background) is transparent');
    assert.ok(data[(120 * 320 + 160) * 4 + 3]! >= 250, 'the centre (the disc) is opaque');
    // The disc has a radius of 72 px around (160, 120).
    const box = ['left', 'top', 'width', 'height'].map((k) => Number(res.headers.get(`x-foreground-${k}`)));
    const want = [88, 48, 144, 144];
    box.forEach((got, i) => assert.ok(Math.abs(got - want[i]!) <= 6, `foreground ${box.join(',')}`));
  });

  it('rembg: the mask alone with om=true', async () => {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(photo)]), 'photo.jpg');
    form.append('om', 'true');
    const res = await fetch(`${stack.baseUrl}/api/remove`, { method: 'POST', body: form });
    assert.equal(res.status, 200);
    const png = Buffer.from(await res.arrayBuffer());
    const meta = await sharp(png).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height, meta.channels], ['png', 320, 240, 1], 'a greyscale PNG');
    const { data } = await sharp(png).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
    assert.ok(data[0]! < 16 && data[120 * 320 + 160]! > 240, 'black background, white subject');
  });

  it('remove.bg: a photo that fails in the worker is its 400 failed_to_read_image', async () => {
    const res = await removebg({}, await corruptPng());
    assertRemoveBgAnswer(['post', '/removebg'], res, 'damaged photo');
    assert.equal(JSON.parse(res.body.toString()).errors[0].code, 'failed_to_read_image');
  });
});
