// The rules of a job's public status, as plain functions (no Redis, no BullMQ calls): the view
// of a job in a state, the wait estimate, tombstones, and what a cancel request does.
import type { Job } from 'bullmq';
import { defaultOptions } from '../options/options.js';
import { CANCELED_REASON, decodeFailure, jobResultSchema, progressSchema, statusFromState, type EditState, type JobData, type JobResult, type StatusView } from './contract.js';

export interface Tombstone {
  view: StatusView;
  /**
   * Why the record is not in the queue: canceled while queued, expired at the TTL, or a job
   * answered from the result cache that never entered the queue.
   */
  reason: 'canceled' | 'expired' | 'cached';
  /** A cached job: the job whose result it copied (its photo and model mask are copied from there on the first edit). */
  from?: string;
  /** A cached job's mask edits (what JobData.edit is for a job of the queue); its view shows them. */
  edit?: EditState;
}

/** A done job's progress: the last stage, complete. */
export const DONE_PROGRESS = { stage: 'encoding', percent: 100 } as const satisfies StatusView['progress'];

const isoTime = (ms: number | undefined) => (ms ? new Date(ms).toISOString() : undefined);

/** The public view of a BullMQ job in `state`; null when the state means nothing public. */
export function toView(job: Job<JobData>, state: string): StatusView | null {
  let status = statusFromState(state);
  if (!status || !job.id) return null;
  if (status === 'failed' && job.failedReason === CANCELED_REASON) status = 'canceled';
  const progress = progressSchema.safeParse(job.progress);
  const view: StatusView = {
    job_id: job.id,
    status,
    filename: job.data.filename,
    width: job.data.width,
    height: job.data.height,
    created_at: new Date(job.timestamp).toISOString(),
    started_at: isoTime(job.processedOn),
    finished_at: status === 'done' || status === 'failed' || status === 'canceled' ? isoTime(job.finishedOn) : undefined,
    attempts: job.attemptsStarted ?? job.attemptsMade,
    options: { ...defaultOptions(), ...job.data.options },
  };
  if (job.data.batchId) view.batch_id = job.data.batchId;
  if (job.data.callbackUrl) view.callback = { url: job.data.callbackUrl, state: 'pending', attempts: 0 };
  if (status === 'processing' && progress.success) view.progress = progress.data;
  if (status === 'done') {
    view.progress = { ...DONE_PROGRESS };
    const result = jobResultSchema.safeParse(job.data.edit?.result ?? job.returnvalue);
    if (result.success) Object.assign(view, resultFields(result.data));
    Object.assign(view, editFields(job.data.edit));
  }
  if (status === 'failed') {
    const failure = decodeFailure(job.failedReason);
    view.error = failure.message;
    view.error_code = failure.code;
  }
  return view;
}

/** What a done job's view says of its result. */
function resultFields(r: JobResult): Pick<StatusView, 'result' | 'mask_reused'> {
  const result: NonNullable<StatusView['result']> = {
    width: r.width,
    height: r.height,
    format: r.format ?? 'png',
    bytes: r.bytes,
    foreground: r.foreground ?? { left: 0, top: 0, width: r.width, height: r.height },
  };
  if (r.confidence !== undefined) result.confidence = r.confidence;
  return r.mask_reused ? { result, mask_reused: true } : { result };
}

/** A done view with a mask edit's outcome: the served version's result (if it has one of its own) and the edit fields. */
export function withEdit(view: StatusView, edit: EditState): StatusView {
  return { ...view, ...(edit.result ? resultFields(edit.result) : {}), ...editFields(edit) };
}

/** What a done job's view says of its mask edits (PUT /jobs/{id}/mask). */
export function editFields(edit: EditState | undefined): Pick<StatusView, 'edited' | 'edited_at' | 'result_version' | 'edit_error' | 'edit_error_code'> {
  const fields: ReturnType<typeof editFields> = { edited: (edit?.version ?? 1) > 1, result_version: edit?.version ?? 1 };
  if (edit?.edited_at) fields.edited_at = edit.edited_at;
  if (edit?.failed) {
    fields.edit_error = edit.failed.message;
    fields.edit_error_code = edit.failed.code;
  }
  return fields;
}

/**
 * Seconds until a job at `position` is likely done, from the median of recent processing
 * times: the jobs ahead spread over the workers, half a job for the one in hand on average,
 * then its own processing.
 */
export function estimateWait(position: number, recentMs: number[], workers: number): number | undefined {
  if (recentMs.length === 0) return undefined;
  const sorted = [...recentMs].sort((a, b) => a - b);
  const typical = sorted[sorted.length >> 1]!;
  const ahead = (position - 1) / Math.max(1, workers);
  return Math.round(((ahead + 0.5 + 1) * typical) / 100) / 10;
}

/** The tombstone of a queued job removed by a client. */
export function canceledTombstone(view: StatusView, now = new Date()): Tombstone {
  return {
    reason: 'canceled',
    view: { ...view, status: 'canceled', finished_at: now.toISOString(), position: undefined, eta_seconds: undefined },
  };
}

/**
 * The tombstone of a finished job whose record and files were deleted at the TTL: its last view
 * as it was (status, times, size, name), without links to what is gone.
 */
export function expiredTombstone(view: StatusView): Tombstone {
  return { reason: 'expired', view: { ...view, result_url: undefined, position: undefined, eta_seconds: undefined } };
}

/**
 * How long a tombstone is kept: expired ones a day, canceled ones as long as a finished job,
 * cached jobs an hour longer (the cleanup expires them at the TTL, as it does queued jobs).
 */
export function tombstoneTtlSeconds(tombstone: Tombstone, jobTtlSeconds: number): number {
  if (tombstone.reason === 'expired') return 24 * 3600;
  return Math.max(1, Math.ceil(jobTtlSeconds)) + (tombstone.reason === 'cached' ? 3600 : 0);
}

export type CancelOutcome = 'canceled' | 'canceling' | 'finished';

/**
 * What a cancel request does to a job in this view: a finished job is left alone; a job in hand
 * is asked to stop at its next stage boundary; a waiting job is asked to stop and removed.
 */
export function cancelPlan(view: StatusView): 'leave' | 'ask' | 'ask-and-remove' {
  if (view.status === 'processing') return 'ask';
  if (view.status === 'queued') return 'ask-and-remove';
  return 'leave';
}
