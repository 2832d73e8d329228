// Deletes what is older than RESULT_TTL_MINUTES: finished job records, their input and result
// files, and orphans (files with no job, finished jobs whose files are gone). Idempotent and safe
// to run from several processes at once (every step tolerates a file or job already gone).
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { BlobStore } from '../storage/blob-store.js';
import type { FinishedJob, JobQueue } from './queue.js';
import { expiredTombstone } from './status-rules.js';

/**
 * Files younger than this are never orphans: an upload writes its file just before enqueueing.
 * A file older than the TTL with no job is an orphan whatever this says.
 */
const ORPHAN_GRACE_MS = 10 * 60_000;
/** Finished jobs are read this many at a time, however many there are. */
export const CLEANUP_BATCH = 500;

export interface CleanupReport {
  expiredJobs: number;
  orphanFiles: number;
  jobsWithoutFiles: number;
  ms: number;
}

type CleanupQueue = Pick<JobQueue, 'finishedJobsPage' | 'removeJob' | 'getJob' | 'writeTombstone' | 'readTombstone'> & { settings: Pick<JobQueue['settings'], 'lanes'> };

export async function runCleanup(queue: CleanupQueue, store: BlobStore, ttlMs: number, logger?: Logger): Promise<CleanupReport> {
  const started = Date.now();
  const cutoff = started - ttlMs;
  const report: CleanupReport = { expiredJobs: 0, orphanFiles: 0, jobsWithoutFiles: 0, ms: 0 };
  const expireOne = (job: FinishedJob) => expire(queue, store, job);

  // 1. Finished jobs past their time: record, files, and a tombstone that says they expired.
  //    Oldest first, so the first job still in time ends the walk; in every lane (a queue per model).
  const lanes = queue.settings.lanes.map((_, i) => i);
  for (const lane of lanes) {
    for (const type of ['completed', 'failed'] as const) {
      report.expiredJobs += await walkFinished(queue, lane, type, (job) => (job.finishedAt < cutoff ? expireOne(job) : 'stop'));
    }
  }

  // 2. Files: an orphan has no job (and is past the grace period); an old file of a finished job
  //    was handled above, so what is left is kept. A job answered from the cache has no queue
  //    record but a 'cached' one: it is kept until the TTL, then expires like any finished job.
  for await (const files of store.listJobs()) {
    const age = started - files.modifiedAt;
    if (age < Math.min(ORPHAN_GRACE_MS, ttlMs)) continue;
    if (await queue.getJob(files.jobId)) continue;
    const record = await queue.readTombstone(files.jobId);
    if (record?.reason === 'cached') {
      const finishedAt = Date.parse(record.view.finished_at ?? record.view.created_at);
      if (finishedAt >= cutoff) continue;
      await queue.writeTombstone(expiredTombstone(record.view));
      await store.deleteJob(files.jobId);
      report.expiredJobs++;
      continue;
    }
    await store.deleteJob(files.jobId);
    report.orphanFiles++;
  }

  // 3. Finished jobs whose result file is gone (deleted by hand, a lost volume): expire them too,
  //    rather than answering "done" with nothing to download.
  for (const lane of lanes) {
    report.jobsWithoutFiles += await walkFinished(queue, lane, 'completed', async (job) => ((await store.hasResult(job.id)) ? 'kept' : expireOne(job)));
  }

  report.ms = Date.now() - started;
  if (report.expiredJobs || report.orphanFiles || report.jobsWithoutFiles) logger?.info(report, 'cleanup');
  return report;
}

/** The cleanup as the configuration sets it (RESULT_TTL_MINUTES): for the api, the workers and `npm run cleanup`. */
export function cleanupWithConfig(config: Pick<Config, 'RESULT_TTL_MINUTES'>, queue: CleanupQueue, store: BlobStore, logger?: Logger) {
  return runCleanup(queue, store, config.RESULT_TTL_MINUTES * 60_000, logger);
}

type Verdict = 'stop' | 'removed' | 'kept';

/**
 * Visits every finished job of `type` in one lane (an index of settings.lanes), oldest first, CLEANUP_BATCH at a time, until `visit` says
 * stop. A job removed while walking shifts the ones after it down by one, so the next page
 * starts that many places earlier (a job another process removes meanwhile may shift one past
 * this walk: the next run sees it). Returns how many jobs were removed.
 */
async function walkFinished(
  queue: CleanupQueue,
  lane: number,
  type: 'completed' | 'failed',
  visit: (job: FinishedJob) => Promise<Verdict> | Verdict,
): Promise<number> {
  let removed = 0;
  let start = 0;
  for (;;) {
    const page = await queue.finishedJobsPage(type, start, start + CLEANUP_BATCH - 1, lane);
    // Only an empty page ends the walk: a page may come back short when a job vanished meanwhile.
    if (page.length === 0) return removed;
    let removedHere = 0;
    for (const job of page) {
      const verdict = await visit(job);
      if (verdict === 'stop') return removed;
      if (verdict === 'removed') removedHere++;
    }
    removed += removedHere;
    start += page.length - removedHere;
  }
}

/** Deletes a finished job and its files, leaving a tombstone with its last view. */
async function expire(queue: CleanupQueue, store: BlobStore, job: FinishedJob): Promise<'removed' | 'kept'> {
  await queue.writeTombstone(expiredTombstone(job.view));
  const removed = await queue.removeJob(job.id);
  await store.deleteJob(job.id);
  return removed ? 'removed' : 'kept';
}
