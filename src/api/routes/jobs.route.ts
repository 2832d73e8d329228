import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { isJobId, statusViewSchema, type StatusView } from '../../jobs/contract.js';
import { jobExpired, unknownJob } from '../../errors.js';
import { conflict, notFound } from '../http-errors.js';
import type { ApiMetrics } from '../../metrics.js';
import { JOB_STATUSES, resultName } from '../../vocabulary.js';
import { jobLinks, type ApiDeps } from '../deps.js';
import { EXAMPLE, JOB_ERRORS, ROUTE_SCHEMAS, STATUS_EXAMPLES, errorResponse, jsonSchema, response, statusExamples } from '../schemas.js';

/**
 * Views of finished jobs (done, failed, canceled) never change until they expire, and clients
 * poll them: they are kept here for FINISHED_CACHE_MS, so a burst of polls costs Redis nothing.
 * Queued and processing jobs are always read fresh. An expiry shows at most that much later.
 */
const FINISHED_CACHE_MS = 2000;
const FINISHED_CACHE_MAX = 10_000;
const finishedViews = new Map<string, { view: StatusView; until: number }>();

function cachedView(jobId: string): StatusView | undefined {
  const hit = finishedViews.get(jobId);
  if (!hit) return undefined;
  if (hit.until > Date.now()) return hit.view;
  finishedViews.delete(jobId);
  return undefined;
}

function rememberView(view: StatusView): void {
  if (view.status === 'queued' || view.status === 'processing') return;
  if (finishedViews.size >= FINISHED_CACHE_MAX) finishedViews.delete(finishedViews.keys().next().value!);
  finishedViews.set(view.job_id, { view, until: Date.now() + FINISHED_CACHE_MS });
}

/** The status view of a job, with its links, or a 404 error. */
export async function loadView({ config, queue }: Pick<ApiDeps, 'config' | 'queue'>, jobId: string): Promise<StatusView> {
  if (!isJobId(jobId)) throw unknownJob(jobId);
  const cached = cachedView(jobId);
  if (cached) return cached;
  const found = await queue.view(jobId);
  if (!found) throw unknownJob(jobId);
  if ('reason' in found && found.reason === 'expired') throw jobExpired(config.RESULT_TTL_MINUTES);
  const view = 'reason' in found ? found.view : found;
  if (view.status === 'done') view.result_url = jobLinks(config, jobId).result;
  rememberView(view);
  return view;
}

export function jobsRoutes(app: FastifyInstance, deps: ApiDeps, metrics: ApiMetrics) {
  statusRoute(app, deps);
  failedJobsRoute(app, deps);
  resultRoute(app, deps);
  cancelRoute(app, deps, metrics);
}

function statusRoute(app: FastifyInstance, deps: ApiDeps) {
  app.get<{ Params: { job_id: string } }>(
    '/status/:job_id',
    {
      schema: {
        summary: 'The state of a job',
        description:
          '`status` is one of queued, processing, done, failed, canceled. A queued job has its `position` (1 = next) and ' +
          '`eta_seconds`; a processing one its `progress`; a done one its `result_url`; a failed one an `error` a person can act on.',
        operationId: 'getStatus',
        tags: ['jobs'],
        params: ROUTE_SCHEMAS.jobParams,
        response: {
          200: response('The job and its state', ROUTE_SCHEMAS.status, statusExamples(...JOB_STATUSES)),
          ...JOB_ERRORS,
        },
      },
    },
    async (req) => loadView(deps, req.params.job_id),
  );
}

function failedJobsRoute(app: FastifyInstance, deps: ApiDeps) {
  app.get<{ Querystring: { page: number; per_page: number } }>(
    '/jobs/failed',
    {
      schema: {
        summary: 'Failed and canceled jobs, newest first, with their reasons',
        description: 'For operators: what failed and why, until the jobs expire. Paginated.',
        operationId: 'listFailedJobs',
        tags: ['operations'],
        querystring: jsonSchema(
          z.object({
            // Query strings are text: Fastify's validator coerces them to numbers.
            page: z.number().int().min(1).default(1).meta({ description: 'Page number, from 1.', examples: [1] }),
            per_page: z.number().int().min(1).max(100).default(20).meta({ description: 'Jobs per page (1 to 100).', examples: [20] }),
          }),
          'input',
        ),
        response: {
          200: response(
            'One page of failed and canceled jobs',
            jsonSchema(
              z.object({
                page: z.number(),
                per_page: z.number(),
                total: z.number().meta({ description: 'Failed and canceled jobs in all pages.' }),
                jobs: z.array(statusViewSchema),
              }),
            ),
            { page: 1, per_page: 20, total: 2, jobs: [STATUS_EXAMPLES.failed, STATUS_EXAMPLES.canceled] },
          ),
          400: errorResponse('A query parameter is out of range', [
            'invalid_request',
            'Invalid request: querystring/per_page must be <= 100',
          ]),
        },
      },
    },
    async (req) => {
      const { page, per_page } = req.query;
      const { total, jobs } = await deps.queue.failed(page, per_page);
      return { page, per_page, total, jobs };
    },
  );
}

const RESULT_SCHEMA = {
  summary: 'The cutout: a PNG with a transparent background',
  description:
    'The subject on a transparent background, at the size of the upload (after EXIF rotation). ' +
    'Answers 404 with a JSON reason until the job is done, and for failed, canceled or unknown jobs.',
  operationId: 'getResult',
  tags: ['jobs'],
  params: ROUTE_SCHEMAS.jobParams,
  produces: ['image/png'],
  response: {
    200: {
      type: 'string',
      format: 'binary',
      description: 'The cutout, an RGBA PNG',
      headers: {
        'Content-Disposition': {
          type: 'string',
          description: 'inline, with a download name made from the upload\'s: `sneaker-cutout.png`.',
        },
      },
    },
    404: errorResponse(
      'No result (yet): the job is not done, failed, was canceled, or does not exist',
      ['result_not_ready', 'The result is not ready yet: the job is processing. Try again when its status is done.'],
      ['job_failed', 'The job failed, so there is no result: The image could not be decoded: the file is damaged or not a real image.'],
      ['job_canceled', 'The job was canceled, so there is no result.'],
      unknownJob(EXAMPLE.jobId),
      ['result_expired', 'The result has expired and was deleted. Please upload the image again.'],
    ),
    410: JOB_ERRORS[410],
  },
};

function resultRoute(app: FastifyInstance, deps: ApiDeps) {
  app.get<{ Params: { job_id: string } }>(
    '/result/:job_id',
    { schema: RESULT_SCHEMA },
    async (req, reply) => {
      const view = await loadView(deps, req.params.job_id);
      switch (view.status) {
        case 'queued':
        case 'processing':
          throw notFound(`The result is not ready yet: the job is ${view.status}. Try again when its status is done.`, 'result_not_ready');
        case 'failed':
          throw notFound(`The job failed, so there is no result: ${view.error ?? 'unknown reason'}`, 'job_failed');
        case 'canceled':
          throw notFound('The job was canceled, so there is no result.', 'job_canceled');
        case 'done':
          break;
      }
      const blob = await deps.store.openResult(view.job_id);
      if (!blob) throw notFound('The result has expired and was deleted. Please upload the image again.', 'result_expired');
      const name = resultName(view.filename);
      return reply
        .header('content-type', 'image/png')
        .header('content-length', blob.size)
        .header('cache-control', 'private, max-age=3600, immutable')
        .header('content-disposition', `inline; filename="${name.replace(/[^\x20-\x7e]/g, '_')}"; filename*=UTF-8''${encodeURIComponent(name)}`)
        .send(blob.stream);
    },
  );
}

function cancelRoute(app: FastifyInstance, deps: ApiDeps, metrics: ApiMetrics) {
  app.delete<{ Params: { job_id: string } }>(
    '/jobs/:job_id',
    {
      schema: {
        summary: 'Cancel a job',
        description:
          'A queued job is removed at once (200, status canceled) and its files deleted. A job being processed stops at ' +
          'its next stage boundary (202, status processing; it then becomes canceled). A finished job answers 409.',
        operationId: 'cancelJob',
        tags: ['jobs'],
        params: ROUTE_SCHEMAS.jobParams,
        response: {
          200: response('Canceled: the job was queued, it is removed and its files deleted', ROUTE_SCHEMAS.status, statusExamples('canceled')),
          202: response('Canceling: the job is being processed and stops at its next stage boundary', ROUTE_SCHEMAS.status, statusExamples('processing')),
          404: JOB_ERRORS[404],
          409: errorResponse('The job already finished', ['job_finished', 'The job is already done; there is nothing to cancel.']),
        },
      },
    },
    async (req, reply) => {
      const jobId = req.params.job_id;
      if (!isJobId(jobId)) throw unknownJob(jobId);
      const outcome = await deps.queue.cancel(jobId);
      if (outcome === null) throw unknownJob(jobId);
      if (outcome === 'finished') {
        const view = await loadView(deps, jobId);
        throw conflict(`The job is already ${view.status}; there is nothing to cancel.`, 'job_finished');
      }
      if (outcome === 'canceled') await deps.store.deleteJob(jobId);
      if (outcome === 'canceled' || outcome === 'canceling') metrics.canceled.inc();
      req.log.info({ jobId, outcome }, 'cancel requested');
      const view = await loadView(deps, jobId);
      return reply.code(outcome === 'canceled' ? 200 : 202).send(view);
    },
  );
}
