// The api's side of a job's end (a cancel, the result cache): src/jobs/job-ended.ts, with a Redis
// failure logged rather than answered as the request's failure (the job itself is fine).
import type { FastifyBaseLogger } from 'fastify';
import { batchJobEnded, jobEnded, type EndedJob } from '../../jobs/job-ended.js';
import type { ApiDeps } from '../deps.js';

type Parts = Pick<ApiDeps, 'webhooks' | 'batches'>;

export async function apiJobEnded(deps: Parts, job: EndedJob, log: FastifyBaseLogger): Promise<void> {
  await jobEnded(deps, job).catch((err: unknown) => log.error({ err, jobId: job.id }, 'webhook or batch count not updated'));
}

export async function batchItemEnded(deps: Parts, batchId: string, jobId: string | undefined, log: FastifyBaseLogger): Promise<void> {
  await batchJobEnded(deps, batchId, jobId).catch((err: unknown) => log.error({ err, batchId, jobId }, 'batch count not updated'));
}
