// The mask editor's refusals and failures (issue 18), with the stand-in cutter (it cannot apply a
// mask, and can be held mid-work): a job not done yet, a job answered from the result cache (its
// own copy of the photo; 410 when its original expired first), a second edit while one is being
// applied, a save that outlives SYNC_TIMEOUT_SECONDS, and a re-render that fails, which must leave
// the served version alone.
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

  it('a job answered from the result cache: its own copy of the photo, kept when the original expires; 410 when it expired first', async () => {
    const other = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#406080' } }).png().toBuffer();
    const send = async () => (await (await stack.upload(other, 'other.png')).json()) as { job_id: string; cached?: boolean };
    const original = await send();
    assert.equal((await stack.waitFor(original.job_id)).status, 'done');
    const [copyA, copyB] = [await send(), await send()];
    assert.deepEqual([copyA.cached, copyB.cached], [true, true]);
    const sourceOf = (id: string) => fetch(`${stack.baseUrl}/jobs/${id}/source`);
    const first = await sourceOf(copyA.job_id);
    assert.equal(first.status, 200, await first.clone().text());
    assert.ok(Buffer.from(await first.arrayBuffer()).equals(other), 'the photo, copied from the job it was answered from');
    // The original's files are deleted (its TTL came first): A has its own copy by now, B has none.
    await stack.store.deleteJob(original.job_id);
    const kept = await sourceOf(copyA.job_id);
    assert.equal(kept.status, 200);
    assert.ok(Buffer.from(await kept.arrayBuffer()).equals(other));
    for (const res of [await sourceOf(copyB.job_id), await fetch(`${stack.baseUrl}/jobs/${copyB.job_id}/mask`), await put(copyB.job_id)]) {
      assert.equal(res.status, 410);
      const err = await errorOf(res);
      assert.equal(err.code, 'source_expired');
      assert.match(err.message, /expired.*Upload the photo again/);
    }
    // A cached job recorded before cached jobs kept where they came from: 409, with a sentence.
    const legacy = { ...(await stack.waitFor(copyB.job_id)), job_id: '0e0c9d2a-1b3c-4d5e-8f70-0a1b2c3d4e5f' };
    await stack.queue.writeCachedJob(legacy);
    const res = await put(legacy.job_id);
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
