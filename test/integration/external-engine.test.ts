// ENGINE=removebg: a worker that sends its photos to a remove.bg-compatible API instead of running
// a model. Stack A is a Cutout (its model: a small stand-in, so its masks depend on the photo)
// serving /v1.0/removebg; stack B's worker uses A as its engine. Stack C's worker uses a scripted
// loopback API (402, 429, 400, 403). The key must never reach a log line or a job's status.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { createLogger } from '../../src/logger.js';
import { MASK_REQUEST } from '../../src/cutout/removebg-client.js';
import { subjectOnBackground } from '../helpers/images.js';
import { startUpstream, type Upstream } from '../helpers/removebg-upstream.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { darkSubjectCutter, silentLogger, testConfig } from '../helpers/stand-in.js';
import { freePort } from '../../tools/local-redis.js';
import { FsBlobStore } from '../../src/storage/fs-store.js';
import { startWorker } from '../../src/worker/worker.js';

const KEY = `sk-engine-test-${randomUUID()}`;

/** POST /remove-bg with the job's options in the query; the job id. */
async function submit(stack: Stack, photo: Buffer, options: Record<string, string> = {}): Promise<string> {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(photo)]), 'photo.png');
  const res = await fetch(`${stack.baseUrl}/remove-bg?${new URLSearchParams(options)}`, { method: 'POST', body: form });
  assert.ok(res.status === 202 || res.status === 200, `upload answered ${res.status}: ${await res.clone().text()}`);
  return ((await res.json()) as { job_id: string }).job_id;
}

async function resultOf(stack: Stack, jobId: string): Promise<Buffer> {
  const res = await fetch(`${stack.baseUrl}/result/${jobId}`);
  assert.equal(res.status, 200);
  return Buffer.from(await res.arrayBuffer());
}

const pixels = (file: Buffer) => sharp(file).ensureAlpha().raw().toBuffer({ resolveWithObject: true });

describe('ENGINE=removebg: the masks come from a remove.bg-compatible API', () => {
  let a: Stack;
  let b: Stack;
  let c: Stack;
  let upstream: Upstream;
  let photo: Buffer;
  const cutterA = darkSubjectCutter();
  const lines: string[] = [];
  const logger = createLogger({ LOG_LEVEL: 'debug', LOG_PRETTY: false }, 'test', { write: (line: string) => void lines.push(line) });
  const engineEnv = (url: string) => ({ ENGINE: 'removebg', REMOVEBG_API_URL: url, REMOVEBG_API_KEY: KEY, REMOVEBG_TIMEOUT_SECONDS: '20' });

  before(async () => {
    photo = await subjectOnBackground(240, 180, 'png');
    a = await startStack({ cutter: cutterA, logger });
    b = await startStack({ logger, env: { RESULT_CACHE: 'true' }, workerEnv: engineEnv(`${a.baseUrl}/v1.0`) });
    upstream = await startUpstream();
    c = await startStack({ logger, env: { JOB_ATTEMPTS: '3' }, workerEnv: { ...engineEnv(`${upstream.origin}/v1.0/removebg`), REMOVEBG_TIMEOUT_SECONDS: '3' } });
  });
  after(async () => {
    for (const stack of [c, b, a]) await stack?.stop();
    await upstream?.close();
  });

  // A answers /v1.0/removebg with its default refine (fast); B is asked for refine=none, so B's
  // mask is exactly A's, and B's options work on it.
  it("makes B's jobs from A's masks, with the options applied by B", async () => {
    const calls = cutterA.calls;
    const viaB = await b.waitFor(await submit(b, photo, { refine: 'none', crop: 'true', format: 'png' }));
    assert.equal(viaB.status, 'done', JSON.stringify(viaB));
    assert.equal(cutterA.calls, calls + 1, "B's worker asked A once");
    const direct = await a.waitFor(await submit(a, photo, { crop: 'true', format: 'png' }));
    assert.equal(direct.status, 'done');
    const [fromB, fromA] = await Promise.all([pixels(await resultOf(b, viaB.job_id)), pixels(await resultOf(a, direct.job_id))]);
    assert.deepEqual(fromB.info, fromA.info, 'the same crop as A makes');
    assert.ok(fromB.info.width < 240 && fromB.info.height < 180, 'cropped to the subject');
    let opaque = 0;
    for (let i = 0; i < fromB.data.length; i += 4) {
      assert.equal(fromB.data[i + 3], fromA.data[i + 3], `alpha at pixel ${i / 4}`);
      if (fromA.data[i + 3] === 255) {
        opaque++;
        assert.deepEqual([...fromB.data.subarray(i, i + 3)], [...fromA.data.subarray(i, i + 3)], `colour at pixel ${i / 4}`);
      }
    }
    assert.ok(opaque > fromB.info.width * fromB.info.height * 0.5, 'mostly subject');

    const onGreen = await b.waitFor(await submit(b, photo, { refine: 'none', crop: 'true', bg_color: '00ff00', format: 'jpg' }));
    assert.equal(onGreen.result!.format, 'jpg');
    const green = await pixels(await resultOf(b, onGreen.job_id));
    assert.deepEqual([green.info.width, green.info.height], [fromB.info.width, fromB.info.height]);
    const at = (x: number, y: number) => [...green.data.subarray((y * green.info.width + x) * 4, (y * green.info.width + x) * 4 + 3)];
    assert.ok(at(0, 0)[1]! > 200 && at(0, 0)[0]! < 60, `the corner is bg_color: ${at(0, 0)}`);
    const [r, g] = at(Math.round(green.info.width * 0.7), Math.round(green.info.height * 0.7));
    assert.ok(r! > 150 && g! < 100, `the subject keeps its red: ${r},${g}`);
  });

  it("keeps the engine's mask: other options on the same photo do not call the API again", async () => {
    const first = await b.waitFor(await submit(b, photo, { refine: 'none' }));
    assert.equal(first.status, 'done');
    const calls = cutterA.calls;
    const again = await b.waitFor(await submit(b, photo, { refine: 'none', channels: 'alpha' }));
    assert.equal(again.status, 'done');
    assert.equal(again.mask_reused, true);
    assert.equal(cutterA.calls, calls, 'no second call for the same photo');
    // The kept mask is A's mask: A's own alpha-only answer for the photo.
    const direct = await a.waitFor(await submit(a, photo, { channels: 'alpha' }));
    const [mine, theirs] = await Promise.all([pixels(await resultOf(b, again.job_id)), pixels(await resultOf(a, direct.job_id))]);
    assert.ok(mine.data.equals(theirs.data));
    assert.ok(theirs.data.some((v) => v === 0) && theirs.data.some((v) => v === 255), 'a mask with subject and background');
  });

  it('asks the API for the full-size mask alone, with the key in X-Api-Key', async () => {
    const before = upstream.calls.length;
    const view = await c.waitFor(await submit(c, photo, { format: 'webp', max_width: '120' }));
    assert.equal(view.status, 'done', JSON.stringify(view));
    assert.deepEqual([view.result!.width, view.result!.format], [120, 'webp']);
    const call = upstream.calls[before]!;
    assert.equal(call.key, KEY);
    assert.deepEqual(call.fields, { ...MASK_REQUEST });
    assert.ok(call.imageBytes > 0);
  });

  it('retries a 402 (no credits) and a 429 (after its Retry-After), then is done', async () => {
    const before = upstream.calls.length;
    upstream.script({ status: 402, error: { title: 'Insufficient credits', code: 'insufficient_credits', detail: 'No credits left' } });
    upstream.script({ status: 429, headers: { 'retry-after': '3' }, error: { title: 'Rate limit exceeded', code: 'rate_limit_exceeded', detail: '' } });
    const view = await c.waitFor(await submit(c, photo));
    assert.equal(view.status, 'done', JSON.stringify(view));
    assert.equal(view.attempts, 3);
    const calls = upstream.calls.slice(before);
    assert.equal(calls.length, 3);
    // Every attempt of the job sends the same Idempotency-Key: an API that honours it makes one job.
    assert.deepEqual(calls.map((call) => call.idempotencyKey), Array(3).fill(`cutout-${view.job_id}`));
    // Its Retry-After (3 s), longer than the usual second backoff (2 s).
    assert.ok(calls[2]!.at - calls[1]!.at >= 2900, `the retry after the 429 waited its Retry-After (${calls[2]!.at - calls[1]!.at} ms)`);
  });

  it('gives up on an API that does not answer within REMOVEBG_TIMEOUT_SECONDS, and retries', async () => {
    const before = upstream.calls.length;
    upstream.script({ status: 0 });
    const view = await c.waitFor(await submit(c, photo));
    assert.equal(view.status, 'done', JSON.stringify(view));
    assert.equal(view.attempts, 2);
    assert.equal(upstream.calls.length, before + 2);
  });

  it("fails a 400 at once, without retry, with the API's reason", async () => {
    const before = upstream.calls.length;
    upstream.script({ status: 400, error: { title: 'Image resolution too high', code: 'resolution_too_high', detail: 'Input image has 60 megapixels, maximum supported is 50.' } });
    const view = await c.waitFor(await submit(c, photo));
    assert.equal(view.status, 'failed');
    assert.equal(view.error_code, 'invalid_image');
    assert.match(view.error!, /external background-removal engine could not process this image: Image resolution too high: Input image has 60 megapixels/);
    assert.equal(view.attempts, 1);
    assert.equal(upstream.calls.length, before + 1);
  });

  it('fails a refused key (403) at once, saying so, without the key', async () => {
    const before = upstream.calls.length;
    upstream.script({ status: 403, error: { title: 'API Key invalid', code: 'auth_failed', detail: `The key ${KEY} is not valid.` } });
    const view = await c.waitFor(await submit(c, photo));
    assert.equal(view.status, 'failed');
    assert.equal(view.error_code, 'engine_refused');
    assert.match(view.error!, /the external engine refused the API key/i);
    assert.ok(!view.error!.includes(KEY), 'the key echoed by the API is scrubbed');
    assert.equal(upstream.calls.length, before + 1);
  });

  it('starts without a model (one that cannot load is never touched), and its probes name the engine', async () => {
    const [port, closedPort, otherPort] = await Promise.all([freePort(), freePort(), freePort()]);
    // A custom model whose file does not exist: ENGINE=local could not start with it.
    const noModel = { MODELS: 'custom', MODEL_PATH: '/nonexistent/model.onnx', MODEL_SHA256: 'a'.repeat(64) };
    const start = (url: string, metricsPort: number) =>
      startWorker(testConfig(c.redisUrl, c.config.DATA_DIR, { ...engineEnv(url), ...noModel, WORKER_METRICS_PORT: String(metricsPort) }), new FsBlobStore(c.config.DATA_DIR), silentLogger);
    const worker = await start(`${upstream.origin}/v1.0`, port);
    const unreachable = await start(`http://127.0.0.1:${closedPort}/v1.0`, otherPort);
    try {
      assert.equal(worker.cutter.modelName, 'removebg');
      assert.deepEqual(await (await fetch(`http://127.0.0.1:${port}/health`)).json(), { status: 'ok', engine: 'removebg' });
      const ready = await fetch(`http://127.0.0.1:${port}/ready`);
      assert.deepEqual([ready.status, await ready.json()], [200, { status: 'ready', engine: 'removebg' }]);
      assert.ok(upstream.hits.includes('GET /v1.0/account'), '/ready asked the API whether it takes the key');
      const notReady = await fetch(`http://127.0.0.1:${otherPort}/ready`);
      const body = (await notReady.json()) as { status: string; engine: string; reason: string };
      assert.deepEqual([notReady.status, body.status, body.engine], [503, 'not_ready', 'removebg']);
      assert.match(body.reason, /external background-removal engine could not be reached/);
    } finally {
      await Promise.all([worker.shutdown(), unreachable.shutdown()]);
    }
  });

  it("never writes the key in a log line or a job's status", async () => {
    assert.ok(lines.length > 50, `log lines were captured (${lines.length})`);
    assert.ok(lines.some((l) => l.includes('external engine configured')));
    const leaks = lines.filter((l) => l.includes(KEY) || l.includes(KEY.slice(-12)));
    assert.deepEqual(leaks, []);
  });
});
