// The streamed batch archive: results are opened one at a time as the archive reaches them, and a
// client that leaves stops it (no further result is opened, the open one is closed).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { batchZip } from '../../src/api/services/batch-zip.js';
import { loadConfig } from '../../src/config.js';
import type { StatusView } from '../../src/jobs/contract.js';
import type { BlobStore } from '../../src/storage/blob-store.js';
import { STATUS_EXAMPLES } from '../../src/api/schemas.js';
import { fakeBatches, fakeQueue } from '../helpers/fake-queue.js';

const RESULT_BYTES = 4 * 1024 * 1024;

async function setup(items: number) {
  const batches = fakeBatches();
  const jobs = Array.from({ length: items }, () => randomUUID());
  const batchId = randomUUID();
  await batches.create({ batch_id: batchId, created_at: new Date().toISOString(), request_id: 'r', items: jobs.map((job_id, n) => ({ job_id, filename: `p${n}.jpg` })) });
  const opened: Readable[] = [];
  const store = {
    openResult: async () => {
      // A large result, produced a piece at a time, as a file is read.
      let left = RESULT_BYTES;
      const stream = new Readable({
        read() {
          const n = Math.min(64 * 1024, left);
          left -= n;
          this.push(n > 0 ? Buffer.alloc(n, 7) : null);
        },
      });
      opened.push(stream);
      return { size: RESULT_BYTES, stream };
    },
  } as unknown as BlobStore;
  const done = STATUS_EXAMPLES.done;
  const queue = { ...fakeQueue(), view: async (id: string): Promise<StatusView> => ({ ...done, job_id: id, result: { ...done.result!, bytes: RESULT_BYTES } }) };
  const deps = { config: loadConfig({ LOG_LEVEL: 'silent' }), queue, store, batches };
  return { deps, batchId, opened };
}

describe('batch archive', () => {
  it('opens results one at a time and writes them all, then the manifest', async () => {
    const { deps, batchId, opened } = await setup(3);
    const out = await batchZip(deps, batchId, pino({ level: 'silent' }));
    let bytes = 0;
    let mostOpen = 0;
    for await (const chunk of out as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      mostOpen = Math.max(mostOpen, opened.filter((s) => !s.readableEnded && !s.destroyed).length);
    }
    assert.equal(opened.length, 3);
    assert.equal(mostOpen, 1, 'one result open at a time');
    assert.ok(bytes > 3 * RESULT_BYTES, `${bytes} bytes written`);
  });

  it('stops when the client leaves: no further result is opened, the open one is closed', async () => {
    const { deps, batchId, opened } = await setup(20);
    const out = await batchZip(deps, batchId, pino({ level: 'silent' }));
    let bytes = 0;
    for await (const chunk of out as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      if (bytes > RESULT_BYTES * 1.5) break; // leaves in the middle of the second result
    }
    await new Promise((r) => setTimeout(r, 50));
    assert.ok(opened.length <= 3, `${opened.length} of 20 results opened`);
    assert.ok(opened.every((s) => s.destroyed || s.readableEnded), 'nothing left open');
  });
});
