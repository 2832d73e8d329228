// Deletes what is older than RESULT_TTL_MINUTES: finished job records, their input and result
// files, and orphans (files with no job, finished jobs whose files are gone). Idempotent and safe
// to run from several processes at once (every step tolerates a file or job already gone).
import type { Logger } from '../logger.js';
import type { BlobStore } from '../storage/blob-store.js';
import type { StatusView } from './contract.js';
import type { JobQueue } from './queue.js';

/**
 * Files younger than this are never orphans: an upload writes its file just before enqueueing.
 * A file older than the TTL with no job is an orphan whatever this says.
 */
const ORPHAN_GRACE_MS = 10 * 60_000;
const BATCH = 1000;

export interface CleanupReport {
  expiredJobs: number;
  orphanFiles: number;
  jobsWithoutFiles: number;
  ms: number;
}

export async function runCleanup(queue: JobQueue, store: BlobStore, ttlMs: number, logger?: Logger): Promise<CleanupReport> {
  const started = Date.now();
  const cutoff = started - ttlMs;
  const report: CleanupReport = { expiredJobs: 0, orphanFiles: 0, jobsWithoutFiles: 0, ms: 0 };

  // 1. Finished jobs past their time: record, files, and a tombstone that says they expired.
  for (const type of ['completed', 'failed'] as const) {
    for (;;) {
      const stale = await queue.queue.getJobs([type], 0, BATCH - 1, true);
      const old = stale.filter((j) => (j.finishedOn ?? j.timestamp) < cutoff);
      for (const job of old) {
        await expire(queue, store, job.id!, job.data.filename);
        report.expiredJobs++;
      }
      if (old.length < BATCH) break;
    }
  }

  // 2. Files: an orphan has no job (and is past the grace period); an old file of a finished job
  //    was handled above, so what is left is kept.
  for await (const files of store.listJobs()) {
    const age = started - files.modifiedAt;
    if (age < Math.min(ORPHAN_GRACE_MS, ttlMs)) continue;
    const job = await queue.getJob(files.jobId);
    if (!job) {
      await store.deleteJob(files.jobId);
      report.orphanFiles++;
    }
  }

  // 3. Finished jobs whose result file is gone (deleted by hand, a lost volume): expire them too,
  //    rather than answering "done" with nothing to download.
  const done = await queue.queue.getJobs(['completed'], 0, BATCH - 1, true);
  for (const job of done) {
    if (!(await store.hasResult(job.id!))) {
      await expire(queue, store, job.id!, job.data.filename);
      report.jobsWithoutFiles++;
    }
  }

  report.ms = Date.now() - started;
  if (report.expiredJobs || report.orphanFiles || report.jobsWithoutFiles) logger?.info(report, 'cleanup');
  return report;
}

async function expire(queue: JobQueue, store: BlobStore, jobId: string, filename: string): Promise<void> {
  const view: StatusView = {
    job_id: jobId,
    status: 'failed',
    filename,
    width: 0,
    height: 0,
    created_at: new Date().toISOString(),
    attempts: 0,
    error: 'This job expired and its files were deleted.',
  };
  await queue.writeTombstone({ reason: 'expired', view });
  await queue.queue.remove(jobId).catch(() => 0);
  await store.deleteJob(jobId);
}
