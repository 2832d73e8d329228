// The payload of a job event, as the api streams it (SSE) and the page reads it. No imports:
// the browser bundle uses it too.
export const EVENT_TYPES = ['queued', 'progress', 'done', 'failed', 'canceled'] as const;
export type JobEventType = (typeof EVENT_TYPES)[number];

export interface JobEventData {
  job_id: string;
  status: 'queued' | 'processing' | 'done' | 'failed' | 'canceled';
  /** queued: place in line (1 = next) and estimated seconds until done. */
  position?: number;
  eta_seconds?: number;
  /** progress: the current stage and percent (never going back). */
  stage?: string;
  percent?: number;
  /** done */
  result_url?: string;
  /** failed */
  error?: string;
}
