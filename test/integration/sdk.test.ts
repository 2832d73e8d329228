// The TypeScript SDK (src/sdk) against the real api, queue and worker (a stand-in model), with API
// keys on: upload bytes with options and follow the event stream, follow by polling, an address
// the server downloads, the api's errors as CutoutApiError, cancel, a batch and its ZIP. Every
// connection is checked to be loopback.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { build } from 'esbuild';
import { OPTION_NAMES } from '../../src/options/options.js';
import { CutoutApiError, CutoutClient, CutoutNetworkError, SDK_OPTION_NAMES, type JobEvent } from '../../src/sdk/index.js';
import { ROOT } from '../helpers/fixtures.js';
import { startServer, type TestServer } from '../helpers/http-servers.js';
import { subjectOnBackground } from '../helpers/images.js';
import { installLoopbackGuard, type LoopbackGuard } from '../helpers/loopback-only.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { standInCutter, type StandInCutter } from '../helpers/stand-in.js';

const KEY = 'sdk-test-key-0123456789';

describe('the TypeScript SDK', { timeout: 120_000 }, () => {
  let guard: LoopbackGuard;
  let stack: Stack;
  let cutter: StandInCutter;
  let images: TestServer;
  let client: CutoutClient;
  let photo: Buffer;
  before(async () => {
    guard = installLoopbackGuard();
    photo = await subjectOnBackground(64, 48, 'png');
    images = await startServer({ '/shoe.png': (_req, res) => res.writeHead(200, { 'content-type': 'image/png' }).end(photo) });
    cutter = await standInCutter();
    stack = await startStack({ workers: 1, cutter, env: { URL_FETCH_ALLOW_HOSTS: '127.0.0.1', API_KEYS: KEY } });
    client = new CutoutClient({ baseUrl: stack.baseUrl, apiKey: KEY, pollIntervalMs: 50 });
  });
  after(async () => {
    await stack?.stop();
    await images?.close();
    guard.remove();
    guard.check();
  });

  it('uploads a Buffer with options, follows the event stream to done, and downloads the result with its headers', async () => {
    const accepted = await client.removeBackground(photo, { filename: 'shoe.png', format: 'png', bg_color: 'ffffff', crop: true, idempotencyKey: 'sdk-1' });
    assert.equal(accepted.status, 'queued');
    assert.match(accepted.status_url, new RegExp(accepted.job_id));
    const events: JobEvent[] = [];
    const asked: string[] = [];
    const recording = new CutoutClient({ baseUrl: stack.baseUrl, apiKey: KEY, fetch: (input, init) => (asked.push(new URL(String(input)).pathname), fetch(input, init)) });
    const end = await recording.follow(accepted.job_id, { onEvent: (e) => events.push(e) });
    assert.deepEqual(asked, [`/events/${accepted.job_id}`, `/status/${accepted.job_id}`], 'the stream, then the final status: no polling');
    assert.equal(end.status, 'done');
    assert.equal(end.filename, 'shoe.png');
    assert.equal(end.options?.bg_color, '#ffffffff');
    assert.equal(end.options?.crop, true);
    assert.equal(events.at(-1)?.type, 'done', JSON.stringify(events));
    assert.ok(events.some((e) => e.type === 'progress'), 'progress came on the stream');
    const result = await client.result(accepted.job_id);
    assert.equal(result.contentType, 'image/png');
    assert.deepEqual([...result.bytes.subarray(1, 4)], [...Buffer.from('PNG')]);
    assert.equal(result.blob.size, result.bytes.length);
    assert.equal(result.width, end.result!.width);
    assert.equal(result.height, end.result!.height);
    assert.deepEqual(result.foreground, end.result!.foreground);
    assert.equal(result.confidence, end.result!.confidence);
    // The same key and request: the first answer again.
    const again = await client.removeBackground(photo, { filename: 'shoe.png', format: 'png', bg_color: 'ffffff', crop: true, idempotencyKey: 'sdk-1' });
    assert.equal(again.job_id, accepted.job_id);
  });

  it('follows by polling when streaming is off, with events made from the status', async () => {
    const blob = new Blob([new Uint8Array(photo)], { type: 'image/png' });
    const accepted = await client.removeBackground(blob, { size: 'preview' });
    const events: JobEvent[] = [];
    const end = await client.follow(accepted.job_id, { transport: 'poll', onEvent: (e) => events.push(e) });
    assert.equal(end.status, 'done');
    assert.equal(end.options?.size, 'preview');
    assert.equal(events.at(-1)?.type, 'done');
    assert.equal(events.at(-1)?.status, 'done');
  });

  it('falls back to polling when the stream cannot be had', async () => {
    const accepted = await client.removeBackground(photo);
    let streams = 0;
    const noStream = new CutoutClient({
      baseUrl: stack.baseUrl,
      apiKey: KEY,
      pollIntervalMs: 50,
      fetch: (input, init) => (String(input).includes('/events/') ? (streams++, Promise.reject(new TypeError('stream blocked'))) : fetch(input, init)),
    });
    assert.equal((await noStream.follow(accepted.job_id)).status, 'done');
    assert.equal(streams, 1);
  });

  it('sends a URL source as JSON image_url, which the server downloads', async () => {
    const accepted = await client.removeBackground({ url: `${images.origin}/shoe.png` }, { format: 'webp' });
    const end = await client.follow(accepted.job_id);
    assert.equal(end.status, 'done');
    assert.equal(end.filename, 'shoe.png');
    assert.equal(end.options?.format, 'webp');
    assert.ok(images.hits.includes('GET /shoe.png'));
  });

  it('throws CutoutApiError with the api\'s code, message and request id; a network failure is a CutoutNetworkError', async () => {
    const refused = await client.removeBackground(photo, { format: 'gif' as 'png' }).catch((e: unknown) => e);
    assert.ok(refused instanceof CutoutApiError, String(refused));
    assert.equal(refused.status, 400);
    assert.equal(refused.code, 'invalid_format');
    assert.match(refused.message, /format/i);
    assert.ok(refused.requestId);
    assert.equal(refused.request, 'POST /remove-bg');
    const keyless = await new CutoutClient({ baseUrl: stack.baseUrl }).status('3f0c8f0e-6a4e-4b8e-9a57-2a9c1f3b6d21').catch((e: unknown) => e);
    assert.ok(keyless instanceof CutoutApiError);
    assert.equal(keyless.status, 401);
    assert.equal(keyless.code, 'api_key_required');
    const unknown = await client.follow('3f0c8f0e-6a4e-4b8e-9a57-2a9c1f3b6d21').catch((e: unknown) => e);
    assert.ok(unknown instanceof CutoutApiError && unknown.status === 404, String(unknown));
    const down = await new CutoutClient({ baseUrl: 'http://127.0.0.1:9' }).status('x').catch((e: unknown) => e);
    assert.ok(down instanceof CutoutNetworkError, String(down));
    assert.match(down.message, /Cannot reach http:\/\/127\.0\.0\.1:9/);
  });

  it('cancels a job in flight; follow resolves with canceled', async () => {
    cutter.hold();
    try {
      const accepted = await client.removeBackground(photo);
      await cutter.parked();
      const following = client.follow(accepted.job_id);
      const view = await client.cancel(accepted.job_id);
      assert.equal(view.job_id, accepted.job_id);
      assert.equal((await client.status(accepted.job_id)).status, 'processing', 'it stops at its next stage boundary');
      cutter.proceed();
      assert.equal((await following).status, 'canceled');
    } finally {
      cutter.proceed();
    }
  });

  it('runs a batch of two, follows it, and downloads its ZIP', async () => {
    const accepted = await client.createBatch([{ data: photo, filename: 'a.png' }, new Blob([new Uint8Array(photo)])], { format: 'png' });
    assert.equal(accepted.items.length, 2);
    const updates: number[] = [];
    const end = await client.followBatch(accepted.batch_id, { onUpdate: (b) => void updates.push(b.progress) });
    assert.equal(end.status, 'done');
    assert.equal(end.counts.done, 2);
    assert.ok(updates.length >= 1);
    const zip = await client.batchZip(accepted.batch_id);
    assert.equal(zip.contentType, 'application/zip');
    assert.deepEqual([...zip.bytes.subarray(0, 2)], [0x50, 0x4b]);
    assert.equal((await client.batch(accepted.batch_id)).items[0]?.filename, 'a.png');
  });

  it('follows a batch on its one event stream with onEvent: every item\'s events, then the final status', async () => {
    const accepted = await client.createBatch([{ data: photo, filename: 'a.png' }, { data: photo, filename: 'b.png' }]);
    const asked: string[] = [];
    const recording = new CutoutClient({ baseUrl: stack.baseUrl, apiKey: KEY, fetch: (input, init) => (asked.push(new URL(String(input)).pathname), fetch(input, init)) });
    const events: JobEvent[] = [];
    const end = await recording.followBatch(accepted.batch_id, { onEvent: (e) => events.push(e) });
    assert.equal(end.status, 'done');
    assert.deepEqual(asked, [`/batches/${accepted.batch_id}/events`, `/batches/${accepted.batch_id}`], 'one stream, then the final status: no polling');
    const jobs = accepted.items.map((i) => ('job_id' in i ? i.job_id : ''));
    for (const job of jobs) assert.equal(events.filter((e) => e.job_id === job).at(-1)?.type, 'done', JSON.stringify(events));
    assert.ok(events.every((e) => e.job_id && jobs.includes(e.job_id)), 'only item events, each with its job');
  });

  it('keeps following through failed polls with onRetry (the next answer told again); without it the failure ends following', async () => {
    cutter.hold();
    try {
      const accepted = await client.removeBackground(photo);
      await cutter.parked();
      let down = false;
      const flaky = new CutoutClient({
        baseUrl: stack.baseUrl,
        apiKey: KEY,
        pollIntervalMs: 50,
        fetch: (input, init) => (down ? Promise.reject(new TypeError('connection refused')) : fetch(input, init)),
      });
      const told: string[] = [];
      const following = flaky.follow(accepted.job_id, {
        transport: 'poll',
        onEvent: (e) => {
          told.push(e.type);
          if (told.length === 1) down = true; // the server goes away after the first answer
        },
        onRetry: (err) => {
          assert.ok(err instanceof CutoutNetworkError, String(err));
          told.push('retry');
          if (told.filter((t) => t === 'retry').length === 2) down = false;
        },
      });
      while (told.length < 4) await new Promise((resolve) => setTimeout(resolve, 20));
      assert.deepEqual(told.slice(0, 4), ['progress', 'retry', 'retry', 'progress'], 'the unchanged status is told again after the trouble');
      cutter.proceed();
      assert.equal((await following).status, 'done');
      assert.equal(told.at(-1), 'done');
      down = true;
      const failed = await flaky.follow(accepted.job_id, { transport: 'poll' }).catch((e: unknown) => e);
      assert.ok(failed instanceof CutoutNetworkError, String(failed));
    } finally {
      cutter.proceed();
    }
  });

  it('the routes the SDK calls are documented in /openapi.json', async () => {
    const doc = (await (await fetch(`${stack.baseUrl}/openapi.json`, { headers: { 'x-api-key': KEY } })).json()) as { paths: Record<string, Record<string, unknown>> };
    const used = [
      ['post', '/remove-bg'], ['get', '/status/{job_id}'], ['get', '/events/{job_id}'], ['get', '/result/{job_id}'], ['delete', '/jobs/{job_id}'],
      ['get', '/jobs/{job_id}/mask'], ['put', '/jobs/{job_id}/mask'], ['get', '/jobs/{job_id}/source'],
      ['post', '/batches'], ['get', '/batches/{batch_id}'], ['delete', '/batches/{batch_id}'], ['get', '/batches/{batch_id}/zip'],
      ['get', '/models'],
    ] as const;
    for (const [method, route] of used) assert.ok(doc.paths[route]?.[method], `${method.toUpperCase()} ${route} is documented`);
  });

  it('lists the models, the default one loaded and flagged', async () => {
    const list = await client.models();
    const first = list.models[0]!;
    assert.deepEqual([first.name, first.loaded, first.default], [list.default, true, true]);
    assert.ok(list.models.some((m) => !m.loaded), 'the catalogue lists models that are not loaded too');
  });

  it('knows every option of the table, and bundles for a browser without Node modules or zod', async () => {
    assert.deepEqual([...SDK_OPTION_NAMES], OPTION_NAMES);
    const out = await build({ entryPoints: [`${ROOT}/src/sdk/index.ts`], bundle: true, platform: 'browser', format: 'esm', write: false, minify: true });
    const code = out.outputFiles[0]!.text;
    assert.doesNotMatch(code, /node:|zod/);
    assert.ok(code.length < 12_000, `${code.length} bytes`);
  });
});
