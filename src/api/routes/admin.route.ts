import type { FastifyInstance } from 'fastify';
import type { CleanupReport } from '../../jobs/cleanup.js';

export function adminRoutes(app: FastifyInstance, cleanup: () => Promise<CleanupReport>) {
  app.post(
    '/admin/cleanup',
    {
      schema: {
        summary: 'Delete expired jobs, their files and orphans now (workers also do it on a schedule)',
        response: {
          200: {
            type: 'object',
            properties: {
              expiredJobs: { type: 'integer' },
              orphanFiles: { type: 'integer' },
              jobsWithoutFiles: { type: 'integer' },
              ms: { type: 'integer' },
            },
          },
        },
      },
    },
    async () => cleanup(),
  );
}
