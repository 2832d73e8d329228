// The job routes: status, failed list, result, cancel. Each is a schema (jobs.schema.ts) and one
// call to the jobs service.
import type { FastifyInstance } from 'fastify';
import { OUTPUT_MIME, resultName } from '../../vocabulary.js';
import type { JobsService } from '../services/jobs.js';
import { CANCEL_SCHEMA, FAILED_JOBS_SCHEMA, RESULT_SCHEMA, STATUS_SCHEMA } from './jobs.schema.js';

type JobParams = { Params: { job_id: string } };

/** Content-Disposition with an ASCII name and the UTF-8 one. */
const disposition = (name: string) =>
  `inline; filename="${name.replace(/[^\x20-\x7e]/g, '_').replace(/"/g, '')}"; filename*=UTF-8''${encodeURIComponent(name)}`;

export function jobsRoutes(app: FastifyInstance, jobs: JobsService) {
  app.get<JobParams>('/status/:job_id', { schema: STATUS_SCHEMA }, async (req) => jobs.status(req.params.job_id));

  app.get<{ Querystring: { page: number; per_page: number } }>('/jobs/failed', { schema: FAILED_JOBS_SCHEMA }, async (req) =>
    jobs.failed(req.query.page, req.query.per_page),
  );

  app.get<JobParams>('/result/:job_id', { schema: RESULT_SCHEMA }, async (req, reply) => {
    const { view, blob } = await jobs.result(req.params.job_id);
    const format = view.result?.format ?? 'png';
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
    return reply
      .header('content-type', OUTPUT_MIME[format])
      .header('content-length', blob.size)
      .header('cache-control', 'private, max-age=3600, immutable')
      .header('content-disposition', disposition(resultName(view.filename, format)))
      .send(blob.stream);
  });

  app.delete<JobParams>('/jobs/:job_id', { schema: CANCEL_SCHEMA }, async (req, reply) => {
    const { outcome, view } = await jobs.cancel(req.params.job_id, req.log);
    return reply.code(outcome === 'canceled' ? 200 : 202).send(view);
  });
}
