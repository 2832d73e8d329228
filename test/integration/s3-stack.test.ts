// The whole service on object storage: the api and the worker each have an empty DATA_DIR of their
// own and share nothing but Redis and a bucket on a real S3-protocol server (s3rver). A job goes
// upload → worker → done → GET /result, streamed through the api or by redirect to a presigned
// URL, and the cleanup deletes its objects from the bucket.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { runCleanup } from '../../src/jobs/cleanup.js';
import { CutoutClient } from '../../src/sdk/index.js';
import { S3BlobStore } from '../../src/storage/s3-store.js';
import { subjectOnBackground } from '../helpers/images.js';
import { installLoopbackGuard } from '../helpers/loopback-only.js';
import { startTestS3, type TestS3 } from '../helpers/s3.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { standInCutter } from '../helpers/stand-in.js';
import { syntheticCutter } from '../helpers/synthetic-cutter.js';
import type { Cutter } from '../../src/cutout/pipeline.js';

const guard = installLoopbackGuard();
let s3: TestS3;
const dirs: string[] = [];
before(async () => {
  s3 = await startTestS3();
});
after(async () => {
  await s3.stop();
  await Promise.all(dirs.map((d) => fs.rm(d, { recursive: true, force: true })));
  guard.check();
  guard.remove();
});

/** A stack whose worker has a DATA_DIR of its own; both on the bucket under `prefix`. */
async function s3Stack(prefix: string, env: Record<string, string> = {}, cutter?: Cutter): Promise<{ stack: Stack; apiDir: string; workerDir: string }> {
  const workerDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cutout-worker-data-'));
  dirs.push(workerDir);
  const stack = await startStack({
    cutter: cutter ?? (await standInCutter()),
    env: { ...s3.env, S3_PREFIX: prefix, ...env },
    workerEnv: { DATA_DIR: workerDir },
  });
  return { stack, apiDir: stack.config.DATA_DIR, workerDir };
}

async function doneJob(stack: Stack): Promise<string> {
  const res = await stack.upload(await subjectOnBackground(64, 48), 'sneaker.jpg');
  assert.equal(res.status, 202);
  const { job_id: id } = (await res.json()) as { job_id: string };
  const view = await stack.waitFor(id);
  assert.equal(view.status, 'done', JSON.stringify(view));
  return id;
}

const filesUnder = async (dir: string) => (await fs.readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile());

describe('api and worker with no shared directory (STORAGE=s3, RESULT_DELIVERY=proxy)', () => {
  let stack: Stack;
  let apiDir: string;
  let workerDir: string;
  before(async () => ({ stack, apiDir, workerDir } = await s3Stack('proxy/')));
  after(() => stack?.stop());

  it('runs a job through the bucket and streams the result through the api', async () => {
    const id = await doneJob(stack);
    assert.deepEqual(
      (await s3.keys()).filter((k) => k.includes(id)),
      [`proxy/inputs/${id}`, `proxy/results/${id}`],
      'the input and the result are objects in the bucket (the stand-in model makes no mask)',
    );
    const res = await fetch(`${stack.baseUrl}/result/${id}`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'image/png');
    assert.match(res.headers.get('content-disposition') ?? '', /sneaker-cutout\.png/);
    const bytes = Buffer.from(await res.arrayBuffer());
    assert.equal(Number(res.headers.get('content-length')), bytes.length);
    const stored = await stack.store.openResult(id);
    const chunks: Buffer[] = [];
    for await (const c of stored!.stream) chunks.push(c as Buffer);
    assert.deepEqual(bytes, Buffer.concat(chunks), 'the bytes the worker stored');
    assert.deepEqual(await sharp(bytes).metadata().then((m) => [m.format, m.width, m.height]), ['png', 4, 3]);
    assert.deepEqual(await filesUnder(apiDir), [], 'nothing in the api\'s DATA_DIR');
    assert.deepEqual(await filesUnder(workerDir), [], 'nothing in the worker\'s DATA_DIR');
  });

  it('cleanup deletes an expired job\'s objects and orphans from the bucket', async () => {
    const id = await doneJob(stack);
    const orphan = randomUUID();
    await stack.store.putInput(orphan, Buffer.from('left behind by a crash'));
    assert.ok((await s3.keys()).some((k) => k.includes(id)));
    const report = await runCleanup(stack.queue, stack.store, 1);
    assert.ok(report.expiredJobs >= 1 && report.orphanFiles >= 1, JSON.stringify(report));
    assert.deepEqual((await s3.keys()).filter((k) => k.startsWith('proxy/')), [], 'no object left under the prefix');
    const found = await stack.queue.view(id);
    assert.ok(found && 'reason' in found && found.reason === 'expired', 'the job is expired (its status answers 410)');
  });
});

describe('api and worker with no shared directory (RESULT_DELIVERY=redirect)', () => {
  let stack: Stack;
  before(async () => ({ stack } = await s3Stack('redirect/', { RESULT_DELIVERY: 'redirect', RESULT_URL_TTL_SECONDS: '120' })));
  after(() => stack?.stop());

  it('answers GET /result with 302 to a presigned URL that serves the bytes, type and name', async () => {
    const id = await doneJob(stack);
    const res = await fetch(`${stack.baseUrl}/result/${id}`, { redirect: 'manual' });
    assert.equal(res.status, 302);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.equal(res.headers.get('x-width'), '4');
    const location = res.headers.get('location')!;
    assert.ok(location.startsWith(`${s3.endpoint}/${s3.bucket}/redirect/results/${id}?`), location);
    assert.match(location, /X-Amz-Expires=120&/);

    const followed = await fetch(`${stack.baseUrl}/result/${id}`);
    assert.equal(followed.status, 200);
    assert.equal(followed.url.startsWith(s3.endpoint), true, 'served by the bucket');
    assert.equal(followed.headers.get('content-type'), 'image/png');
    assert.match(followed.headers.get('content-disposition') ?? '', /^inline; filename="sneaker-cutout\.png"/);
    const direct = new S3BlobStore({ bucket: s3.bucket, region: 'us-east-1', endpoint: s3.endpoint, accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', forcePathStyle: true, prefix: 'redirect/' });
    const stored = await direct.openResult(id);
    const chunks: Buffer[] = [];
    for await (const c of stored!.stream) chunks.push(c as Buffer);
    direct.close();
    assert.deepEqual(Buffer.from(await followed.arrayBuffer()), Buffer.concat(chunks));

    // The SDK follows the presigned URL itself, without its API key: the storage host never sees it.
    const sent: { url: string; key: string | null }[] = [];
    const spy: typeof fetch = (input, init) => {
      sent.push({ url: String(input), key: new Headers(init?.headers).get('x-api-key') });
      return fetch(input, init);
    };
    const sdk = await new CutoutClient({ baseUrl: stack.baseUrl, apiKey: 'not-for-the-bucket', fetch: spy }).result(id);
    assert.deepEqual(Buffer.from(sdk.bytes), Buffer.concat(chunks));
    assert.deepEqual([sdk.width, sdk.height, sdk.contentType], [4, 3, 'image/png']);
    assert.equal(sent.find((r) => r.url.startsWith(s3.endpoint))?.key, null, 'no API key to the bucket');
  });

  it('answers the api\'s own 404 result_expired when the object is gone, not the bucket\'s', async () => {
    const id = await doneJob(stack);
    await stack.store.deleteJob(id);
    const res = await fetch(`${stack.baseUrl}/result/${id}`, { redirect: 'manual' });
    assert.equal(res.status, 404);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'result_expired');
  });

  it('documents the 302 in the OpenAPI document', async () => {
    const doc = (await (await fetch(`${stack.baseUrl}/openapi.json`)).json()) as { paths: Record<string, Record<string, { responses: Record<string, { headers?: Record<string, unknown> }> }>> };
    assert.ok(doc.paths['/result/{job_id}']!.get!.responses['302']?.headers?.Location);
  });
});

describe('a saved mask edit on object storage (RESULT_DELIVERY=redirect)', () => {
  let stack: Stack;
  before(async () => ({ stack } = await s3Stack('edits/', { RESULT_DELIVERY: 'redirect' }, syntheticCutter())));
  after(() => stack?.stop());

  it('the redirect names the new version\'s object, which serves the edited result', async () => {
    const id = await doneJob(stack);
    const first = await fetch(`${stack.baseUrl}/result/${id}`, { redirect: 'manual' });
    assert.ok(first.headers.get('location')!.startsWith(`${s3.endpoint}/${s3.bucket}/edits/results/${id}?`));
    const mask = await fetch(`${stack.baseUrl}/jobs/${id}/mask`);
    assert.equal(mask.status, 200);
    const { data, info } = await sharp(Buffer.from(await mask.arrayBuffer())).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
    const edited = data.map((v, i) => (i % info.width < info.width / 2 ? 0 : v)); // the left half erased
    const body = await sharp(edited, { raw: { width: info.width, height: info.height, channels: 1 } }).png().toBuffer();
    const put = await fetch(`${stack.baseUrl}/jobs/${id}/mask`, { method: 'PUT', body: new Uint8Array(body), headers: { 'content-type': 'image/png' } });
    assert.equal(put.status, 200, await put.clone().text());
    assert.equal(((await put.json()) as { result_version: number }).result_version, 2);
    const second = await fetch(`${stack.baseUrl}/result/${id}`, { redirect: 'manual' });
    assert.ok(second.headers.get('location')!.startsWith(`${s3.endpoint}/${s3.bucket}/edits/results-1/${id}?`), 'the new version\'s own object');
    const followed = await fetch(`${stack.baseUrl}/result/${id}`);
    assert.ok(followed.url.startsWith(s3.endpoint), 'served by the bucket');
    const alpha = await sharp(Buffer.from(await followed.arrayBuffer())).ensureAlpha().extractChannel(3).raw().toBuffer();
    assert.ok(alpha.every((a, i) => (i % info.width < info.width / 2 ? a === 0 : a === edited[i])), 'the edited result');
  });
});
