// The mask editor's refusals and failures (issue 18), with the stand-in cutter (it cannot apply a
// mask, and can be held mid-work): a job not done yet, a job answered from the result cache, a
// second edit while one is being applied, a save that outlives SYNC_TIMEOUT_SECONDS, and a
// re-render that fails, which must leave the served version alone.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import type { StatusView } from '../../src/jobs/contract.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { standInCutter, type StandInCutter } from '../helpers/stand-in.js';

type ErrorBody = { error: { code: string; message: string } };

describe('the mask editor: not done, cached, busy, slow and failed edits', { timeout: 60_000 }, () => {
  let stack: Stack;
  let cutter: StandInCutter;
  let photo: Buffer;
  let mask: Buffer;
  before(async () => {
    cutter = await standInCutter();
    stack = await startStack({ cutter, env: { RESULT_CACHE: 'true', SYNC_TIMEOUT_SECONDS: '2' } });
    photo = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#808080' } }).png().toBuffer();
    mask = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#ffffff' } }).png().toBuffer();
  });
  after(async () => {
    cutter.proceed();
    await stack?.stop();
  });

  async function accepted(): Promise<{ job_id: string; cached?: boolean }> {
    const res = await stack.upload(photo, 'photo.png');
    return (await res.json()) as { job_id: string; cached?: boolean };
  }
  const put = (id: string) => fetch(`${stack.baseUrl}/jobs/${id}/mask`, { method: 'PUT', body: new Uint8Array(mask), headers: { 'content-type': 'image/png' } });
  const errorOf = async (res: Response) => ((await res.json()) as ErrorBody).error;

  let done: StatusView;

  it('a job not done yet: 409 job_not_done for a save, 404 for its mask and photo', async () => {
    cutter.hold();
    const { job_id } = await accepted();
    await cutter.parked();
    const res = await put(job_id);
    assert.equal(res.status, 409);
    assert.equal((await errorOf(res)).code, 'job_not_done');
    for (const path of ['mask', 'source']) {
      const got = await fetch(`${stack.baseUrl}/jobs/${job_id}/${path}`);
      assert.equal(got.status, 404, path);
      assert.equal((await errorOf(got)).code, 'mask_not_ready', path);
    }
    cutter.proceed();
    done = await stack.waitFor(job_id);
    assert.equal(done.status, 'done');
  });

  it('a job answered from the result cache has nothing of its own to edit: 409 edit_unavailable', async () => {
    const copy = await accepted();
    assert.equal(copy.cached, true);
    const res = await put(copy.job_id);
    assert.equal(res.status, 409);
    const err = await errorOf(res);
    assert.equal(err.code, 'edit_unavailable');
    assert.match(err.message, /result cache/);
  });

  it('one edit at a time; a slow one answers 504 with the job id and goes on', async () => {
    const before = await fetch(`${stack.baseUrl}/result/${done.job_id}`);
    const etag = before.headers.get('etag');
    const bytes = Buffer.from(await before.arrayBuffer());
    cutter.hold();
    const slow = put(done.job_id);
    await cutter.parked();
    const busy = await put(done.job_id);
    assert.equal(busy.status, 409);
    assert.equal((await errorOf(busy)).code, 'edit_in_progress');
    const timedOut = await slow;
    assert.equal(timedOut.status, 504);
    const err = await errorOf(timedOut);
    assert.equal(err.code, 'sync_timeout');
    assert.ok(err.message.includes(done.job_id), err.message);
    const during = (await (await fetch(`${stack.baseUrl}/status/${done.job_id}`)).json()) as StatusView;
    assert.deepEqual([during.status, during.result_version], ['done', 1], 'the previous version is served meanwhile');
    cutter.proceed();
    // The stand-in cannot apply a mask: the re-render fails, and says so on the status.
    const failed = await stack.waitFor(done.job_id, (v) => v.edit_error_code !== undefined, 10_000);
    assert.deepEqual([failed.status, failed.result_version, failed.edited, failed.edit_error_code], ['done', 1, false, 'processing_error']);
    assert.match(failed.edit_error!, /previous result is still served/);
    const after = await fetch(`${stack.baseUrl}/result/${done.job_id}`);
    assert.equal(after.headers.get('etag'), etag);
    assert.ok(Buffer.from(await after.arrayBuffer()).equals(bytes), 'the previous result, untouched');
  });

  it('a failed re-render answers 500 edit_failed and keeps the previous version; the lock is free again', async () => {
    const res = await put(done.job_id);
    assert.equal(res.status, 500);
    const err = await errorOf(res);
    assert.equal(err.code, 'edit_failed');
    assert.match(err.message, /previous result is still served/);
    const status = (await (await fetch(`${stack.baseUrl}/status/${done.job_id}`)).json()) as StatusView;
    assert.deepEqual([status.status, status.result_version], ['done', 1]);
    assert.equal((await fetch(`${stack.baseUrl}/result/${done.job_id}`)).status, 200);
    assert.equal(stack.events.listenerCount(), 0, 'no listener left behind');
  });
});
