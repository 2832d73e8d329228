// An in-memory stand-in for the job queue, for unit tests of the HTTP layer (no Redis).
import type { ApiDeps } from '../../src/api/deps.js';
import type { BatchRecord } from '../../src/jobs/batch-contract.js';
import type { JobData } from '../../src/jobs/contract.js';

export function fakeQueue(opts: { enqueued?: JobData[]; up?: () => boolean } = {}): ApiDeps['queue'] {
  const up = opts.up ?? (() => true);
  return {
    enqueue: async (_id: string, d: JobData) => {
      if (!up()) throw new Error('Connection is closed.');
      opts.enqueued?.push(d);
    },
    view: async () => null,
    ping: async () => up(),
    cancel: async () => null,
    failed: async () => ({ total: 0, jobs: [] }),
    counts: async () => ({}),
    laneCounts: async () => ({}),
    workerCount: async () => 0,
    cacheLookup: async () => ({}),
    writeCachedJob: async () => undefined,
    enqueueMask: async () => {
      throw new Error('no mask jobs without Redis');
    },
    getJob: async () => undefined,
    cacheForget: async () => undefined,
    readTombstone: async () => null,
  };
}

/** Batch records in memory, for unit tests of the HTTP layer. */
export function fakeBatches(): NonNullable<ApiDeps['batches']> {
  const records = new Map<string, BatchRecord>();
  return {
    create: async (record) => void records.set(record.batch_id, structuredClone(record)),
    read: async (id) => structuredClone(records.get(id)) ?? null,
    noteEnded: async () => null, // no webhooks in the in-memory app
  };
}
