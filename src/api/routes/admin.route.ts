import type { FastifyInstance } from 'fastify';
import type { CleanupReport } from '../../jobs/cleanup.js';
import { response } from '../schemas.js';

export function adminRoutes(app: FastifyInstance, cleanup: () => Promise<CleanupReport>) {
  app.post(
    '/admin/cleanup',
    {
      schema: {
        summary: 'Delete expired jobs, their files and orphans now (workers also do it on a schedule)',
        description:
          'Jobs finished more than RESULT_TTL_MINUTES ago are deleted with their files (their ids then answer 410); files ' +
          'without a job, and finished jobs whose files are gone, are removed too. Workers run the same cleanup every CLEANUP_INTERVAL_SECONDS.',
        operationId: 'runCleanup',
        tags: ['operations'],
        response: {
          200: response(
            'What this run removed',
            {
              type: 'object',
              properties: {
                expiredJobs: { type: 'integer', description: 'Finished jobs past their TTL, deleted with their files.' },
                orphanFiles: { type: 'integer', description: 'Files that belonged to no job.' },
                jobsWithoutFiles: { type: 'integer', description: 'Done jobs whose result file was gone, deleted.' },
                ms: { type: 'integer', description: 'How long the run took.' },
              },
            },
            { expiredJobs: 12, orphanFiles: 1, jobsWithoutFiles: 0, ms: 38 },
          ),
        },
      },
    },
    async () => cleanup(),
  );
}
