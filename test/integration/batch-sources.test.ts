// Batches the way agencies send them: a JSON list of image URLs (fetched SSRF-safely, a bad one
// reported as its item), a signed webhook when the whole batch has ended (also after a cancel),
// and Idempotency-Key retries. Real api, worker and Redis with a stand-in model; every server is
// on 127.0.0.1 and the loopback guard fails the file on any other connection.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import type { BatchAccepted, BatchStatus } from '../../src/jobs/batch-contract.js';
import { startServer, type Handler, type TestServer } from '../helpers/http-servers.js';
import { subjectOnBackground } from '../helpers/images.js';
import { installLoopbackGuard, type LoopbackGuard } from '../helpers/loopback-only.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { standInCutter, type StandInCutter } from '../helpers/stand-in.js';
import { SECRET, startReceiver } from '../helpers/webhook-receiver.js';

type Answer = { status: number; body: BatchAccepted & { error?: { code: string; message: string } }; replayed: string | null };

describe('batches: image URLs, a webhook at the end, idempotent retries', { timeout: 120_000 }, () => {
  let stack: Stack;
  let cutter: StandInCutter;
  let images: TestServer;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let guard: LoopbackGuard;
  let photo: Buffer;
  before(async () => {
    guard = installLoopbackGuard();
    photo = await subjectOnBackground(80, 60);
    const png = await subjectOnBackground(60, 80, 'png');
    // ~24 KB each (noise does not compress): two fit in MAX_BATCH_BYTES (64 KB), three do not.
    const noise = await sharp(randomBytes(90 * 90 * 3), { raw: { width: 90, height: 90, channels: 3 } }).png().toBuffer();
    const big = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`/big/${i}.png`, ((_req, res) => res.writeHead(200, { 'content-type': 'image/png' }).end(noise)) as Handler]));
    images = await startServer({
      ...big,
      '/shoes/red.jpg': (_req, res) => res.writeHead(200, { 'content-type': 'image/jpeg' }).end(photo),
      '/shoes/blue.png': (_req, res) => res.writeHead(200, { 'content-type': 'image/png' }).end(png),
      '/shoes/readme.html': (_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>not an image</html>'),
    });
    receiver = await startReceiver();
    cutter = await standInCutter();
    stack = await startStack({
      workers: 1,
      cutter,
      env: { WEBHOOK_SECRET: SECRET, WEBHOOK_BACKOFF_SECONDS: '0.2', WEBHOOK_ATTEMPTS: '5', URL_FETCH_ALLOW_HOSTS: '127.0.0.1', PUBLIC_URL: 'https://cutout.example', MAX_BATCH_BYTES: '65536' },
    });
  });
  after(async () => {
    await stack?.stop();
    await images?.close();
    await receiver?.close();
    guard.remove();
    guard.check();
  });

  async function postJson(body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
    const res = await fetch(`${stack.baseUrl}/batches`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } });
    return { status: res.status, body: (await res.json()) as Answer['body'], replayed: res.headers.get('idempotent-replayed') };
  }
  async function postFiles(names: string[], fields: Record<string, string> = {}, headers: Record<string, string> = {}): Promise<Answer> {
    const form = new FormData();
    for (const name of names) form.append('file', new Blob([new Uint8Array(photo)]), name);
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    const res = await fetch(`${stack.baseUrl}/batches`, { method: 'POST', body: form, headers });
    return { status: res.status, body: (await res.json()) as Answer['body'], replayed: res.headers.get('idempotent-replayed') };
  }
  async function batchEnded(batchId: string): Promise<BatchStatus> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const status = (await (await fetch(`${stack.baseUrl}/batches/${batchId}`)).json()) as BatchStatus;
      if (status.status === 'done') return status;
      if (Date.now() > deadline) throw new Error(`batch ${batchId} still ${status.status}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  async function batchHook(batchId: string) {
    const deadline = Date.now() + 30_000;
    while (!receiver.of(batchId, 'batch').some((d) => d.answered === 204)) {
      if (Date.now() > deadline) throw new Error(`no batch webhook for ${batchId}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return receiver.of(batchId, 'batch');
  }

  it('image_urls become items: the images are processed, an address that serves no image is reported and the rest goes on', async () => {
    const sent = await postJson({ image_urls: [`${images.origin}/shoes/red.jpg`, `${images.origin}/shoes/readme.html`, `${images.origin}/shoes/blue.png`, 'http://10.1.2.3/x.jpg'], format: 'webp' });
    assert.equal(sent.status, 202, JSON.stringify(sent.body));
    const [red, html, blue, internal] = sent.body.items;
    assert.deepEqual([red!.filename, blue!.filename], ['red.jpg', 'blue.png']);
    assert.ok('job_id' in red! && 'job_id' in blue!);
    assert.ok('error' in html! && html.error.code === 'failed_image_download', JSON.stringify(html));
    assert.match('error' in html! ? html.error.message : '', /not an image/);
    assert.ok('error' in internal! && internal.error.code === 'invalid_image_url', JSON.stringify(internal));
    const status = await batchEnded(sent.body.batch_id);
    assert.deepEqual([status.counts.done, status.counts.rejected], [2, 2]);
    const item = (await (await fetch(`${stack.baseUrl}/status/${'job_id' in red! ? red.job_id : ''}`)).json()) as { batch_id?: string; options?: { format?: string } };
    assert.equal(item.batch_id, sent.body.batch_id, 'an item\'s status names its batch');
    assert.equal(item.options?.format, 'webp', 'the batch\'s options apply to its items');
    assert.ok(!images.hits.some((h) => h.includes('10.1.2.3')));
  });

  it('image_urls are held to MAX_BATCH_BYTES once downloaded: past it a 413, and no further download starts', async () => {
    const bigUrls = (n: number) => Array.from({ length: n }, (_, i) => `${images.origin}/big/${i}.png`);
    const fits = await postJson({ image_urls: bigUrls(2) });
    assert.equal(fits.status, 202, JSON.stringify(fits.body));
    images.hits.length = 0;
    const over = await postJson({ image_urls: bigUrls(20) });
    assert.equal(over.status, 413, JSON.stringify(over.body));
    assert.equal(over.body.error?.code, 'batch_too_large');
    assert.match(over.body.error!.message, /image_urls add up to more than the 64 KB limit \(MAX_BATCH_BYTES\)/);
    const fetched = images.hits.filter((h) => h.startsWith('GET /big/')).length;
    assert.ok(fetched < 20, `${fetched} of 20 downloaded: the downloads stop at the limit`);
  });

  it('callback_url on a batch: one signed webhook with the batch\'s status once every item has ended', async () => {
    receiver.failFirst(1);
    const sent = await postFiles(['a.jpg', 'b.jpg', 'c.jpg'], { callback_url: receiver.url });
    assert.equal(sent.status, 202, JSON.stringify(sent.body));
    await batchEnded(sent.body.batch_id);
    const hooks = await batchHook(sent.body.batch_id);
    assert.deepEqual(hooks.map((d) => d.answered), [500, 204], 'retried once, then delivered; never sent before the end');
    const body = hooks[1]!.verified as unknown as BatchStatus;
    assert.equal(body.batch_id, sent.body.batch_id);
    assert.equal(body.status, 'done');
    assert.equal(body.counts.done, 3);
    assert.equal(body.items.length, 3);
    assert.match(body.zip_url, /^https:\/\/cutout\.example\/batches\//);
    assert.equal(receiver.of(sent.body.items[0] && 'job_id' in sent.body.items[0] ? sent.body.items[0].job_id : '').length, 0, 'items carry no webhook of their own');
  });

  it('a canceled batch ends too: its webhook reports the canceled items', async () => {
    receiver.failFirst(0);
    cutter.hold();
    const sent = await postFiles(['x.jpg', 'y.jpg', 'z.jpg'], { callback_url: receiver.url });
    const del = await fetch(`${stack.baseUrl}/batches/${sent.body.batch_id}`, { method: 'DELETE' });
    assert.equal(del.status, 200);
    cutter.proceed();
    const status = await batchEnded(sent.body.batch_id);
    const hooks = await batchHook(sent.body.batch_id);
    const body = hooks.at(-1)!.verified as unknown as BatchStatus;
    assert.equal(body.counts.canceled + body.counts.done, 3);
    assert.ok(body.counts.canceled >= 2, JSON.stringify(body.counts));
    assert.deepEqual(body.counts, status.counts);
  });

  it('Idempotency-Key: a retried batch answers the same batch and jobs; another request with the key is a 422', async () => {
    const first = await postFiles(['p.jpg', 'q.jpg'], {}, { 'idempotency-key': 'shoot-42' });
    const again = await postFiles(['p.jpg', 'q.jpg'], {}, { 'idempotency-key': 'shoot-42' });
    assert.equal(again.status, 202);
    assert.equal(again.replayed, 'true');
    assert.equal(again.body.batch_id, first.body.batch_id);
    assert.deepEqual(again.body.items, first.body.items);
    const other = await postFiles(['p.jpg'], {}, { 'idempotency-key': 'shoot-42' });
    assert.equal(other.status, 422);
    assert.equal(other.body.error?.code, 'idempotency_key_reused');
    const json = await postJson({ image_urls: [`${images.origin}/shoes/red.jpg`] }, { 'idempotency-key': 'urls-1' });
    const jsonAgain = await postJson({ image_urls: [`${images.origin}/shoes/red.jpg`] }, { 'idempotency-key': 'urls-1' });
    assert.equal(jsonAgain.body.batch_id, json.body.batch_id);
  });

  it('a JSON body without image_urls, or with a bad callback, is a 400 that says what to send', async () => {
    const none = await postJson({ format: 'webp' });
    assert.equal(none.status, 400);
    assert.equal(none.body.error?.code, 'missing_source');
    const bad = await postJson({ image_urls: [`${images.origin}/shoes/red.jpg`], callback_url: 'http://169.254.169.254/hook' });
    assert.equal(bad.body.error?.code, 'invalid_callback_url');
    const wrongType = await postJson({ image_urls: 'not a list' });
    assert.equal(wrongType.body.error?.code, 'invalid_image_url');
  });
});
