// The job routes: status, failed list, result, cancel. Each is a schema (jobs.schema.ts) and one
// call to the jobs service.
import type { FastifyInstance } from 'fastify';
import { notModified, RESULT_CACHE_CONTROL, resultEtag, resultType } from '../result-headers.js';
import type { JobsService } from '../services/jobs.js';
import { CANCEL_SCHEMA, FAILED_JOBS_SCHEMA, RESULT_SCHEMA, STATUS_SCHEMA } from './jobs.schema.js';

type JobParams = { Params: { job_id: string } };

export function jobsRoutes(app: FastifyInstance, jobs: JobsService) {
  app.get<JobParams>('/status/:job_id', { schema: STATUS_SCHEMA }, async (req) => jobs.status(req.params.job_id));

  app.get<{ Querystring: { page: number; per_page: number } }>('/jobs/failed', { schema: FAILED_JOBS_SCHEMA }, async (req) =>
    jobs.failed(req.query.page, req.query.per_page),
  );

  app.get<JobParams>('/result/:job_id', { schema: RESULT_SCHEMA }, async (req, reply) => {
    const delivery = await jobs.result(req.params.job_id);
    const { view } = delivery;
    if (view.result) {
      const { width, height, foreground: fg, confidence } = view.result;
      if (confidence !== undefined) reply.header('x-confidence', confidence);
      reply.headers({
        'x-width': width,
        'x-height': height,
        'x-foreground-left': fg.left,
        'x-foreground-top': fg.top,
        'x-foreground-width': fg.width,
        'x-foreground-height': fg.height,
      });
    }
    // The link expires: the redirect itself is not to be kept. It names the object of this version.
    if ('redirect' in delivery) return reply.header('cache-control', 'no-store').redirect(delivery.redirect, 302);
    const etag = resultEtag(view);
    reply.header('etag', etag).header('cache-control', RESULT_CACHE_CONTROL);
    if (notModified(req.headers['if-none-match'], etag)) {
      delivery.blob.stream.destroy();
      return reply.code(304).send();
    }
    const { contentType, contentDisposition } = resultType(view);
    return reply
      .header('content-type', contentType)
      .header('content-length', delivery.blob.size)
      .header('content-disposition', contentDisposition)
      .send(delivery.blob.stream);
  });

  app.delete<JobParams>('/jobs/:job_id', { schema: CANCEL_SCHEMA }, async (req, reply) => {
    const { outcome, view } = await jobs.cancel(req.params.job_id, req.log);
    return reply.code(outcome === 'canceled' ? 200 : 202).send(view);
  });
}
