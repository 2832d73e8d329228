// The payload of a job event, as the api streams it (SSE) and the page reads it. No imports:
// the browser bundle uses it too.
import type { JobEventType, JobStatus } from '../vocabulary.js';

export type { JobEventType };

export interface JobEventData {
  job_id: string;
  /** The job's status; an expired job's last one. */
  status: JobStatus;
  /** queued: place in line (1 = next) and estimated seconds until done. */
  position?: number;
  eta_seconds?: number;
  /** progress: the current stage and percent (never going back). */
  stage?: string;
  percent?: number;
  /** done */
  result_url?: string;
  /** failed, expired */
  error?: string;
}
