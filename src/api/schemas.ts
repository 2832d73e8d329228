// JSON Schemas for routes, derived from the zod schemas of the job contract (never written twice),
// and the helpers that give every documented response a description and examples. The OpenAPI
// document (/openapi.json, /docs) is generated from these by @fastify/swagger.
import { z } from 'zod';
import { jobExpired, unknownJob } from '../errors.js';
import { statusViewSchema, type StatusView } from '../jobs/contract.js';
import { jobLinks } from './deps.js';
import { UNSUPPORTED_IMAGE_TEXT } from '../vocabulary.js';
import { defaultOptions } from '../options/options.js';

/**
 * A zod schema as JSON Schema. `io: 'input'` for what clients send (a field with a default is
 * optional), `'output'` for what the api answers. Zod's safe-integer bounds and its long
 * date-time regex (the format says it) are dropped: they only clutter the docs.
 */
export function jsonSchema(schema: z.ZodType, io: 'input' | 'output' = 'output'): Record<string, unknown> {
  const out = z.toJSONSchema(schema, { target: 'draft-7', io, unrepresentable: 'any' }) as Record<string, unknown>;
  delete out.$schema;
  const tidy = (node: unknown): void => {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) return node.forEach(tidy);
    const o = node as Record<string, unknown>;
    if (o.minimum === Number.MIN_SAFE_INTEGER) delete o.minimum;
    if (o.maximum === Number.MAX_SAFE_INTEGER) delete o.maximum;
    if (o.format === 'date-time') delete o.pattern;
    Object.values(o).forEach(tidy);
  };
  tidy(out);
  return out;
}

type Schema = Record<string, unknown>;

/** A client's X-Request-Id is kept when it matches this; otherwise a UUID is generated. */
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

/** Ids used in the examples, so the examples of one endpoint agree with the others. */
export const EXAMPLE = {
  jobId: '3f0c8f0e-6a4e-4b8e-9a57-2a9c1f3b6d21',
  requestId: 'req-7f3a9c',
} as const;

/** The links of the example job, as a deployment without PUBLIC_URL gives them. */
export const EXAMPLE_LINKS = jobLinks({ PUBLIC_URL: '' }, EXAMPLE.jobId);

export const errorBodySchema = z.object({
  error: z.object({
    code: z.string().meta({ description: 'A stable, machine-readable reason.', examples: ['unsupported_media_type'] }),
    message: z.string().meta({
      description: 'What went wrong and what to do, in words a person can act on.',
      examples: [UNSUPPORTED_IMAGE_TEXT],
    }),
    request_id: z.string().optional().meta({ description: 'The X-Request-Id of the request; quote it when reporting a problem.' }),
  }),
});

export const jobIdParamsSchema = z.object({
  job_id: z.string().meta({ description: 'The job id returned by POST /remove-bg (a UUID). Anything else answers 404.', examples: [EXAMPLE.jobId] }),
});

export const acceptedSchema = z.object({
  job_id: z.string().meta({ description: 'The id of the new job.' }),
  status: z.enum(['queued', 'done']).meta({ description: '`queued`; `done` when the result came from the cache (the same photo and options, done before).' }),
  status_url: z.string().meta({ description: 'Poll this for the state (also in the Location header).' }),
  events_url: z.string().meta({ description: 'Or follow the job live with Server-Sent Events here.' }),
  result_url: z.string().optional().meta({ description: 'With `done`: the result, ready now.' }),
  cached: z.boolean().optional().meta({ description: 'With `done`: the result is a copy of an earlier identical job\'s.' }),
});

/** Example status views, one per state: also the examples of the failed-jobs listing. */
const created = '2026-11-23T10:15:02.118Z';
export const STATUS_EXAMPLES: Record<'queued' | 'processing' | 'done' | 'failed' | 'canceled', StatusView> = {
  queued: {
    job_id: EXAMPLE.jobId, status: 'queued', filename: 'sneaker.jpg', width: 2400, height: 1600,
    created_at: created, attempts: 0, position: 3, eta_seconds: 9,
  },
  processing: {
    job_id: EXAMPLE.jobId, status: 'processing', filename: 'sneaker.jpg', width: 2400, height: 1600,
    created_at: created, started_at: '2026-11-23T10:15:08.402Z', attempts: 1,
    progress: { stage: 'inference', percent: 5 },
  },
  done: {
    job_id: EXAMPLE.jobId, status: 'done', filename: 'sneaker.jpg', width: 2400, height: 1600,
    created_at: created, started_at: '2026-11-23T10:15:08.402Z', finished_at: '2026-11-23T10:15:11.267Z', attempts: 1,
    progress: { stage: 'encoding', percent: 100 }, result_url: EXAMPLE_LINKS.result,
    options: { ...defaultOptions(), format: 'webp', crop: true, crop_margin: '5%' },
    result: { width: 1380, height: 1012, format: 'webp', bytes: 1190233, foreground: { left: 63, top: 46, width: 1254, height: 920 }, confidence: 0.93 },
    edited: false, result_version: 1,
  },
  failed: {
    job_id: EXAMPLE.jobId, status: 'failed', filename: 'scan.tif', width: 1200, height: 900,
    created_at: created, started_at: '2026-11-23T10:15:08.402Z', finished_at: '2026-11-23T10:15:08.519Z', attempts: 1,
    error: 'The image could not be decoded: the file is damaged or not a real image.', error_code: 'invalid_image',
  },
  canceled: {
    job_id: EXAMPLE.jobId, status: 'canceled', filename: 'sneaker.jpg', width: 2400, height: 1600,
    created_at: created, finished_at: '2026-11-23T10:15:04.730Z', attempts: 0,
  },
};

/** Named examples of one response (OpenAPI `examples` on the media type). */
type Named = Record<string, { summary: string; value: unknown }>;

/** A response: its schema, a description, and one example or several named ones. */
export function response(description: string, schema: Schema, example: unknown | { named: Named }, headers?: Schema): Schema {
  const out: Schema = { ...schema, description };
  if (headers) out.headers = headers;
  if (example && typeof example === 'object' && 'named' in example) out['x-examples'] = (example as { named: Named }).named;
  else out.examples = [example];
  return out;
}

/** One error an endpoint can answer: the error it throws (so the example is its real text), or a code and a message. */
type ErrorCase = { code: string; message: string } | [code: string, message: string];

/** An error response: the error body, with one named example per code it can carry. */
export function errorResponse(description: string, ...cases: ErrorCase[]): Schema {
  const named: Named = {};
  for (const c of cases) {
    const [code, message] = Array.isArray(c) ? c : [c.code, c.message];
    named[code] = { summary: code, value: { error: { code, message, request_id: EXAMPLE.requestId } } };
  }
  return response(description, ROUTE_SCHEMAS.error, { named });
}

export const HEADERS = {
  requestId: { type: 'string', description: 'The request id: the one sent in X-Request-Id when it was valid, else a new UUID.' },
  location: { type: 'string', description: 'The status URL of the new job.' },
  retryAfter: { type: 'integer', description: 'Seconds to wait before trying again.' },
};

export const ROUTE_SCHEMAS = {
  error: jsonSchema(errorBodySchema),
  status: jsonSchema(statusViewSchema),
  jobParams: jsonSchema(jobIdParamsSchema),
  accepted: jsonSchema(acceptedSchema),
};

/** The errors every job route can answer for an unknown or expired job. */
export const JOB_ERRORS = {
  404: errorResponse('No job has this id (never existed, or deleted long ago)', unknownJob(EXAMPLE.jobId)),
  410: errorResponse('The job expired: its files were deleted after RESULT_TTL_MINUTES', jobExpired(60)),
};

export const statusExamples = (...states: (keyof typeof STATUS_EXAMPLES)[]) => ({
  named: Object.fromEntries(states.map((s) => [s, { summary: `A ${s} job`, value: STATUS_EXAMPLES[s] }])) as Named,
});
