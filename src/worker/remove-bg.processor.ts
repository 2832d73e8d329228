// One job: input blob → cutout pipeline → result blob, reporting progress as data.
import { UnrecoverableError, type Job } from 'bullmq';
import type { CutoutResult, StageHook } from '../cutout/pipeline.js';
import type { Stage } from '../vocabulary.js';
import { STAGES } from '../vocabulary.js';
import { InvalidImageError, JobCanceledError } from '../errors.js';
import { CANCELED_REASON, type JobData, type JobProgress, type JobResult } from '../jobs/contract.js';
import type { Logger } from '../logger.js';
import type { BlobStore } from '../storage/blob-store.js';
import type { WorkerMetrics } from '../metrics.js';

export interface Cutter {
  readonly modelName: string;
  process(input: Buffer, beforeStage?: StageHook): Promise<CutoutResult>;
}

export interface ProcessorDeps {
  cutter: Cutter;
  store: BlobStore;
  logger: Logger;
  /** True when a client asked to cancel the job; checked at every stage boundary. */
  isCanceled?: (jobId: string) => Promise<boolean>;
  metrics?: WorkerMetrics;
  /** How often a long stage's percent is moved forward while it runs (ms). */
  progressTickMs?: number;
}

/** Stages expected to take at least this long report progress while they run, not only at their start. */
const LONG_STAGE_MS = 1000;

/**
 * How long each stage usually takes, learned from finished jobs (exponential moving average),
 * and from it each stage's share of the time, so that percentages move in proportion to time
 * rather than by stage count. Before the first job: about 3.5 s, 85% of it inference.
 */
export class StageWeights {
  private ms: Record<Stage, number> = { decoding: 176, inference: 3000, compositing: 176, encoding: 176 };

  learn(timings: Record<Stage, number>): void {
    const total = STAGES.reduce((s, k) => s + timings[k], 0);
    if (!(total > 0)) return;
    for (const k of STAGES) this.ms[k] = 0.8 * this.ms[k] + 0.2 * timings[k];
  }

  private share(stage: Stage): number {
    return this.ms[stage] / STAGES.reduce((s, k) => s + this.ms[k], 0);
  }

  /** How long `stage` usually takes (ms). */
  expectedMs(stage: Stage): number {
    return this.ms[stage];
  }

  /**
   * Percent complete when `stage` has run for `elapsedMs`: from its start toward the next
   * stage's, in proportion to its usual duration, and never more than 90% of the way there (an
   * estimate must not claim the stage is over).
   */
  during(stage: Stage, elapsedMs: number): number {
    const start = this.startOf(stage);
    const span = this.share(stage) * 100;
    const f = Math.min(0.9, Math.max(0, elapsedMs / this.ms[stage]));
    return Math.min(99, Math.max(start, Math.floor(start + span * f)));
  }

  /** Percent complete when `stage` starts. */
  startOf(stage: Stage): number {
    let sum = 0;
    for (const k of STAGES) {
      if (k === stage) break;
      sum += this.share(k);
    }
    return Math.min(99, Math.round(sum * 100));
  }
}

export const INTERNAL_FAILURE =
  'The server could not process this image because of an internal error. Please try again later.';

export function createRemoveBgProcessor(deps: ProcessorDeps) {
  const weights = new StageWeights();

  return async function processRemoveBg(job: Job<JobData, JobResult>): Promise<JobResult> {
    const jobId = job.id!;
    const log = deps.logger.child({ jobId, requestId: job.data.requestId, attempt: job.attemptsMade + 1 });
    const started = performance.now();
    const model = deps.cutter.modelName;
    const finished = (outcome: 'done' | 'canceled' | 'failed_bad_image' | 'failed_error') => deps.metrics?.finished.inc({ outcome, model });
    // One line per transition: started (with the time spent queued), each stage (debug), the outcome.
    log.info({ stage: 'started', waitedMs: job.timestamp ? Math.max(0, Date.now() - job.timestamp) : undefined, bytes: job.data.bytes }, 'job started');
    let lastPercent = -1;
    let stageStarted = started;
    let ticker: NodeJS.Timeout | undefined;
    const report = (progress: JobProgress) => {
      lastPercent = progress.percent;
      return job.updateProgress(progress);
    };
    const beforeStage: StageHook = async (stage) => {
      clearInterval(ticker);
      if (deps.isCanceled && (await deps.isCanceled(jobId))) throw new JobCanceledError();
      const percent = Math.max(lastPercent, weights.startOf(stage));
      await report({ stage, percent });
      const now = performance.now();
      log.debug({ stage, percent, previousStageMs: Math.round(now - stageStarted) }, 'stage');
      stageStarted = now;
      // A long stage (inference: seconds) moves the bar while it runs, from its usual duration.
      if (weights.expectedMs(stage) >= LONG_STAGE_MS) {
        ticker = setInterval(() => {
          const p = weights.during(stage, performance.now() - now);
          if (p > lastPercent) void report({ stage, percent: p }).catch(() => undefined);
        }, deps.progressTickMs ?? 500);
      }
    };

    try {
      const input = await deps.store.readInput(jobId).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') throw new InvalidImageError('The uploaded file is no longer available. Please upload it again.');
        throw err;
      });
      const out = await deps.cutter.process(input, beforeStage).finally(() => clearInterval(ticker));
      if (deps.isCanceled && (await deps.isCanceled(jobId))) throw new JobCanceledError();
      await deps.store.putResult(jobId, out.png);
      weights.learn(out.timings);
      for (const s of STAGES) deps.metrics?.stage.observe({ stage: s, model }, out.timings[s] / 1000);
      deps.metrics?.job.observe({ model }, (performance.now() - started) / 1000);
      finished('done');
      const result: JobResult = {
        width: out.width,
        height: out.height,
        bytes: out.png.length,
        model,
        timings: Object.fromEntries(STAGES.map((s) => [s, Math.round(out.timings[s])])) as JobResult['timings'],
      };
      log.info({ ms: Math.round(performance.now() - started), ...result.timings, outcome: 'done' }, 'job done');
      return result;
    } catch (err) {
      if (err instanceof JobCanceledError) {
        await deps.store.deleteJob(jobId);
        finished('canceled');
        log.info({ outcome: 'canceled' }, 'job canceled');
        throw new UnrecoverableError(CANCELED_REASON);
      }
      if (err instanceof InvalidImageError) {
        finished('failed_bad_image');
        log.info({ outcome: 'failed', reason: err.message }, 'job failed: bad image');
        throw new UnrecoverableError(err.message);
      }
      finished('failed_error');
      log.error({ err, outcome: 'error' }, 'job attempt failed');
      throw new Error(INTERNAL_FAILURE, { cause: err });
    }
  };
}
