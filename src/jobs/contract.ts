// The contract between the api (producer) and the worker (processor): names, payload, progress,
// result, and the public status view. Types are derived from these schemas only.
import { z } from 'zod';
import { INPUT_FORMATS, JOB_STATUSES, STAGES, type JobStatus } from '../vocabulary.js';

export const JOB_NAME = 'remove-bg';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
export const isJobId = (s: string): boolean => UUID_V4.test(s);

export const jobDataSchema = z.object({
  requestId: z.string(),
  filename: z.string(),
  format: z.enum(INPUT_FORMATS),
  bytes: z.number().int().nonnegative(),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
});
export type JobData = z.infer<typeof jobDataSchema>;

export const progressSchema = z.object({
  stage: z.enum(STAGES),
  /** 0..100, monotonic over the life of an attempt. */
  percent: z.number().min(0).max(100),
});
export type JobProgress = z.infer<typeof progressSchema>;

export const jobResultSchema = z.object({
  width: z.number().int(),
  height: z.number().int(),
  bytes: z.number().int(),
  model: z.string(),
  timings: z.record(z.enum(STAGES), z.number()),
});
export type JobResult = z.infer<typeof jobResultSchema>;


/** BullMQ's states, as the public status. Null: the queue does not know the job. */
export function statusFromState(state: string): JobStatus | null {
  switch (state) {
    case 'waiting':
    case 'wait':
    case 'delayed': // waiting for a retry after a transient failure
    case 'prioritized':
    case 'paused':
    case 'waiting-children':
      return 'queued';
    case 'active':
      return 'processing';
    case 'completed':
      return 'done';
    case 'failed':
      return 'failed';
    default:
      return null;
  }
}

/** A failed job whose reason is this was canceled by a client, not broken. */
export const CANCELED_REASON = 'canceled';

const iso = z.iso.datetime();

export const statusViewSchema = z.object({
  job_id: z.string().meta({ description: 'The job id (a UUID).' }),
  status: z.enum(JOB_STATUSES),
  filename: z.string(),
  width: z.number().int(),
  height: z.number().int(),
  created_at: iso,
  started_at: iso.optional(),
  finished_at: iso.optional(),
  attempts: z.number().int().meta({ description: 'Processing attempts started so far.' }),
  progress: progressSchema.optional(),
  position: z.number().int().min(1).optional().meta({ description: 'Place in line while queued; 1 = next.' }),
  eta_seconds: z.number().nonnegative().optional().meta({ description: 'Estimated seconds until the result is ready.' }),
  error: z.string().optional().meta({ description: 'Why the job failed, in words a person can act on.' }),
  result_url: z.string().optional(),
});
export type StatusView = z.infer<typeof statusViewSchema>;
