// The contract between the api (producer) and the worker (processor): names, payload, progress,
// result, and the public status view. Types are derived from these schemas only.
import { z } from 'zod';
import { OPTIONS } from '../options/options.js';
import { OUTPUT_FORMATS, INPUT_FORMATS, JOB_STATUSES, STAGES, type JobStatus } from '../vocabulary.js';

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
  /** Normalised options (src/options/table.ts); absent in jobs queued before options existed = defaults. */
  options: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
  /** A finished job whose stored mask fits this photo (the same bytes): the model is skipped. */
  maskFrom: z.string().optional(),
  /** The result cache's key for this photo (sha256 of bytes, model, weights, client); the worker records the result there. */
  cacheKey: z.string().optional(),
  /** Where the status is POSTed (a signed webhook) when the job ends. */
  callbackUrl: z.string().optional(),
  /** The batch this job is an item of. */
  batchId: z.string().optional(),
  /** The mask edits saved on this done job (PUT /jobs/{id}/mask): written by the worker that re-rendered it. */
  edit: z.lazy(() => editStateSchema).optional(),
});
export type JobData = z.infer<typeof jobDataSchema>;

export const progressSchema = z.object({
  stage: z.enum(STAGES),
  /** 0..100, monotonic over the life of an attempt. */
  percent: z.number().min(0).max(100),
});
export type JobProgress = z.infer<typeof progressSchema>;

export const boxSchema = z.object({
  left: z.number().int(),
  top: z.number().int(),
  width: z.number().int(),
  height: z.number().int(),
});

export const jobResultSchema = z.object({
  width: z.number().int(),
  height: z.number().int(),
  bytes: z.number().int(),
  model: z.string(),
  timings: z.record(z.enum(STAGES), z.number()),
  /** Absent in results made before options existed (PNG, subject = whole image unknown). */
  format: z.enum(OUTPUT_FORMATS).optional(),
  foreground: boxSchema.optional(),
  mask_reused: z.boolean().optional(),
  /** 0..1, from the mask (src/cutout/confidence.ts); absent in results made before it existed. */
  confidence: z.number().min(0).max(1).optional(),
});
export type JobResult = z.infer<typeof jobResultSchema>;

/** Jobs of the mask editor, on the same queue as the job they belong to (src/worker/mask-edit.processor.ts). */
export const MASK_JOB_NAME = 'mask';
export const maskJobDataSchema = z.object({
  requestId: z.string(),
  /** The done job whose mask this is. */
  jobId: z.string(),
  /**
   * `export`: write the current mask at the photo's size (the model's, refined as the job asked);
   * `apply`: re-render the result from the edited mask stored for `version`.
   */
  action: z.enum(['export', 'apply']),
  /** The result version this job makes (apply) or reads (export); 1 = the model's result. */
  version: z.number().int().min(1),
});
export type MaskJobData = z.infer<typeof maskJobDataSchema>;
/** The BullMQ id of a mask job: one per job and version, so a repeat joins the one under way. */
export const maskJobId = (d: Pick<MaskJobData, 'jobId' | 'action' | 'version'>) => `${d.jobId}-${d.action}-${d.version}`;
/** The job a mask editor's apply job re-renders (from its BullMQ id); null for any other id. */
export const appliedJobOf = (maskId: string): string | null => /^(.+)-apply-\d+$/.exec(maskId)?.[1] ?? null;

/** A done job's mask edits: the version served, and why the last save failed (the previous version stays). */
export const editStateSchema = z.object({
  /** The result version served: 1 = the model's, +1 per saved edit. */
  version: z.number().int().min(1),
  edited_at: z.iso.datetime().optional(),
  /** The result of the served version (absent for version 1: the job's own result). */
  result: jobResultSchema.optional(),
  /** The last save that failed, and why; cleared by the next that succeeds. */
  failed: z.object({ version: z.number().int(), code: z.string(), message: z.string() }).optional(),
});
export type EditState = z.infer<typeof editStateSchema>;


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

/**
 * BullMQ keeps one string per failure; a code travels with the sentence as "[code] sentence".
 * Reasons recorded without a code (older jobs) read as `processing_error`.
 */
export const encodeFailure = (code: string, message: string) => `[${code}] ${message}`;
export function decodeFailure(reason: string | undefined): { code: string; message: string } {
  const m = /^\[([a-z_]{1,40})\] ([\s\S]*)$/.exec(reason ?? '');
  if (m) return { code: m[1]!, message: m[2]! };
  return { code: 'processing_error', message: reason || 'Processing failed.' };
}

const iso = z.iso.datetime();

/** What the status shows of a callback (webhook): where it goes and how its delivery is going. */
export const callbackStateSchema = z.object({
  url: z.string(),
  state: z.enum(['pending', 'delivered', 'failed']).meta({
    description: '`pending` until the job ends and while retries go on; `delivered` (the receiver answered 2xx); `failed` after the last attempt.',
  }),
  attempts: z.number().int().meta({ description: 'Delivery attempts made so far.' }),
  delivered_at: iso.optional(),
  last_error: z.string().optional().meta({ description: 'Why the last attempt failed.' }),
});
export type CallbackState = z.infer<typeof callbackStateSchema>;

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
  error_code: z.string().optional().meta({ description: 'Why the job failed, as a stable code: `invalid_image`, `no_face_found`, `no_subject_found`, `unknown_foreground` (no subject in the photo), `processing_error`.' }),
  options: z
    .object(
      Object.fromEntries(
        OPTIONS.map((o) => [o.name, z.union([z.string(), z.number(), z.boolean(), z.null()]).meta({ description: o.description })]),
      ),
    )
    .optional()
    .meta({ description: 'The job\'s options, normalised, every one with its value (defaults included).' }),
  result: z
    .object({
      width: z.number().int().meta({ description: 'The result\'s width in pixels.' }),
      height: z.number().int().meta({ description: 'The result\'s height in pixels.' }),
      format: z.enum(OUTPUT_FORMATS),
      bytes: z.number().int().meta({ description: 'The result file\'s size in bytes.' }),
      foreground: boxSchema.meta({ description: 'Where the subject is in the result, in its pixels.' }),
      confidence: z.number().min(0).max(1).optional().meta({
        description:
          'How clean the mask looks, 0..1 (experimental): low when the subject is in pieces or its edge is a wide uncertain band. ' +
          'A hint for which results deserve a human look, not a probability of being right.',
      }),
    })
    .optional()
    .meta({ description: 'The result file (done jobs).' }),
  edited: z.boolean().optional().meta({
    description: 'Done jobs: true once a mask edit was saved (PUT /jobs/{job_id}/mask) and the result re-rendered from it.',
  }),
  edited_at: iso.optional().meta({ description: 'When the served edit was saved.' }),
  result_version: z.number().int().min(1).optional().meta({
    description:
      'Done jobs: the version of the result served, 1 for the model\'s, +1 for each saved mask edit. The result\'s ETag changes with it.',
  }),
  edit_error: z.string().optional().meta({
    description: 'Why the last mask edit could not be applied; the previous version is still served. Cleared by the next edit that succeeds.',
  }),
  edit_error_code: z.string().optional().meta({ description: 'The same, as a code: `invalid_mask` or `processing_error`.' }),
  cached: z.boolean().optional().meta({ description: 'True when the result came from an earlier job with the same photo and options: no processing.' }),
  mask_reused: z.boolean().optional().meta({ description: 'True when the mask of an earlier job with the same photo was reused: only the options were applied.' }),
  batch_id: z.string().optional().meta({ description: 'The batch this job is an item of (POST /batches).' }),
  callback: callbackStateSchema.optional().meta({ description: 'The webhook asked for with callback_url, and its delivery.' }),
  result_url: z.string().optional(),
});
export type StatusView = z.infer<typeof statusViewSchema>;
