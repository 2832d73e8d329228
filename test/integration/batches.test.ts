// Batches end to end with a stand-in model: files and ZIP archives in, every item a job, the
// batch's status, events and streamed ZIP out; cancel; hostile archives refused.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { WebSocket } from 'ws';
import type { BatchAccepted, BatchStatus } from '../../src/jobs/batch-contract.js';
import { subjectOnBackground } from '../helpers/images.js';
import { openSse } from '../helpers/sse.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { standInCutter, type StandInCutter } from '../helpers/stand-in.js';
import { deflatedZeros, makeZip, unzip } from '../helpers/zip.js';

const MAX_ITEMS = 8;

describe('batches', { timeout: 60_000 }, () => {
  let stack: Stack;
  let cutter: StandInCutter;
  let jpeg: Buffer;
  let png: Buffer;
  before(async () => {
    cutter = await standInCutter();
    stack = await startStack({ workers: 1, cutter, env: { MAX_BATCH_ITEMS: String(MAX_ITEMS) } });
    jpeg = await subjectOnBackground(64, 48, 'jpeg');
    png = await subjectOnBackground(40, 30, 'png');
  });
  after(() => stack?.stop());

  const url = (path: string) => `${stack.baseUrl}${path}`;
  function post(files: [name: string, bytes: Buffer][], fields: Record<string, string> = {}) {
    const form = new FormData();
    for (const [name, value] of Object.entries(fields)) form.append(name, value);
    for (const [name, bytes] of files) form.append('file', new Blob([new Uint8Array(bytes)]), name);
    return fetch(url('/batches'), { method: 'POST', body: form });
  }
  async function accepted(files: [string, Buffer][]): Promise<BatchAccepted> {
    const res = await post(files);
    const body = (await res.json()) as BatchAccepted;
    assert.equal(res.status, 202, JSON.stringify(body));
    assert.equal(res.headers.get('location'), body.status_url);
    return body;
  }
  const status = async (id: string) => (await (await fetch(url(`/batches/${id}`))).json()) as BatchStatus;
  async function waitDone(id: string): Promise<BatchStatus> {
    for (let i = 0; i < 2000; i++) {
      const s = await status(id);
      if (s.status === 'done') return s;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`batch ${id} never finished`);
  }
  const csv = (text: string) => text.trim().split('\r\n').map((line) => line.split(','));

  it('a batch of files: every item a job; status, events and the streamed ZIP agree', async () => {
    const batch = await accepted([['a.jpg', jpeg], ['b.png', png], ['A.jpg', jpeg]]);
    assert.deepEqual(batch.items.map((i) => i.filename), ['a.jpg', 'b.png', 'A-2.jpg']);
    const jobIds = batch.items.map((i) => ('job_id' in i ? i.job_id : assert.fail('every file is a job')));
    const sse = await openSse(url(batch.events_url));
    const events = await sse.collect();
    const last = events.at(-1)!;
    assert.deepEqual([last.event, last.id, last.data.status, last.data.batch_id], ['done', 'final', 'done', batch.batch_id]);
    assert.deepEqual(last.data.counts, { queued: 0, processing: 0, done: 3, failed: 0, canceled: 0, rejected: 0 });
    for (const id of jobIds) assert.ok(events.some((e) => e.event === 'done' && e.data.job_id === id), `item ${id} done in the stream`);

    const s = await waitDone(batch.batch_id);
    assert.deepEqual([s.status, s.progress, s.counts.done], ['done', 100, 3]);
    assert.ok(s.items.every((i) => i.status === 'done' && i.result?.width === 4 && i.result_url));
    // Each item is an ordinary job.
    assert.equal((await fetch(url(`/status/${jobIds[1]}`))).status, 200);

    const res = await fetch(url(batch.zip_url));
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/zip');
    assert.equal(res.headers.get('content-disposition'), `attachment; filename="batch-${batch.batch_id}.zip"`);
    const files = await unzip(Buffer.from(await res.arrayBuffer()));
    assert.deepEqual([...files.keys()], ['a-cutout.png', 'b-cutout.png', 'A-2-cutout.png', 'manifest.csv']);
    const first = Buffer.from(await (await fetch(url(`/result/${jobIds[0]}`))).arrayBuffer());
    assert.ok(files.get('a-cutout.png')!.equals(first));
    assert.equal((await sharp(files.get('b-cutout.png')!).metadata()).width, 4);
    const rows = csv(files.get('manifest.csv')!.toString());
    assert.deepEqual(rows[0]!.slice(0, 4), ['filename', 'result_filename', 'job_id', 'status']);
    assert.deepEqual(rows.slice(1).map((r) => r.slice(0, 4)), batch.items.map((item, n) => [item.filename, [...files.keys()][n], jobIds[n], 'done']));
    const r0 = s.items[0]!.result!;
    assert.deepEqual(rows[1]!.slice(6), ['4', '3', String(r0.bytes), '0', '0', '4', '3', r0.confidence === undefined ? '' : String(r0.confidence)]);
    assert.equal(rows[0]!.at(-1), 'confidence');

    // The WebSocket form: the same events, ending with the batch's, then a normal close.
    const ws = new WebSocket(url(batch.events_url).replace('http', 'ws'));
    const messages: { id: string; event: string }[] = [];
    ws.on('message', (m) => messages.push(JSON.parse(String(m)) as { id: string; event: string }));
    const code = await new Promise((resolve) => ws.on('close', resolve));
    assert.equal(code, 1000);
    assert.deepEqual(messages.at(-1)?.id, 'final');
    assert.equal(messages.length, 4);
    // A client that saw the end is told so.
    assert.equal((await fetch(url(batch.events_url), { headers: { 'last-event-id': 'final' } })).status, 204);
  });

  it('a ZIP archive: a non-image and a nested archive are reported, the rest is processed', async () => {
    const archive = makeZip([
      { name: 'shoot/one.jpg', data: jpeg, deflate: false },
      { name: 'shoot/two.png', data: png },
      { name: '../escape.png', data: png },
      { name: 'shoot/notes.txt', data: Buffer.from('call the client') },
      { name: 'shoot/more.zip', data: makeZip([{ name: 'x.png', data: png }]) },
      { name: '__MACOSX/shoot/._one.jpg', data: Buffer.from('meta') },
      { name: 'shoot/', data: Buffer.alloc(0) },
      { name: 'shoot/=sum(A1).png', data: png },
    ]);
    const batch = await accepted([['shoot.zip', archive], ['extra.png', png]]);
    const shape = batch.items.map((i) => [i.filename, 'job_id' in i ? 'job' : i.error.code]);
    assert.deepEqual(shape, [
      ['one.jpg', 'job'], ['two.png', 'job'], ['escape.png', 'job'],
      ['notes.txt', 'unsupported_media_type'], ['more.zip', 'nested_archive'], ['=sum(A1).png', 'job'], ['extra.png', 'job'],
    ]);
    const s = await waitDone(batch.batch_id);
    assert.deepEqual(s.counts, { queued: 0, processing: 0, done: 5, failed: 0, canceled: 0, rejected: 2 });
    assert.equal(s.items[3]!.status, 'rejected');
    const files = await unzip(Buffer.from(await (await fetch(url(batch.zip_url))).arrayBuffer()));
    assert.deepEqual([...files.keys()], ['one-cutout.png', 'two-cutout.png', 'escape-cutout.png', '=sum(A1)-cutout.png', 'extra-cutout.png', 'manifest.csv']);
    const rows = csv(files.get('manifest.csv')!.toString());
    assert.deepEqual(rows.slice(1).map((r) => [r[0], r[3], r[4]]), [
      ['one.jpg', 'done', ''], ['two.png', 'done', ''], ['escape.png', 'done', ''],
      ['notes.txt', 'rejected', 'unsupported_media_type'], ['more.zip', 'rejected', 'nested_archive'],
      ["'=sum(A1).png", 'done', ''], // a spreadsheet shows it, and does not run it
      ['extra.png', 'done', ''],
    ]);
  });

  it('the ZIP of a running batch holds what is done so far; the manifest lists the rest as they are', async (t) => {
    cutter.hold();
    t.after(() => cutter.proceed());
    const batch = await accepted([['first.png', png], ['second.png', png], ['third.png', png]]);
    const [first] = batch.items.map((i) => ('job_id' in i ? i.job_id : ''));
    await cutter.parked(); // the first item waits in inference
    cutter.proceed(); // it goes on…
    cutter.hold(); // …and the second stops at the next gate
    await stack.waitFor(first!);
    await cutter.parked();
    const files = await unzip(Buffer.from(await (await fetch(url(batch.zip_url))).arrayBuffer()));
    assert.deepEqual([...files.keys()], ['first-cutout.png', 'manifest.csv']);
    assert.deepEqual(csv(files.get('manifest.csv')!.toString()).slice(1).map((r) => [r[0], r[1], r[3]]), [
      ['first.png', 'first-cutout.png', 'done'], ['second.png', '', 'processing'], ['third.png', '', 'queued'],
    ]);
    cutter.proceed();
    await waitDone(batch.batch_id);
    const all = await unzip(Buffer.from(await (await fetch(url(batch.zip_url))).arrayBuffer()));
    assert.deepEqual([...all.keys()], ['first-cutout.png', 'second-cutout.png', 'third-cutout.png', 'manifest.csv']);
  });

  it('DELETE cancels what is left: queued items at once, the one in hand at its next stage', async (t) => {
    cutter.hold();
    t.after(() => cutter.proceed()); // whatever happens, the worker is not left waiting
    const batch = await accepted([['1.png', png], ['2.png', png], ['3.png', png]]);
    const [inHand] = batch.items.map((i) => ('job_id' in i ? i.job_id : ''));
    await stack.waitFor(inHand!, (v) => v.status === 'processing');
    const res = await fetch(url(`/batches/${batch.batch_id}`), { method: 'DELETE' });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { batch_id: batch.batch_id, canceled: 2, canceling: 1, finished: 0 });
    cutter.proceed();
    const s = await waitDone(batch.batch_id);
    assert.deepEqual(s.counts, { queued: 0, processing: 0, done: 0, failed: 0, canceled: 3, rejected: 0 });
    const files = await unzip(Buffer.from(await (await fetch(url(batch.zip_url))).arrayBuffer()));
    assert.deepEqual([...files.keys()], ['manifest.csv']);
  });

  it('refuses a zip bomb from its sizes without expanding it, and leaves no job behind', async () => {
    const zeros = await deflatedZeros(300 * 1024 * 1024);
    const before = await stack.queue.counts();
    for (const archive of [makeZip([{ name: 'a.png', data: png }, { name: 'bomb.png', raw: zeros }]), makeZip([{ name: 'a.png', data: png }, { name: 'liar.png', raw: zeros, declaredSize: 1000 }])]) {
      const res = await post([['bomb.zip', archive]]);
      assert.equal(res.status, 400);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'suspicious_archive');
    }
    assert.deepEqual(await stack.queue.counts(), before);
  });

  it('answers in words: no usable file, too many files, unknown batches, bad options', async () => {
    const cases: [Promise<Response>, number, string][] = [
      [post([['notes.txt', Buffer.from('hello')]]), 400, 'no_usable_items'],
      [post(Array.from({ length: MAX_ITEMS + 1 }, (_, i): [string, Buffer] => [`${i}.png`, png])), 400, 'too_many_items'],
      [post([['a.png', png]], { format: 'gif' }), 400, 'invalid_format'],
      [fetch(url('/batches'), { method: 'POST', body: new FormData() }), 400, 'file_missing'],
      [fetch(url(`/batches/${crypto.randomUUID()}`)), 404, 'batch_not_found'],
      [fetch(url('/batches/nope/zip')), 404, 'batch_not_found'],
      [fetch(url(`/batches/${crypto.randomUUID()}/events`)), 404, 'batch_not_found'],
      [fetch(url(`/batches/${crypto.randomUUID()}`), { method: 'DELETE' }), 404, 'batch_not_found'],
    ];
    for (const [pending, code, error] of cases) {
      const res = await pending;
      const body = (await res.json()) as { error: { code: string; message: string } };
      assert.deepEqual([res.status, body.error.code], [code, error], body.error.message);
    }
  });
});
