// The mask editor's server side (issue 18): real api, real Redis, a real worker running the real
// pipeline on a synthetic segmentation (a disk; the model is not the point). What an editor user
// would notice: the mask to edit lies on the photo, an erased rectangle comes back transparent and
// nothing else moves, the result URL serves the new version (new ETag), the status counts the
// versions, the edit survives a reload, a bad mask is a clear 400, and nobody else gets the edit.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import type { StatusView } from '../../src/jobs/contract.js';
import { CutoutApiError, CutoutClient } from '../../src/sdk/index.js';
import { createApiServer } from '../../src/api/server.js';
import { createLogger } from '../../src/logger.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { syntheticCutter } from '../helpers/synthetic-cutter.js';
import { unzip } from '../helpers/zip.js';

const W = 120;
const H = 80;

/** An opaque photo with texture (so edge refinement has something to follow). */
async function photo(): Promise<Buffer> {
  const rgb = Buffer.alloc(W * H * 3);
  for (let i = 0; i < W * H; i++) {
    const x = i % W;
    const y = Math.floor(i / W);
    rgb.set([(x * 2) & 255, (y * 3) & 255, (x * y) & 255], i * 3);
  }
  return sharp(rgb, { raw: { width: W, height: H, channels: 3 } }).png().toBuffer();
}

const grey = (data: Uint8Array, width: number, height: number) => sharp(data, { raw: { width, height, channels: 1 } }).png().toBuffer();
async function pixels(png: Buffer, channel: 0 | 3 = 0) {
  const { data, info } = await sharp(png).ensureAlpha().extractChannel(channel).raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: info.width, height: info.height };
}
const inRect = (i: number, r: { x0: number; y0: number; x1: number; y1: number }) => {
  const x = i % W;
  const y = Math.floor(i / W);
  return x >= r.x0 && x < r.x1 && y >= r.y0 && y < r.y1;
};

describe('the mask editor: GET/PUT /jobs/{id}/mask, GET /jobs/{id}/source, versioned results', { timeout: 120_000 }, () => {
  let stack: Stack;
  let source: Buffer;
  before(async () => {
    stack = await startStack({ cutter: syntheticCutter(), env: { RESULT_CACHE: 'true', MAX_UPLOAD_BYTES: String(200 * 1024) } });
    source = await photo();
  });
  after(() => stack?.stop());

  async function job(fields: Record<string, string> = {}): Promise<StatusView> {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(source)]), 'photo.png');
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    const res = await fetch(`${stack.baseUrl}/remove-bg`, { method: 'POST', body: form });
    const body = (await res.json()) as { job_id: string };
    assert.ok(res.status === 202 || res.status === 200, JSON.stringify(body));
    const view = await stack.waitFor(body.job_id);
    assert.equal(view.status, 'done', JSON.stringify(view));
    return view;
  }
  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${stack.baseUrl}${path}`, { headers });
  const put = (id: string, body: Buffer | FormData, type = 'image/png') =>
    fetch(`${stack.baseUrl}/jobs/${id}/mask`, {
      method: 'PUT',
      body: body instanceof FormData ? body : new Uint8Array(body),
      headers: body instanceof FormData ? {} : { 'content-type': type },
    });
  async function maskOf(id: string) {
    const res = await get(`/jobs/${id}/mask`);
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal(res.headers.get('content-type'), 'image/png');
    const png = Buffer.from(await res.arrayBuffer());
    const meta = await sharp(png).metadata();
    return { png, meta, etag: res.headers.get('etag')!, ...(await pixels(png)) };
  }
  async function resultOf(id: string, headers: Record<string, string> = {}) {
    const res = await get(`/result/${id}`, headers);
    const png = Buffer.from(await res.arrayBuffer());
    return { res, png, etag: res.headers.get('etag') };
  }

  let first: StatusView;
  let v1: { alpha: Uint8Array; etag: string; png: Buffer };
  const erased = { x0: 40, y0: 20, x1: 80, y1: 50 };

  it('serves the photo and its mask in the photo\'s frame; the mask is the result\'s alpha', async () => {
    first = await job();
    assert.deepEqual([first.width, first.height, first.result_version, first.edited], [W, H, 1, false]);
    const src = await get(`/jobs/${first.job_id}/source`);
    assert.equal(src.status, 200);
    assert.equal(src.headers.get('content-type'), 'image/png');
    assert.ok(Buffer.from(await src.arrayBuffer()).equals(source), 'the upload, byte for byte');
    const mask = await maskOf(first.job_id);
    assert.deepEqual([mask.meta.width, mask.meta.height, mask.meta.channels], [W, H, 1], 'an 8-bit greyscale PNG at the photo\'s size');
    const again = await get(`/jobs/${first.job_id}/mask`, { 'if-none-match': mask.etag });
    assert.equal(again.status, 304);
    const result = await resultOf(first.job_id);
    assert.equal(result.res.status, 200);
    assert.match(result.res.headers.get('cache-control') ?? '', /no-cache/);
    v1 = { alpha: (await pixels(result.png, 3)).data, etag: result.etag!, png: result.png };
    assert.ok(v1.etag, 'the result has an ETag');
    assert.deepEqual(mask.data, v1.alpha, 'the mask served is the alpha the result was made with (refined)');
    assert.ok(v1.alpha.some((a) => a === 255) && v1.alpha.some((a) => a === 0), 'a subject and a background');
  });

  it('an erased rectangle comes back transparent, nothing else changes, and the ETag changes', async () => {
    const mask = await maskOf(first.job_id);
    const edited = mask.data.map((v, i) => (inRect(i, erased) ? 0 : v));
    const res = await put(first.job_id, await grey(edited, W, H));
    const view = (await res.json()) as StatusView;
    assert.equal(res.status, 200, JSON.stringify(view));
    assert.deepEqual([view.status, view.edited, view.result_version], ['done', true, 2]);
    assert.ok(view.edited_at);
    const result = await resultOf(first.job_id);
    assert.notEqual(result.etag, v1.etag, 'a new version has a new ETag');
    const alpha = (await pixels(result.png, 3)).data;
    let inside = 0;
    for (let i = 0; i < W * H; i++) {
      if (inRect(i, erased)) {
        assert.equal(alpha[i], 0, `pixel ${i} inside the erased rectangle`);
        inside += v1.alpha[i]! > 0 ? 1 : 0;
      } else assert.equal(alpha[i], v1.alpha[i], `pixel ${i} outside the rectangle is unchanged`);
    }
    assert.ok(inside > 100, 'the rectangle erased some of the subject');
    const [rgbBefore, rgbAfter] = await Promise.all([v1.png, result.png].map((p) => sharp(p).removeAlpha().raw().toBuffer()));
    for (let i = 0; i < W * H; i++) {
      if (!inRect(i, erased) && alpha[i] === 255) assert.deepEqual(rgbAfter!.subarray(i * 3, i * 3 + 3), rgbBefore!.subarray(i * 3, i * 3 + 3), `colour of opaque pixel ${i}`);
    }
    const old = await resultOf(first.job_id, { 'if-none-match': v1.etag });
    assert.equal(old.res.status, 200, 'the old ETag gets the new bytes');
    assert.ok(old.png.equals(result.png));
    const current = await resultOf(first.job_id, { 'if-none-match': result.etag! });
    assert.equal(current.res.status, 304);
    const status = (await (await get(`/status/${first.job_id}`)).json()) as StatusView;
    assert.deepEqual([status.edited, status.result_version], [true, 2], 'the status says so, read again from Redis');
    assert.deepEqual((await maskOf(first.job_id)).data, edited, 'GET mask answers the edited mask');
  });

  it('a mask at a smaller size is scaled to the photo; a second edit is version 3', async () => {
    const small = new Uint8Array((W / 2) * (H / 2)).fill(255); // all subject
    const res = await put(first.job_id, await grey(small, W / 2, H / 2));
    const view = (await res.json()) as StatusView;
    assert.equal(res.status, 200, JSON.stringify(view));
    assert.equal(view.result_version, 3);
    const mask = await maskOf(first.job_id);
    assert.deepEqual([mask.width, mask.height], [W, H]);
    assert.ok(mask.data.every((v) => v === 255), 'scaled up');
    const alpha = (await pixels((await resultOf(first.job_id)).png, 3)).data;
    assert.ok(alpha.every((a) => a === 255), 'the whole photo is the subject now');
  });

  it('accepts an RGBA canvas export (R = G = B, opaque) and a multipart field "mask"', async () => {
    const rgba = Buffer.alloc(W * H * 4);
    for (let i = 0; i < W * H; i++) rgba.set(inRect(i, erased) ? [0, 0, 0, 255] : [255, 255, 255, 255], i * 4);
    const png = await sharp(rgba, { raw: { width: W, height: H, channels: 4 } }).png().toBuffer();
    const form = new FormData();
    form.append('note', 'ignored');
    form.append('mask', new Blob([new Uint8Array(png)], { type: 'image/png' }), 'mask.png');
    const res = await put(first.job_id, form);
    const view = (await res.json()) as StatusView;
    assert.equal(res.status, 200, JSON.stringify(view));
    assert.equal(view.result_version, 4);
    const alpha = (await pixels((await resultOf(first.job_id)).png, 3)).data;
    assert.ok(alpha.every((a, i) => a === (inRect(i, erased) ? 0 : 255)));
  });

  it('refuses a mask of the wrong kind with a clear 400, and keeps the served version', async () => {
    const before = await resultOf(first.job_id);
    const colour = await sharp({ create: { width: W, height: H, channels: 3, background: { r: 255, g: 0, b: 0 } } }).png().toBuffer();
    const seeThrough = await sharp({ create: { width: W, height: H, channels: 4, background: { r: 9, g: 9, b: 9, alpha: 0.5 } } }).png().toBuffer();
    const square = await grey(new Uint8Array(80 * 80), 80, 80);
    const jpeg = await sharp({ create: { width: W, height: H, channels: 3, background: '#000' } }).jpeg().toBuffer();
    const cases: [string, Buffer, RegExp, string?][] = [
      ['colour', colour, /colour/],
      ['not opaque', seeThrough, /opaque/],
      ['aspect ratio', square, /80x80.*120x80/],
      ['not a PNG', jpeg, /not a PNG/],
      ['empty body', Buffer.alloc(0), /empty/],
      ['JSON body', Buffer.from('{}'), /application\/json, not a PNG/, 'application/json'],
    ];
    for (const [name, body, message, type] of cases) {
      const res = await put(first.job_id, body, type);
      const err = (await res.json()) as { error: { code: string; message: string; request_id: string } };
      assert.equal(res.status, 400, `${name}: ${JSON.stringify(err)}`);
      assert.equal(err.error.code, 'invalid_mask', name);
      assert.match(err.error.message, message, name);
      assert.ok(err.error.request_id, name);
    }
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(await grey(new Uint8Array(W * H), W, H))]), 'mask.png');
    const wrongField = await put(first.job_id, form);
    assert.equal(wrongField.status, 400);
    assert.match(((await wrongField.json()) as { error: { message: string } }).error.message, /field named "mask"/);
    const status = (await (await get(`/status/${first.job_id}`)).json()) as StatusView;
    assert.equal(status.result_version, 4, 'no version was made');
    assert.equal(status.edit_error_code, 'invalid_mask', 'the last refused re-render is on the status');
    const now = await resultOf(first.job_id);
    assert.equal(now.etag, before.etag);
    assert.ok(now.png.equals(before.png), 'the previous version is still served');
    const big = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(300 * 1024)]);
    const tooLarge = await put(first.job_id, big);
    assert.equal(tooLarge.status, 413);
    assert.equal(((await tooLarge.json()) as { error: { code: string } }).error.code, 'invalid_mask');
    const unknown = await put('6f1c2d3e-4b5a-4c6d-8e7f-8a9b0c1d2e3f', await grey(new Uint8Array(W * H), W, H));
    assert.equal(unknown.status, 404);
    assert.equal(((await unknown.json()) as { error: { code: string } }).error.code, 'job_not_found');
    assert.equal((await get('/jobs/6f1c2d3e-4b5a-4c6d-8e7f-8a9b0c1d2e3f/mask')).status, 404);
  });

  it('another job on the same photo still gets the model\'s mask, not the edit', async () => {
    const other = await job();
    assert.notEqual(other.job_id, first.job_id);
    assert.ok(!other.cached, 'not a copy of the edited result');
    assert.deepEqual([other.result_version, other.edited], [1, false]);
    const alpha = (await pixels((await resultOf(other.job_id)).png, 3)).data;
    assert.deepEqual(alpha, v1.alpha, 'the model\'s result');
  });

  it('the SDK: source(), getMask(), putMask() with bytes or a Blob, and the api\'s refusals as CutoutApiError', async () => {
    const client = new CutoutClient({ baseUrl: stack.baseUrl });
    const view = await job({ refine: 'none' });
    const src = await client.source(view.job_id);
    assert.ok(Buffer.from(src.bytes).equals(source));
    assert.equal(src.contentType, 'image/png');
    const mask = await client.getMask(view.job_id);
    assert.equal(mask.contentType, 'image/png');
    const { data } = await pixels(Buffer.from(mask.bytes));
    const edited = data.map((v, i) => (inRect(i, erased) ? 0 : v));
    const saved = await client.putMask(view.job_id, await grey(edited, W, H));
    assert.deepEqual([saved.result_version, saved.edited], [2, true]);
    const again = await client.putMask(view.job_id, new Blob([new Uint8Array(await grey(edited, W, H))], { type: 'image/png' }));
    assert.equal(again.result_version, 3);
    const alpha = (await pixels(Buffer.from((await client.result(view.job_id)).bytes), 3)).data;
    assert.ok(alpha.every((a, i) => (inRect(i, erased) ? a === 0 : a === data[i])), 'the result is the edited mask');
    const refused = await client.putMask(view.job_id, await grey(new Uint8Array(100), 10, 10)).catch((err: unknown) => err);
    assert.ok(refused instanceof CutoutApiError);
    assert.deepEqual([refused.status, refused.code], [400, 'invalid_mask']);
  });

  it('re-applies the job\'s options: the crop follows the edited mask, the background stays', async () => {
    const cropped = await job({ crop: 'true', bg_color: '00ff00', refine: 'none' });
    assert.ok(cropped.result);
    const mask = await maskOf(cropped.job_id);
    // Keep only the disk's right half: the crop box shrinks to it.
    const right = mask.data.map((v, i) => (i % W < W / 2 ? 0 : v));
    const res = await put(cropped.job_id, await grey(right, W, H));
    const view = (await res.json()) as StatusView;
    assert.equal(res.status, 200, JSON.stringify(view));
    assert.ok(view.result!.width < cropped.result.width, `narrower: ${view.result!.width} < ${cropped.result.width}`);
    assert.equal(view.result!.height, cropped.result.height, 'as tall');
    const { res: got, png } = await resultOf(cropped.job_id);
    assert.equal(Number(got.headers.get('x-width')), view.result!.width);
    const meta = await sharp(png).metadata();
    assert.deepEqual([meta.width, meta.height], [view.result!.width, view.result!.height]);
    const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    const corner = (info.width - 1) * info.channels; // top right: outside the half disk
    assert.deepEqual([...data.subarray(corner, corner + 3)], [0, 255, 0], 'the corner is the green background');
  });

  it('a batch shows the edited version, and its ZIP holds it', async () => {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(source)]), 'a.png');
    form.append('refine', 'none');
    const batch = (await (await fetch(`${stack.baseUrl}/batches`, { method: 'POST', body: form })).json()) as { batch_id: string; items: { job_id: string }[] };
    const id = batch.items[0]!.job_id;
    await stack.waitFor(id);
    const mask = await maskOf(id);
    const saved = await put(id, await grey(mask.data.map((v, i) => (Math.abs((i % W) - W / 2) < 5 ? 0 : v)), W, H));
    assert.equal(saved.status, 200, await saved.clone().text());
    const items = ((await (await get(`/batches/${batch.batch_id}`)).json()) as { items: { result_version?: number }[] }).items;
    assert.equal(items[0]!.result_version, 2);
    const zip = await unzip(Buffer.from(await (await get(`/batches/${batch.batch_id}/zip`)).arrayBuffer()));
    const inZip = [...zip.entries()].find(([name]) => name.endsWith('.png'))![1];
    assert.deepEqual(inZip, (await resultOf(id)).png, 'the ZIP holds the version /result serves');
  });

  it('a job answered from the result cache is edited on its own: its result changes, the original\'s does not (and the other way round); a batch ZIP holds each one\'s', async () => {
    const flipped = await sharp(source).flop().png().toBuffer();
    const upload = async (name: string) => {
      const form = new FormData();
      form.append('file', new Blob([new Uint8Array(flipped)]), name);
      const res = await fetch(`${stack.baseUrl}/remove-bg`, { method: 'POST', body: form });
      return { status: res.status, body: (await res.json()) as { job_id: string; cached?: boolean } };
    };
    const original = (await upload('a.png')).body.job_id;
    assert.equal((await stack.waitFor(original)).status, 'done');
    const again = await upload('b.png');
    assert.deepEqual([again.status, again.body.cached], [200, true], 'the repeat is answered from the cache');
    const copy = again.body.job_id;
    const before = (await resultOf(original)).png;
    assert.ok((await resultOf(copy)).png.equals(before));

    const src = await get(`/jobs/${copy}/source`);
    assert.equal(src.status, 200, await src.clone().text());
    assert.ok(Buffer.from(await src.arrayBuffer()).equals(flipped), 'the cached job\'s photo');
    const mask = await maskOf(copy);
    assert.deepEqual(mask.data, (await pixels(before, 3)).data, 'its mask is its result\'s alpha');
    const res = await put(copy, await grey(mask.data.map((v, i) => (inRect(i, erased) ? 0 : v)), W, H));
    const view = (await res.json()) as StatusView;
    assert.equal(res.status, 200, JSON.stringify(view));
    assert.deepEqual([view.job_id, view.cached, view.edited, view.result_version], [copy, true, true, 2]);
    const copyAlpha = (await pixels((await resultOf(copy)).png, 3)).data;
    assert.ok(copyAlpha.every((a, i) => (inRect(i, erased) ? a === 0 : a === mask.data[i])), 'the copy\'s result is its edit');
    assert.ok((await resultOf(original)).png.equals(before), 'the original\'s result is untouched');
    const originalStatus = (await (await get(`/status/${original}`)).json()) as StatusView;
    assert.deepEqual([originalStatus.result_version, originalStatus.edited], [1, false]);
    const copyStatus = (await (await get(`/status/${copy}`)).json()) as StatusView;
    assert.deepEqual([copyStatus.result_version, copyStatus.edited, copyStatus.cached], [2, true, true], 'read again from Redis');
    assert.deepEqual((await maskOf(copy)).data, mask.data.map((v, i) => (inRect(i, erased) ? 0 : v)), 'GET mask answers the copy\'s edit');

    // A batch item answered from the cache is edited on its own too, and the ZIP holds its edit.
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(flipped)]), 'c.png');
    const batch = (await (await fetch(`${stack.baseUrl}/batches`, { method: 'POST', body: form })).json()) as { batch_id: string; items: { job_id: string }[] };
    const item = batch.items[0]!.job_id;
    assert.equal((await stack.waitFor(item)).cached, true);
    const strip = await put(item, await grey(mask.data.map((v, i) => (i % W < 30 ? 0 : v)), W, H));
    assert.equal(strip.status, 200, await strip.clone().text());
    const zip = await unzip(Buffer.from(await (await get(`/batches/${batch.batch_id}/zip`)).arrayBuffer()));
    const inZip = [...zip.entries()].find(([name]) => name.endsWith('.png'))![1];
    assert.deepEqual(inZip, (await resultOf(item)).png, 'the ZIP holds the item\'s edit');
    assert.ok(!(await resultOf(copy)).png.equals((await resultOf(item)).png), 'two copies, two edits');

    // The other way round: an edit of the original leaves its copies' results alone.
    const copyBytes = (await resultOf(copy)).png;
    const fromOriginal = await put(original, await grey(new Uint8Array(W * H).fill(255), W, H));
    assert.equal(fromOriginal.status, 200, await fromOriginal.clone().text());
    assert.ok(!(await resultOf(original)).png.equals(before), 'the original changed');
    assert.ok((await resultOf(copy)).png.equals(copyBytes), 'the copy did not');
  });

  it('another api replica shows a saved edit at once: its short cache of done views is dropped by the apply job\'s end', async () => {
    const other = await createApiServer(stack.config, createLogger(stack.config, 'test'));
    try {
      await other.events.ready();
      await other.app.listen({ host: '127.0.0.1', port: 0 });
      const address = other.app.server.address();
      const otherUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
      const view = await job({ refine: 'none', shadow: 'soft' });
      const statusThere = async () => ((await (await fetch(`${otherUrl}/status/${view.job_id}`)).json()) as StatusView).result_version;
      const cachedAt = Date.now();
      assert.equal(await statusThere(), 1, 'the other replica has the done view (and caches it for 2 s)');
      const mask = await maskOf(view.job_id);
      const res = await put(view.job_id, await grey(mask.data.map((v, i) => (inRect(i, erased) ? 0 : v)), W, H));
      assert.equal(res.status, 200, await res.clone().text());
      // The apply job's end reaches the other replica over the queue's event stream, a moment after the save answers.
      const deadline = cachedAt + 1900;
      let seen = await statusThere();
      while (seen !== 2 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
        seen = await statusThere();
      }
      assert.equal(seen, 2, 'the other replica serves the new version before its cached view would have expired');
    } finally {
      await other.close();
    }
  });
});
