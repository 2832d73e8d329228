// The model runs in its own thread: the process's event loop keeps turning during an inference,
// errors come back as rejections, and a dead thread is replaced on the next run.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Worker } from 'node:worker_threads';
import { ensureModelFile, resolveModel } from '../../src/cutout/models.js';
import type { SegmentationSession } from '../../src/cutout/session.js';
import { createThreadedSession } from '../../src/cutout/threaded-session.js';
import { TEST_MODEL_DIR } from '../helpers/stack.js';

const SIZE = 1024;
const input = () => new Float32Array(3 * SIZE * SIZE).fill(0.25);

describe('inference thread', { timeout: 300_000 }, () => {
  let file: string;
  let session: SegmentationSession;
  before(async () => {
    file = await ensureModelFile(resolveModel('isnet-quint8'), TEST_MODEL_DIR);
    session = await createThreadedSession(file, { threads: os.availableParallelism() });
  });
  after(() => session?.release());

  it('runs the model while the event loop keeps turning', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 50);
    const started = performance.now();
    const mask = await session.run(input(), SIZE);
    const ms = performance.now() - started;
    clearInterval(timer);
    assert.equal(mask.length, SIZE * SIZE);
    assert.ok(mask.every((v) => Number.isFinite(v)));
    // A blocked loop would tick once or not at all; a free one about ms / 50 times.
    assert.ok(ticks >= Math.floor(ms / 50 / 3), `${ticks} timer ticks during a ${Math.round(ms)} ms inference`);
  });

  it('turns a failed run into a rejection, and the next run still works', async () => {
    await assert.rejects(session.run(new Float32Array(10), SIZE), (err: Error) => err.message.length > 0);
    assert.equal((await session.run(input(), SIZE)).length, SIZE * SIZE);
  });

  it('fails the run in flight when the thread dies, and starts a new thread for the next one', async () => {
    const running = session.run(input(), SIZE);
    const thread = (session as unknown as { thread: Worker }).thread;
    await thread.terminate();
    await assert.rejects(running, /inference thread stopped/);
    assert.equal((await session.run(input(), SIZE)).length, SIZE * SIZE);
    assert.notEqual((session as unknown as { thread: Worker }).thread, thread, 'a new thread');
  });

  it('refuses a file that is not a model, with the reason', async () => {
    const bad = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cutout-bad-model-')), 'bad.onnx');
    fs.writeFileSync(bad, 'not a model');
    await assert.rejects(createThreadedSession(bad, { threads: 1 }), /protobuf|parsing|model|load/i);
    fs.rmSync(path.dirname(bad), { recursive: true, force: true });
  });

  it('refuses runs once released', async () => {
    const other = await createThreadedSession(file, { threads: 1 });
    await other.release();
    await assert.rejects(other.run(input(), SIZE), /released/);
  });
});
