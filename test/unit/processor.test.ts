import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { UnrecoverableError, type Job } from 'bullmq';
import { pino } from 'pino';
import type { CutoutRequest, StageHook } from '../../src/cutout/pipeline.js';
import { createRegistry, workerMetrics } from '../../src/metrics.js';
import { STAGES, type Stage } from '../../src/vocabulary.js';
import { EngineRefusedError, EngineUnavailableError, InvalidImageError } from '../../src/errors.js';
import type { JobData, JobProgress, JobResult } from '../../src/jobs/contract.js';
import type { BlobStore } from '../../src/storage/blob-store.js';
import { StageWeights } from '../../src/worker/progress.js';
import { decodeFailure } from '../../src/jobs/contract.js';
import { createRemoveBgProcessor, INTERNAL_FAILURE } from '../../src/worker/remove-bg.processor.js';

function memoryStore(): BlobStore & { files: Map<string, Buffer> } {
  const files = new Map<string, Buffer>();
  return {
    files,
    putInput: async (id, b) => void files.set(`in/${id}`, b),
    readInput: async (id) => files.get(`in/${id}`) ?? Promise.reject(Object.assign(new Error('gone'), { code: 'ENOENT' })),
    putResult: async (id, b) => void files.set(`out/${id}`, b),
    openResult: async () => null,
    copyResult: async () => false,
    copyFile: async () => false,
    hasFile: async () => false,
    putExtra: async (kind, id, b) => void files.set(`${kind}/${id}`, b),
    readExtra: async (kind, id) => files.get(`${kind}/${id}`) ?? null,
    hasResult: async (id) => files.has(`out/${id}`),
    deleteJob: async (id) => void (files.delete(`in/${id}`), files.delete(`out/${id}`)),
    listJobs: async function* () {},
  };
}

function fakeJob(id: string) {
  const progress: JobProgress[] = [];
  const job = {
    id,
    attemptsMade: 0,
    data: { requestId: 'req-1', filename: 'a.jpg', format: 'jpeg', bytes: 3, width: 2, height: 1 },
    updateProgress: async (p: JobProgress) => void progress.push(p),
  } as unknown as Job<JobData, JobResult>;
  return { job, progress };
}

const logger = pino({ level: 'silent' });

/** A store holding one uploaded input, and its job id. */
async function withInput() {
  const store = memoryStore();
  const id = randomUUID();
  await store.putInput(id, Buffer.from('img'));
  return { store, id };
}

/** A cutter that goes through the stages, spending `ms` in each (no image work). */
function stagedCutter(ms: Partial<Record<Stage, number>> = {}) {
  return {
    modelName: 'fake',
    async process(_input: Buffer, hook?: StageHook) {
      for (const s of STAGES) {
        await hook?.(s);
        if (ms[s]) await new Promise((r) => setTimeout(r, ms[s]));
      }
      return { bytes: Buffer.from('png!'), format: 'png' as const, foreground: { left: 0, top: 0, width: 2, height: 1 }, maskReused: false, width: 2, height: 1, timings: { decoding: 1, inference: 8, compositing: 1, encoding: 1, ...ms } };
    },
  };
}

describe('remove-bg processor', () => {
  it('reports each stage with increasing percent and stores the result', async () => {
    const { store, id } = await withInput();
    const { job, progress } = fakeJob(id);
    const result = await createRemoveBgProcessor({ cutter: stagedCutter(), store, logger })(job);
    assert.deepEqual(progress.map((p) => p.stage), [...STAGES]);
    for (let i = 1; i < progress.length; i++) assert.ok(progress[i]!.percent >= progress[i - 1]!.percent);
    assert.equal(result.bytes, 4);
    assert.equal(store.files.get(`out/${id}`)?.toString(), 'png!');
  });

  it('runs the model the job asks for, and labels the result and the metrics with it', async () => {
    const { store, id } = await withInput();
    const { job } = fakeJob(id);
    job.data.options = { model: 'u2netp' };
    const asked: (string | undefined)[] = [];
    const base = stagedCutter();
    const cutter = { ...base, modelNames: ['fake', 'u2netp'], process: (input: Buffer, hook?: StageHook, request?: CutoutRequest) => (asked.push(request?.model), base.process(input, hook)) };
    const registry = createRegistry('worker');
    const result = await createRemoveBgProcessor({ cutter, store, logger, metrics: workerMetrics(registry) })(job);
    assert.deepEqual(asked, ['u2netp']);
    assert.equal(result.model, 'u2netp');
    assert.match(await registry.metrics(), /cutout_inferences_total\{model="u2netp",process="worker"\} 1/);
  });

  it('fails bad images at once (not retried) with the readable message', async () => {
    const { store, id } = await withInput();
    const cutter = { modelName: 'fake', process: async () => Promise.reject(new InvalidImageError('The PNG file is damaged.')) };
    await assert.rejects(createRemoveBgProcessor({ cutter, store, logger })(fakeJob(id).job), (err: Error) => {
      assert.ok(err instanceof UnrecoverableError);
      assert.deepEqual(decodeFailure(err.message), { code: 'invalid_image', message: 'The PNG file is damaged.' });
      return true;
    });
  });

  it('turns unexpected errors into a retryable failure that hides internals', async () => {
    const { store, id } = await withInput();
    const cutter = { modelName: 'fake', process: async () => Promise.reject(new Error('ENOMEM at 0xdeadbeef')) };
    await assert.rejects(createRemoveBgProcessor({ cutter, store, logger })(fakeJob(id).job), (err: Error) => {
      assert.ok(!(err instanceof UnrecoverableError));
      assert.deepEqual(decodeFailure(err.message), { code: 'processing_error', message: INTERNAL_FAILURE });
      return true;
    });
  });

  it("fails an external engine's refusal at once, and retries its unavailability no sooner than it asked", async () => {
    const { store, id } = await withInput();
    const refusing = { modelName: 'removebg', process: async () => Promise.reject(new EngineRefusedError('The external engine refused the API key (HTTP 403).')) };
    await assert.rejects(createRemoveBgProcessor({ cutter: refusing, store, logger })(fakeJob(id).job), (err: Error) => {
      assert.ok(err instanceof UnrecoverableError);
      assert.equal(decodeFailure(err.message).code, 'engine_refused');
      return true;
    });
    const busy = { modelName: 'removebg', process: async () => Promise.reject(new EngineUnavailableError('Rate limited (HTTP 429).', 30_000)) };
    const { job } = fakeJob(id);
    Object.assign(job, { attemptsMade: 1, opts: { attempts: 3, backoff: { type: 'exponential', delay: 1000 } } });
    await assert.rejects(createRemoveBgProcessor({ cutter: busy, store, logger })(job), (err: Error) => {
      assert.ok(!(err instanceof UnrecoverableError));
      assert.deepEqual(decodeFailure(err.message), { code: 'engine_unavailable', message: 'Rate limited (HTTP 429).' });
      return true;
    });
    assert.deepEqual(job.opts.backoff, { type: 'fixed', delay: 30_000 }, "this retry waits the engine's Retry-After");
    Object.assign(job, { opts: { attempts: 3, backoff: { type: 'exponential', delay: 1000 } } });
    const soon = { modelName: 'removebg', process: async () => Promise.reject(new EngineUnavailableError('Busy.', 100)) };
    await assert.rejects(createRemoveBgProcessor({ cutter: soon, store, logger })(job));
    assert.deepEqual(job.opts.backoff, { type: 'fixed', delay: 2000 }, 'never sooner than the usual backoff');
  });

  it('learns stage weights from measured timings', () => {
    const w = new StageWeights();
    for (let i = 0; i < 50; i++) w.learn({ decoding: 50, inference: 50, compositing: 0, encoding: 0 });
    assert.equal(w.startOf('decoding'), 0);
    assert.ok(Math.abs(w.startOf('inference') - 50) <= 1);
  });

  it('estimates progress within a stage from its usual duration, never claiming it is over', () => {
    const w = new StageWeights();
    for (let i = 0; i < 50; i++) w.learn({ decoding: 100, inference: 800, compositing: 50, encoding: 50 });
    assert.ok(Math.abs(w.expectedMs('inference') - 800) < 5);
    const start = w.startOf('inference');
    const next = w.startOf('compositing');
    const seen = [0, 200, 400, 800, 5000].map((ms) => w.during('inference', ms));
    assert.equal(seen[0], start);
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i]! >= seen[i - 1]!, `monotonic: ${seen.join(', ')}`);
    assert.ok(seen[2]! > start && seen[2]! < next, `halfway is between the stage bounds: ${seen.join(', ')}`);
    assert.ok(seen[4]! < next, `an overrun stays short of the next stage (${seen[4]} < ${next})`);
  });

  it('moves the percent forward while a long stage runs', async () => {
    const { store, id } = await withInput();
    const { job, progress } = fakeJob(id);
    // The model takes 1.2 s (in its thread); the first job's estimate is the default 3 s.
    await createRemoveBgProcessor({ cutter: stagedCutter({ inference: 1200 }), store, logger, progressTickMs: 100 })(job);
    const during = progress.filter((p) => p.stage === 'inference');
    assert.ok(during.length >= 5, `${during.length} inference updates`);
    const all = progress.map((p) => p.percent);
    for (let i = 1; i < all.length; i++) assert.ok(all[i]! > all[i - 1]!, `strictly increasing: ${all.join(', ')}`);
    const compositing = progress.find((p) => p.stage === 'compositing')!;
    assert.ok(during.at(-1)!.percent < compositing.percent);
    const count = progress.length;
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(progress.length, count, 'no updates after the job ended');
  });
});
