// What a batch is, as stored and as clients see it. Types are derived from these schemas only;
// the api's OpenAPI document is generated from them too.
import { z } from 'zod';
import { JOB_STATUSES } from '../vocabulary.js';
import { progressSchema, statusViewSchema } from './contract.js';

const itemErrorSchema = z.object({
  code: z.string().meta({ description: 'A stable reason: `unsupported_media_type`, `nested_archive`, `file_too_large`, `unsupported_entry`, …' }),
  message: z.string().meta({ description: 'Why this file is not processed, in words a person can act on.' }),
});

/** One item of a batch as stored: a job, or a file that could not become one (and why). */
export const batchItemSchema = z.union([
  z.object({ job_id: z.string().meta({ description: 'The item\'s job: /status, /result, /events and DELETE /jobs work on it.' }), filename: z.string() }),
  z.object({ filename: z.string(), error: itemErrorSchema }),
]);
export type BatchItem = z.infer<typeof batchItemSchema>;

export const batchRecordSchema = z.object({
  batch_id: z.string(),
  created_at: z.iso.datetime(),
  request_id: z.string(),
  items: z.array(batchItemSchema),
  /** Room for a webhook on the batch's end (not delivered yet). */
  callback_url: z.string().optional(),
});
export type BatchRecord = z.infer<typeof batchRecordSchema>;

/** An item's status: its job's, or `rejected` for a file that never became a job. */
export const ITEM_STATUSES = [...JOB_STATUSES, 'rejected'] as const;
export type ItemStatus = (typeof ITEM_STATUSES)[number];

export const batchAcceptedSchema = z.object({
  batch_id: z.string().meta({ description: 'The id of the new batch (a UUID).' }),
  items: z.array(batchItemSchema).meta({ description: 'Every file, in order: its job, or why it is not processed.' }),
  status_url: z.string().meta({ description: 'Poll this for the batch\'s state (also in the Location header).' }),
  events_url: z.string().meta({ description: 'Or follow every item live here (Server-Sent Events or a WebSocket).' }),
  zip_url: z.string().meta({ description: 'The finished results so far, as one ZIP with a manifest.csv.' }),
});
export type BatchAccepted = z.infer<typeof batchAcceptedSchema>;

const result = statusViewSchema.shape.result.unwrap();
export const batchItemViewSchema = z.object({
  job_id: z.string().optional().meta({ description: 'The item\'s job; absent for a rejected file.' }),
  filename: z.string(),
  status: z.enum(ITEM_STATUSES),
  error: z.string().optional().meta({ description: 'Why the item failed or was rejected.' }),
  error_code: z.string().optional(),
  expired: z.boolean().optional().meta({ description: 'The job finished longer ago than RESULT_TTL_MINUTES: its files are deleted.' }),
  progress: progressSchema.optional(),
  result: result.optional(),
  result_url: z.string().optional(),
  result_version: z.number().int().min(2).optional().meta({ description: 'Present once a mask edit was saved: the version result_url (and the ZIP) serves.' }),
});
export type BatchItemView = z.infer<typeof batchItemViewSchema>;

export const batchCountsSchema = z.object(
  Object.fromEntries(ITEM_STATUSES.map((s) => [s, z.number().int()])) as Record<ItemStatus, z.ZodNumber>,
);
export type BatchCounts = z.infer<typeof batchCountsSchema>;

export const BATCH_STATUSES = ['queued', 'processing', 'done'] as const;

export const batchStatusSchema = z.object({
  batch_id: z.string(),
  status: z.enum(BATCH_STATUSES).meta({ description: '`done` once every item is done, failed or canceled.' }),
  created_at: z.iso.datetime(),
  counts: batchCountsSchema.meta({ description: 'Items per status.' }),
  progress: z.number().int().min(0).max(100).meta({ description: 'Percent of the work done, over the items that are jobs.' }),
  items: z.array(batchItemViewSchema),
  events_url: z.string(),
  zip_url: z.string(),
});
export type BatchStatus = z.infer<typeof batchStatusSchema>;

export const batchCanceledSchema = z.object({
  batch_id: z.string(),
  canceled: z.number().int().meta({ description: 'Items that were queued: removed, their files deleted.' }),
  canceling: z.number().int().meta({ description: 'Items being processed: they stop at their next stage boundary.' }),
  finished: z.number().int().meta({ description: 'Items already finished: left as they are.' }),
});
