// Live progress over SSE, positions and ETA, cancel: real Redis, real worker, real HTTP.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { WebSocket } from 'ws';
import { freePort } from '../../tools/local-redis.js';
import type { StatusView } from '../../src/jobs/contract.js';
import { ROOT } from '../helpers/fixtures.js';
import { subjectOnBackground } from '../helpers/images.js';
import { openSse } from '../helpers/sse.js';
import { startStack, type Stack } from '../helpers/stack.js';

describe('live progress, positions and cancel', { timeout: 600_000 }, () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ workers: 1 });
  });
  after(() => stack?.stop());

  const worker = () => stack.workers[0]!.worker;
  async function submit(w = 320, h = 240): Promise<string> {
    const res = await stack.upload(await subjectOnBackground(w, h), 'photo.jpg');
    assert.equal(res.status, 202);
    return ((await res.json()) as { job_id: string }).job_id;
  }
  const status = async (id: string) => (await (await fetch(`${stack.baseUrl}/status/${id}`)).json()) as StatusView;

  it('an SSE client sees queued → progress (increasing) → done, and the done URL serves the PNG', async () => {
    await worker().pause();
    const id = await submit();
    const sse = await openSse(`${stack.baseUrl}/events/${id}`);
    assert.equal(sse.status, 200);
    assert.match(sse.headers.get('content-type') ?? '', /^text\/event-stream/);
    const first = await sse.collect(() => true);
    assert.equal(first[0]?.event, 'queued');
    assert.equal(first[0]?.data.position, 1);
    worker().resume();
    const rest = await sse.collect();
    const events = [...first, ...rest];
    const types = events.map((e) => e.event);
    assert.equal(types.at(-1), 'done', types.join(','));
    const progress = events.filter((e) => e.event === 'progress').map((e) => e.data.percent as number);
    assert.ok(progress.length >= 2, `several progress events: ${progress}`);
    for (let i = 1; i < progress.length; i++) assert.ok(progress[i]! > progress[i - 1]!, `increasing: ${progress}`);
    assert.deepEqual([...new Set(types)], ['queued', 'progress', 'done']);
    const done = events.at(-1)!;
    assert.equal(done.id, 'final');
    const png = await fetch(`${stack.baseUrl}${done.data.result_url}`);
    assert.equal(png.status, 200);
    assert.equal((await sharp(Buffer.from(await png.arrayBuffer())).metadata()).channels, 4);
  });

  it('a late subscriber gets done at once; Last-Event-ID gets the terminal event exactly once', async () => {
    const id = await submit();
    await stack.waitFor(id);
    const late = await openSse(`${stack.baseUrl}/events/${id}`);
    const events = await late.collect();
    assert.deepEqual(events.map((e) => e.event), ['done']);
    // A client that missed the end (it last saw event 2) reconnects: it gets `done`, once.
    const resumed = await openSse(`${stack.baseUrl}/events/${id}`, { 'last-event-id': '2' });
    assert.deepEqual((await resumed.collect()).map((e) => e.event), ['done']);
    // A client that saw the end and reconnects anyway is told to stop (204: EventSource gives up).
    const again = await openSse(`${stack.baseUrl}/events/${id}`, { 'last-event-id': 'final' });
    assert.equal(again.status, 204);
    assert.equal((await openSse(`${stack.baseUrl}/events/3f0c8f0e-6a4e-4b8e-9a57-2a9c1f3b6d21`)).status, 404);
  });

  it('positions are 1..N in order with an estimate, and move as the worker takes jobs', async () => {
    await worker().pause();
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push(await submit(200 + i, 150));
    const views = await Promise.all(ids.map(status));
    assert.deepEqual(views.map((v) => v.position), [1, 2, 3, 4]);
    const etas = views.map((v) => v.eta_seconds ?? NaN);
    assert.ok(etas.every((e) => e > 0), `ETAs known after earlier jobs: ${etas}`);
    for (let i = 1; i < etas.length; i++) assert.ok(etas[i]! > etas[i - 1]!, `later jobs wait longer: ${etas}`);
    const sse = await openSse(`${stack.baseUrl}/events/${ids[3]}`);
    worker().resume();
    const events = await sse.collect((e) => e.event === 'done');
    const positions = events.filter((e) => e.event === 'queued').map((e) => e.data.position);
    assert.deepEqual(positions.slice(0, 2), [4, 3], `positions moved: ${positions}`);
    for (const id of ids) assert.equal((await stack.waitFor(id)).status, 'done');
  });

  it('cancels a queued job: it ends canceled, its files are gone, the stream says so', async () => {
    await worker().pause();
    const id = await submit();
    const sse = await openSse(`${stack.baseUrl}/events/${id}`);
    await sse.collect((e) => e.event === 'queued');
    const res = await fetch(`${stack.baseUrl}/jobs/${id}`, { method: 'DELETE' });
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as StatusView).status, 'canceled');
    assert.deepEqual((await sse.collect()).map((e) => e.event), ['canceled']);
    assert.equal((await status(id)).status, 'canceled');
    assert.ok(!fs.existsSync(path.join(stack.config.DATA_DIR, 'inputs', id)), 'input deleted');
    const result = await fetch(`${stack.baseUrl}/result/${id}`);
    assert.equal(result.status, 404);
    assert.equal(((await result.json()) as { error: { code: string } }).error.code, 'job_canceled');
    assert.equal((await fetch(`${stack.baseUrl}/jobs/${id}`, { method: 'DELETE' })).status, 409);
    worker().resume();
  });

  it('cancels a job in flight at the next stage boundary; a finished job answers 409', async () => {
    const big = await submit(2400, 1800);
    await stack.waitFor(big, (v) => v.status === 'processing' || v.status === 'done');
    const res = await fetch(`${stack.baseUrl}/jobs/${big}`, { method: 'DELETE' });
    assert.equal(res.status, 202);
    const end = await stack.waitFor(big);
    assert.equal(end.status, 'canceled');
    assert.equal(await stack.store.hasResult(big), false);
    assert.ok(!fs.existsSync(path.join(stack.config.DATA_DIR, 'inputs', big)), 'input deleted');
    const done = await submit();
    await stack.waitFor(done);
    const conflict = await fetch(`${stack.baseUrl}/jobs/${done}`, { method: 'DELETE' });
    assert.equal(conflict.status, 409);
    assert.equal(((await conflict.json()) as { error: { code: string } }).error.code, 'job_finished');
  });

  it('frees every listener after 200 connect/disconnect cycles', async () => {
    await worker().pause();
    const id = await submit();
    const baseline = stack.events.listenerCount();
    for (let i = 0; i < 200; i++) {
      const sse = await openSse(`${stack.baseUrl}/events/${id}`);
      await sse.collect(() => true);
      sse.close();
    }
    const deadline = Date.now() + 5000;
    while (stack.events.listenerCount() !== baseline && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(stack.events.listenerCount(), baseline);
    worker().resume();
    await stack.waitFor(id);
  });

  /** A WebSocket on the events URL: its messages, its close code, or the HTTP status that refused it. */
  function openWs(id: string) {
    const ws = new WebSocket(`${stack.baseUrl.replace(/^http/, 'ws')}/events/${id}`);
    const messages: { id: string; event: string; data: Record<string, unknown> }[] = [];
    ws.on('message', (m) => messages.push(JSON.parse(String(m)) as (typeof messages)[number]));
    const opened = new Promise<number>((resolve) => {
      ws.once('open', () => resolve(101));
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.once('error', () => resolve(0));
    });
    const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: String(reason) })));
    return { ws, messages, opened, closed };
  }

  it('a WebSocket on the same URL carries the same events, then closes with 1000', async () => {
    await worker().pause();
    const id = await submit();
    const client = openWs(id);
    assert.equal(await client.opened, 101);
    while (client.messages.length === 0) await new Promise((r) => setTimeout(r, 20));
    assert.equal(client.messages[0]?.event, 'queued');
    assert.equal(client.messages[0]?.data.position, 1);
    worker().resume();
    const { code, reason } = await client.closed;
    assert.equal(code, 1000);
    assert.equal(reason, 'final');
    const types = client.messages.map((m) => m.event);
    assert.deepEqual([...new Set(types)], ['queued', 'progress', 'done'], types.join(','));
    const percents = client.messages.filter((m) => m.event === 'progress').map((m) => m.data.percent as number);
    for (let i = 1; i < percents.length; i++) assert.ok(percents[i]! > percents[i - 1]!, `increasing: ${percents}`);
    const done = client.messages.at(-1)!;
    assert.equal(done.id, 'final');
    assert.equal((await fetch(`${stack.baseUrl}${String(done.data.result_url)}`)).status, 200);

    // A finished job: the terminal event at once, then the close.
    const late = openWs(id);
    assert.equal((await late.closed).code, 1000);
    assert.deepEqual(late.messages.map((m) => m.event), ['done']);
  });

  it('refuses a WebSocket for an unknown job with 404, and frees listeners when clients leave', async () => {
    const unknown = openWs(crypto.randomUUID());
    assert.equal(await unknown.opened, 404);
    await worker().pause();
    const id = await submit();
    const baseline = stack.events.listenerCount();
    for (let i = 0; i < 50; i++) {
      const c = openWs(id);
      assert.equal(await c.opened, 101);
      c.ws.terminate();
      await c.closed;
    }
    const deadline = Date.now() + 5000;
    while (stack.events.listenerCount() !== baseline && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(stack.events.listenerCount(), baseline);
    worker().resume();
    await stack.waitFor(id);
  });

  it('streams events from an api process other than the one that took the upload', async () => {
    const dist = path.join(ROOT, 'dist/api/main.js');
    assert.ok(fs.existsSync(dist), 'dist/api/main.js exists (npm test builds before testing)');
    const port = await freePort();
    const other: ChildProcess = spawn(process.execPath, [dist], {
      env: { ...process.env, REDIS_URL: stack.redisUrl, QUEUE_NAME: stack.config.QUEUE_NAME, DATA_DIR: stack.config.DATA_DIR, PORT: String(port), LOG_LEVEL: 'warn', LOG_PRETTY: 'false' },
      stdio: 'inherit',
    });
    try {
      const base = `http://127.0.0.1:${port}`;
      for (let i = 0; ; i++) {
        if ((await fetch(`${base}/ready`).catch(() => null))?.ok) break;
        assert.ok(i < 100, 'second api became ready');
        await new Promise((r) => setTimeout(r, 100));
      }
      await worker().pause();
      const id = await submit();
      const sse = await openSse(`${base}/events/${id}`);
      await sse.collect((e) => e.event === 'queued');
      worker().resume();
      const events = await sse.collect();
      assert.equal(events.at(-1)?.event, 'done');
      assert.ok(events.some((e) => e.event === 'progress'));
    } finally {
      other.kill('SIGTERM');
    }
  });
});
