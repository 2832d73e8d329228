// The payload of a job event, as the api streams it (SSE) and the page reads it. No imports:
// the browser bundle uses it too.
import type { JobEventType, JobStatus, OutputFormat } from '../vocabulary.js';

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
  /** done: where to download, what it is (size, format, where the subject is), and whether it came from the cache */
  result_url?: string;
  result?: {
    width: number;
    height: number;
    format: OutputFormat;
    bytes: number;
    foreground: { left: number; top: number; width: number; height: number };
    /** 0..1: how clean the mask looks (absent for results made before it existed). */
    confidence?: number;
  };
  cached?: boolean;
  /** done: the result's version once a mask edit was saved (2, 3, …; absent for the model's result). */
  result_version?: number;
  /** failed, expired */
  error?: string;
  /** failed: a stable code (invalid_image, no_face_found, unknown_foreground, …) */
  error_code?: string;
}
