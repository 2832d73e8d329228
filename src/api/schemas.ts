// JSON Schemas for routes, derived from the zod schemas of the job contract (never written twice).
import { z } from 'zod';
import { statusViewSchema } from '../jobs/contract.js';

export function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  const out = z.toJSONSchema(schema, { target: 'draft-7', io: 'output', unrepresentable: 'any' }) as Record<string, unknown>;
  delete out.$schema;
  return out;
}

export const errorBodySchema = z.object({
  error: z.object({
    code: z.string().meta({ example: 'unsupported_media_type' }),
    message: z.string().meta({ example: 'This file is not a supported image. Upload a JPEG, PNG, WebP, GIF, AVIF or TIFF file.' }),
    request_id: z.string().optional(),
  }),
});

export const jobIdParamsSchema = z.object({
  job_id: z.string().max(64).meta({ description: 'The job id returned by POST /remove-bg (a UUID).' }),
});

export const acceptedSchema = z.object({
  job_id: z.string(),
  status: z.literal('queued'),
  status_url: z.string(),
  events_url: z.string(),
});

export const S = {
  error: jsonSchema(errorBodySchema),
  status: jsonSchema(statusViewSchema),
  jobParams: jsonSchema(jobIdParamsSchema),
  accepted: jsonSchema(acceptedSchema),
};
