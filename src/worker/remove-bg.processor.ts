// One job: input blob → cutter → result blob, reporting progress as data.
import { UnrecoverableError, type Job } from 'bullmq';
import type { Cutter, CutoutResult, StageHook } from '../cutout/pipeline.js';
import { STAGES } from '../vocabulary.js';
import { EngineRefusedError, EngineUnavailableError, InvalidImageError, JobCanceledError, UnprocessableOptionError } from '../errors.js';
import { optionsKey } from '../options/options.js';
import { CANCELED_REASON, encodeFailure, type JobData, type JobProgress, type JobResult } from '../jobs/contract.js';
import type { Logger } from '../logger.js';
import type { BlobStore } from '../storage/blob-store.js';
import type { WorkerMetrics } from '../metrics.js';
import { ProgressTicker, StageWeights } from './progress.js';

export type { Cutter } from '../cutout/pipeline.js';

export interface ProcessorDeps {
  cutter: Cutter;
  store: BlobStore;
  logger: Logger;
  /** True when a client asked to cancel the job; checked at every stage boundary. */
  isCanceled?: (jobId: string) => Promise<boolean>;
  metrics?: WorkerMetrics;
  /** How often a long stage's percent is moved forward while it runs (ms). */
  progressTickMs?: number;
  /** Records a done job in the result cache under its photo's key and its options. */
  recordCached?: (cacheKey: string, optionsKey: string, jobId: string) => Promise<void>;
}

export const INTERNAL_FAILURE =
  'The server could not process this image because of an internal error. Please try again later.';

type Outcome = 'done' | 'canceled' | 'failed_bad_image' | 'failed_error';

/**
 * The hook called before each stage of one job: checks for a cancel request, reports the
 * stage's start percent (never going back), and ticks a long stage forward while it runs.
 */
function stageReporter(job: Job<JobData, JobResult>, deps: ProcessorDeps, weights: StageWeights, log: Logger) {
  let lastPercent = -1;
  let stageStarted = performance.now();
  const report = (progress: JobProgress) => {
    lastPercent = progress.percent;
    return job.updateProgress(progress);
  };
  const ticker = new ProgressTicker(
    weights,
    (stage, percent) => {
      if (percent > lastPercent) void report({ stage, percent }).catch(() => undefined);
    },
    deps.progressTickMs,
  );
  const beforeStage: StageHook = async (stage) => {
    ticker.stop();
    if (deps.isCanceled && (await deps.isCanceled(job.id!))) throw new JobCanceledError();
    const percent = Math.max(lastPercent, weights.startOf(stage));
    await report({ stage, percent });
    const now = performance.now();
    log.debug({ stage, percent, previousStageMs: Math.round(now - stageStarted) }, 'stage');
    stageStarted = now;
    ticker.stageStarted(stage);
  };
  return { beforeStage, ticker };
}

export function resultOf(out: CutoutResult, model: string): JobResult {
  return {
    width: out.width,
    height: out.height,
    bytes: out.bytes.length,
    format: out.format,
    foreground: out.foreground,
    mask_reused: out.maskReused || undefined,
    confidence: out.confidence,
    model,
    timings: Object.fromEntries(STAGES.map((stage) => [stage, Math.round(out.timings[stage])])) as JobResult['timings'],
  };
}

/**
 * The external engine said when to come back (Retry-After on a 402 or 429): this failure's retry
 * waits that long, or the usual exponential delay when that is longer. BullMQ reads the job's
 * backoff when it records the failure, so it is set on this attempt's copy of the job only.
 */
function retryNoSoonerThan(job: Job<JobData, JobResult>, ms: number): void {
  const backoff = job.opts.backoff;
  const base = typeof backoff === 'number' ? backoff : (backoff?.delay ?? 0);
  const usual = backoff && typeof backoff === 'object' && backoff.type === 'fixed' ? base : base * 2 ** job.attemptsMade;
  job.opts = { ...job.opts, backoff: { type: 'fixed', delay: Math.max(ms, usual) } };
}

/** Turns what went wrong into the failure BullMQ records: final (canceled, bad image, refused) or retried. */
async function failure(err: unknown, job: Job<JobData, JobResult>, deps: ProcessorDeps, log: Logger, finished: (o: Outcome) => void): Promise<Error> {
  const jobId = job.id!;
  if (err instanceof JobCanceledError) {
    await deps.store.deleteJob(jobId);
    finished('canceled');
    log.info({ outcome: 'canceled' }, 'job canceled');
    return new UnrecoverableError(CANCELED_REASON);
  }
  if (err instanceof InvalidImageError || err instanceof UnprocessableOptionError) {
    finished('failed_bad_image');
    log.info({ outcome: 'failed', code: err.code, reason: err.message }, 'job failed: bad image');
    return new UnrecoverableError(encodeFailure(err.code, err.message));
  }
  if (err instanceof EngineRefusedError) {
    finished('failed_error');
    log.warn({ outcome: 'failed', code: err.code, reason: err.message }, 'job failed: the external engine refused it');
    return new UnrecoverableError(encodeFailure(err.code, err.message));
  }
  if (err instanceof EngineUnavailableError) {
    finished('failed_error');
    if (err.retryAfterMs !== undefined) retryNoSoonerThan(job, err.retryAfterMs);
    log.warn({ outcome: 'error', code: err.code, reason: err.message, retryAfterMs: err.retryAfterMs }, 'job attempt failed: external engine unavailable');
    return new Error(encodeFailure(err.code, err.message));
  }
  finished('failed_error');
  log.error({ err, outcome: 'error' }, 'job attempt failed');
  return new Error(encodeFailure('processing_error', INTERNAL_FAILURE), { cause: err });
}

export function createRemoveBgProcessor(deps: ProcessorDeps) {
  const weights = new StageWeights();

  return async function processRemoveBg(job: Job<JobData, JobResult>): Promise<JobResult> {
    const jobId = job.id!;
    const log = deps.logger.child({ jobId, requestId: job.data.requestId, attempt: job.attemptsMade + 1 });
    const started = performance.now();
    // The job's model (the option, set by the api; none in jobs queued before models existed). Metrics and the
    // result name the model that cuts: the cutter's own when it has no such model (an external engine).
    const asked = typeof job.data.options?.model === 'string' ? job.data.options.model : undefined;
    const model = asked && deps.cutter.modelNames?.includes(asked) ? asked : deps.cutter.modelName;
    const finished = (outcome: Outcome) => deps.metrics?.finished.inc({ outcome, model });
    // One line per transition: started (with the time spent queued), each stage (debug), the outcome.
    log.info({ stage: 'started', waitedMs: job.timestamp ? Math.max(0, Date.now() - job.timestamp) : undefined, bytes: job.data.bytes }, 'job started');
    const { beforeStage, ticker } = stageReporter(job, deps, weights, log);
    try {
      const input = await deps.store.readInput(jobId).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') throw new InvalidImageError('The uploaded file is no longer available. Please upload it again.');
        throw err;
      });
      const { options, maskFrom, cacheKey } = job.data;
      const background = options?.bg_image ? await deps.store.readExtra('background', jobId) : undefined;
      if (options?.bg_image && !background) throw new InvalidImageError('The uploaded background image is no longer available. Please upload it again.');
      // A mask made earlier for the same photo: the model is skipped (a missing one just means it runs).
      const mask = maskFrom ? ((await deps.store.readExtra('mask', maskFrom).catch(() => null)) ?? undefined) : undefined;
      const out = await deps.cutter
        .process(input, beforeStage, { options, background: background ?? undefined, mask, workKey: jobId, model: asked })
        .finally(() => ticker.stop());
      if (deps.isCanceled && (await deps.isCanceled(jobId))) throw new JobCanceledError();
      // Every done job keeps its mask (made or reused), so any of them can serve the next options change.
      const maskToKeep = out.mask ?? (out.maskReused ? mask : undefined);
      await Promise.all([deps.store.putResult(jobId, out.bytes), maskToKeep && deps.store.putExtra('mask', jobId, maskToKeep)]);
      (out.maskReused ? deps.metrics?.masksReused : deps.metrics?.inferences)?.inc({ model });
      if (cacheKey && options) {
        await deps.recordCached?.(cacheKey, optionsKey(options), jobId).catch((err: unknown) => log.warn({ err }, 'result cache not updated'));
      }
      weights.learn(out.timings);
      for (const stage of STAGES) deps.metrics?.stage.observe({ stage, model }, out.timings[stage] / 1000);
      deps.metrics?.job.observe({ model }, (performance.now() - started) / 1000);
      finished('done');
      const result = resultOf(out, model);
      log.info({ ms: Math.round(performance.now() - started), ...result.timings, outcome: 'done' }, 'job done');
      return result;
    } catch (err) {
      throw await failure(err, job, deps, log, finished);
    }
  };
}
