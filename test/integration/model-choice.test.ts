// Choosing a model per job, end to end: the api (MODELS=u2netp,birefnet-general-lite), Redis and a
// worker whose pipeline loads two tiny ONNX models under those names (the real pipeline, the
// real per-family pre- and post-processing; tiny weights, so no 1 GB download). A job lands on
// the model it asks for; an unknown or unloaded model is a 400 invalid_model; GET /models says
// what is loaded; a mask made by one model never serves another; rembg's `model` is honoured
// when that model is loaded. And a worker without the model a job asks for does not take it.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import type { StatusView } from '../../src/jobs/contract.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { threeBands as bands, tinyPipeline } from '../helpers/tiny-onnx.js';

const MODELS = 'u2netp,birefnet-general-lite';

async function post(stack: Stack, photo: Buffer, fields: Record<string, string>, route = '/remove-bg'): Promise<Response> {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(photo)]), 'bands.png');
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  return fetch(`${stack.baseUrl}${route}`, { method: 'POST', body: form });
}

async function middleOfMask(stack: Stack, jobId: string): Promise<number> {
  const png = Buffer.from(await (await fetch(`${stack.baseUrl}/result/${jobId}`)).arrayBuffer());
  const { data, info } = await sharp(png).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  return data[50 * info.width + 150]!;
}

describe('a model per job', { timeout: 120_000 }, () => {
  let dir: string;
  let stack: Stack;
  let photo: Buffer;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cutout-models-'));
    photo = await bands();
    stack = await startStack({ env: { MODELS, RESULT_CACHE: 'true', JOB_ATTEMPTS: '1' }, cutter: await tinyPipeline(dir, ['u2netp', 'birefnet-general-lite']) });
  });
  after(async () => {
    await stack.stop(); // the worker releases its pipeline
    await fs.rm(dir, { recursive: true, force: true });
  });

  const run = async (fields: Record<string, string>): Promise<StatusView> => {
    const res = await post(stack, photo, { channels: 'alpha', refine: 'none', ...fields });
    assert.ok(res.status === 202 || res.status === 200, await res.clone().text()); // 200: done at once, from the cache
    const { job_id } = (await res.json()) as { job_id: string };
    return stack.waitFor(job_id);
  };

  it('GET /models lists the loaded models first, the default, input sizes, licences and checksums', async () => {
    const res = await fetch(`${stack.baseUrl}/models`);
    assert.equal(res.status, 200);
    const body = (await res.json()) as { default: string; models: Record<string, unknown>[] };
    assert.equal(body.default, 'u2netp');
    assert.deepEqual(body.models.slice(0, 2).map((m) => [m.name, m.loaded, m.default, m.input_size]), [['u2netp', true, true, 320], ['birefnet-general-lite', true, false, 1024]]);
    const byName = Object.fromEntries(body.models.map((m) => [m.name, m]));
    assert.equal(byName['isnet-general-use']!.loaded, false);
    assert.equal(byName['isnet-general-use']!.checksum, 'sha256:b6e8497ba978a6f5fbb647e419d2696cd80df5a23cb6a8ea532021911bd76acb');
    assert.deepEqual([byName['bria-rmbg']!.commercial_use, byName['bria-rmbg']!.licence], [false, 'CC BY-NC 4.0 (commercial use needs an agreement with BRIA AI)']);
    assert.deepEqual([byName['birefnet-general-lite']!.licence, byName['birefnet-general-lite']!.commercial_use], ['MIT', true]);
    assert.equal(byName.u2netp!.checksum, 'md5:8e83ca70e441ab06c318d82300c84806');
  });

  it('a job without a model gets the default; one asking for another gets that one', async () => {
    const plain = await run({});
    assert.equal(plain.status, 'done', plain.error);
    assert.equal(plain.options?.model, 'u2netp');
    assert.ok(Math.abs((await middleOfMask(stack, plain.job_id)) - 128) <= 3, 'min-max: half way');

    const other = await run({ model: 'birefnet-general-lite' });
    assert.equal(other.status, 'done', other.error);
    assert.equal(other.options?.model, 'birefnet-general-lite');
    assert.ok(!other.cached && !other.mask_reused, 'the default model\'s cached mask and result are not used for another model');
    assert.ok(Math.abs((await middleOfMask(stack, other.job_id)) - 172) <= 4, 'the sigmoid of BiRefNet');

    const again = await run({ model: 'birefnet-general-lite' });
    assert.equal(again.cached, true, 'the same photo, options and model: from the cache');
  });

  it('an unknown or unloaded model is a 400 invalid_model naming the available ones', async () => {
    for (const model of ['u2net', 'no-such-model', 'Bad Name!']) {
      const res = await post(stack, photo, { model });
      assert.equal(res.status, 400, model);
      const { error } = (await res.json()) as { error: { code: string; message: string } };
      assert.equal(error.code, 'invalid_model', model);
      if (model !== 'Bad Name!') assert.match(error.message, /Available: u2netp, birefnet-general-lite/);
    }
  });

  it('the OpenAPI document shows GET /models and the model option', async () => {
    const doc = (await (await fetch(`${stack.baseUrl}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    assert.ok(doc.paths['/models']?.get, 'GET /models is documented');
    assert.match(JSON.stringify(doc.paths['/remove-bg']), /"model"/);
  });

  it('rembg: a loaded model is used; another is answered by the default and named as ignored', async () => {
    const used = await post(stack, photo, { model: 'birefnet-general-lite', om: 'true' }, '/api/remove');
    assert.equal(used.status, 200);
    assert.equal(used.headers.get('x-cutout-ignored'), null);
    const ignored = await post(stack, photo, { model: 'u2net_human_seg', om: 'true' }, '/api/remove');
    assert.equal(ignored.status, 200);
    assert.equal(ignored.headers.get('x-cutout-ignored'), 'model');
  });
});

describe('a worker without the model a job asks for', { timeout: 60_000 }, () => {
  it('does not take the job: it waits in its model\'s lane (the model_not_loaded safety net: lanes.test.ts)', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cutout-models-'));
    const cutter = await tinyPipeline(dir, ['u2netp']);
    const stack = await startStack({ env: { MODELS, JOB_ATTEMPTS: '1' }, cutter });
    try {
      const res = await post(stack, await bands(), { model: 'birefnet-general-lite' });
      const { job_id } = (await res.json()) as { job_id: string };
      await new Promise((r) => setTimeout(r, 1000));
      const view = (await (await fetch(`${stack.baseUrl}/status/${job_id}`)).json()) as StatusView;
      assert.deepEqual([view.status, view.position], ['queued', 1]);
      const done = await stack.waitFor((await (await post(stack, await bands(), { model: 'u2netp' })).json() as { job_id: string }).job_id);
      assert.equal(done.status, 'done', 'its own model\'s jobs are done meanwhile');
    } finally {
      await stack.stop();
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
