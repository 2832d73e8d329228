// Idempotency-Key on POST /remove-bg, against the real api and Redis (no worker: the jobs stay
// queued, which is all a retry needs). A client whose connection dropped retries with the same
// key and gets the same job, never a second one.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { subjectOnBackground } from '../helpers/images.js';
import { startStack, type Stack } from '../helpers/stack.js';

const ALICE = 'alice-key-0123456789';
const BOB = 'bob-key-0123456789';

describe('Idempotency-Key on uploads', { timeout: 120_000 }, () => {
  let stack: Stack;
  let photo: Buffer;
  let other: Buffer;
  before(async () => {
    stack = await startStack({ workers: 0, env: { API_KEYS: `${ALICE},${BOB}` } });
    photo = await subjectOnBackground(96, 64);
    other = await subjectOnBackground(64, 96);
  });
  after(() => stack?.stop());

  async function send(bytes: Buffer, headers: Record<string, string>, fields: Record<string, string> = {}) {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(bytes)]), 'photo.jpg');
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    const res = await fetch(`${stack.baseUrl}/remove-bg`, { method: 'POST', body: form, headers: { 'x-api-key': ALICE, ...headers } });
    const body = (await res.json()) as { job_id?: string; error?: { code: string; message: string } };
    return { status: res.status, body, replayed: res.headers.get('idempotent-replayed'), location: res.headers.get('location') };
  }
  const waiting = async () => (await stack.queue.counts()).waiting ?? 0;

  it('a retry with the same key and request answers the same job, marked as a replay, and queues nothing', async () => {
    const queuedBefore = await waiting();
    const first = await send(photo, { 'idempotency-key': 'order-1' }, { format: 'webp' });
    assert.equal(first.status, 202, JSON.stringify(first.body));
    assert.equal(first.replayed, null);
    const again = await send(photo, { 'idempotency-key': 'order-1' }, { format: 'webp' });
    assert.equal(again.status, 202);
    assert.equal(again.replayed, 'true');
    assert.equal(again.body.job_id, first.body.job_id);
    assert.equal(again.location, first.location);
    assert.equal(await waiting(), queuedBefore + 1);
  });

  it('the same key with another photo or other options is refused with 422, naming the problem', async () => {
    await send(photo, { 'idempotency-key': 'order-2' });
    const otherPhoto = await send(other, { 'idempotency-key': 'order-2' });
    assert.equal(otherPhoto.status, 422);
    assert.equal(otherPhoto.body.error?.code, 'idempotency_key_reused');
    assert.match(otherPhoto.body.error!.message, /different request/);
    const otherOptions = await send(photo, { 'idempotency-key': 'order-2' }, { format: 'jpg' });
    assert.equal(otherOptions.body.error?.code, 'idempotency_key_reused');
  });

  it('without a key, or with another key, each request is a new job', async () => {
    const a = await send(photo, {});
    const b = await send(photo, {});
    const c = await send(photo, { 'idempotency-key': 'order-3' });
    assert.equal(new Set([a.body.job_id, b.body.job_id, c.body.job_id]).size, 3);
  });

  it('keys belong to one API key: another client with the same key gets its own job', async () => {
    const mine = await send(photo, { 'idempotency-key': 'shared-name' });
    const theirs = await send(photo, { 'idempotency-key': 'shared-name', 'x-api-key': BOB });
    assert.equal(theirs.status, 202);
    assert.equal(theirs.replayed, null);
    assert.notEqual(theirs.body.job_id, mine.body.job_id);
  });

  it('a refused request frees its key: the corrected request with that key is accepted', async () => {
    const bad = await send(Buffer.from('not an image at all'), { 'idempotency-key': 'order-4' });
    assert.equal(bad.status, 415);
    const good = await send(photo, { 'idempotency-key': 'order-4' });
    assert.equal(good.status, 202);
    assert.equal(good.replayed, null);
  });

  it('concurrent duplicates create one job: the others replay it or are asked to retry', async () => {
    const queuedBefore = await waiting();
    const answers = await Promise.all([1, 2, 3, 4].map(() => send(photo, { 'idempotency-key': 'order-5' })));
    for (const a of answers) assert.ok(a.status === 202 || (a.status === 409 && a.body.error?.code === 'idempotency_key_in_flight'), JSON.stringify(a));
    const ids = new Set(answers.filter((a) => a.status === 202).map((a) => a.body.job_id));
    assert.equal(ids.size, 1);
    assert.equal(await waiting(), queuedBefore + 1);
  });

  it('a key that is not 1–255 visible ASCII characters is a 400', async () => {
    const long = await send(photo, { 'idempotency-key': 'x'.repeat(256) });
    assert.equal(long.status, 400);
    assert.equal(long.body.error?.code, 'invalid_idempotency_key');
    const spaced = await send(photo, { 'idempotency-key': 'two words' });
    assert.equal(spaced.body.error?.code, 'invalid_idempotency_key');
  });
});
