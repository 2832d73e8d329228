// Idempotency-Key on the compat routes (POST /v1.0/removebg, POST /api/remove), on the real stack
// with a stand-in model: a client that retries with the same key gets the same job's result, and
// no second job is made; the same key with another request is refused in the route's own shape.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { subjectOnBackground } from '../helpers/images.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { standInCutter, type StandInCutter } from '../helpers/stand-in.js';

describe('Idempotency-Key on the remove.bg and rembg routes', () => {
  let stack: Stack;
  let cutter: StandInCutter;
  let photo: Buffer;
  let other: Buffer;

  const post = async (path: string, field: string, bytes: Buffer, fields: Record<string, string>, key?: string) => {
    const form = new FormData();
    form.append(field, new Blob([new Uint8Array(bytes)]), 'photo.png');
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    const res = await fetch(`${stack.baseUrl}${path}`, { method: 'POST', body: form, headers: key ? { 'idempotency-key': key } : {} });
    return { status: res.status, job: res.headers.get('x-job-id'), replayed: res.headers.get('idempotent-replayed'), body: Buffer.from(await res.arrayBuffer()) };
  };
  const removeBg = (bytes: Buffer, fields: Record<string, string>, key?: string) => post('/v1.0/removebg', 'image_file', bytes, fields, key);
  const rembg = (bytes: Buffer, fields: Record<string, string>, key?: string) => post('/api/remove', 'file', bytes, fields, key);

  before(async () => {
    cutter = await standInCutter();
    stack = await startStack({ cutter });
    photo = await subjectOnBackground(96, 64, 'png');
    other = await subjectOnBackground(64, 96, 'png');
  });
  after(() => stack?.stop());

  it('remove.bg: a retry with the same key answers the same job\'s image, and makes no second job', async () => {
    const calls = cutter.calls;
    const first = await removeBg(photo, { size: 'full', format: 'png' }, 'order-7');
    assert.equal(first.status, 200, first.body.toString());
    assert.equal(first.replayed, null);
    const again = await removeBg(photo, { size: 'full', format: 'png' }, 'order-7');
    assert.equal(again.status, 200);
    assert.equal(again.replayed, 'true');
    assert.equal(again.job, first.job);
    assert.ok(again.body.equals(first.body));
    assert.equal(cutter.calls, calls + 1, 'one job, processed once');
    const fresh = await removeBg(photo, { size: 'full', format: 'png' });
    assert.notEqual(fresh.job, first.job, 'without a key, every request is a job');
  });

  it("remove.bg: the same key with another request is refused in remove.bg's shape", async () => {
    await removeBg(photo, { size: 'full' }, 'order-8');
    const reused = await removeBg(photo, { size: 'preview' }, 'order-8');
    assert.equal(reused.status, 400);
    const error = (JSON.parse(reused.body.toString()) as { errors: { code: string; detail: string }[] }).errors[0]!;
    assert.equal(error.code, 'invalid_request', 'a code remove.bg clients know');
    assert.match(error.detail, /Idempotency-Key was already used for a different request/);
    const bad = await removeBg(photo, {}, 'no spaces allowed');
    assert.equal(bad.status, 400);
    assert.match(bad.body.toString(), /Idempotency-Key header must be/);
  });

  it('rembg: a retry with the same key answers the same job; another file with it is a 422', async () => {
    const calls = cutter.calls;
    const first = await rembg(photo, { om: 'true' }, 'rembg-1');
    assert.equal(first.status, 200, first.body.toString());
    const again = await rembg(photo, { om: 'true' }, 'rembg-1');
    assert.deepEqual([again.status, again.replayed, again.job], [200, 'true', first.job]);
    assert.equal(cutter.calls, calls + 1);
    const reused = await rembg(other, { om: 'true' }, 'rembg-1');
    assert.equal(reused.status, 422);
    assert.match((JSON.parse(reused.body.toString()) as { detail: string }).detail, /already used for a different request/);
  });
});
