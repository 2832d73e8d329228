// What every BlobStore driver promises, as one suite: test/unit/fs-store.test.ts runs it on a
// directory and test/integration/s3-store.test.ts on a real S3-protocol server.
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import type { BlobStore, StoredBlob } from '../../src/storage/blob-store.js';

/** A new, empty store for each test (a temp dir, a fresh key prefix); `done` removes it. */
export type MakeStore = () => Promise<{ store: BlobStore; done(): Promise<void> }>;

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function drain(blob: StoredBlob | null): Promise<Buffer> {
  assert.ok(blob, 'the result opens');
  const chunks: Buffer[] = [];
  for await (const c of blob.stream) chunks.push(c as Buffer);
  const bytes = Buffer.concat(chunks);
  assert.equal(blob.size, bytes.length, 'size is the streamed length');
  return bytes;
}

async function listed(store: BlobStore) {
  const jobs = new Map<string, number>();
  for await (const j of store.listJobs()) jobs.set(j.jobId, j.modifiedAt);
  return jobs;
}

/** Distinct bytes, so a mixed-up or torn object cannot pass for a whole one. */
const body = (size: number, seed: number) => Buffer.alloc(size, Buffer.from(`${seed}:${'x'.repeat(seed % 7)}|`));

export function blobStoreContract(driver: string, make: MakeStore): void {
  describe(`BlobStore contract: ${driver}`, () => {
    const stores: Array<{ done(): Promise<void> }> = [];
    after(() => Promise.all(stores.map((s) => s.done())));
    const fresh = async () => {
      const made = await make();
      stores.push(made);
      return made.store;
    };

    it('keeps an input by job id; a missing one rejects with ENOENT', async () => {
      const store = await fresh();
      const id = randomUUID();
      await store.putInput(id, Buffer.from('input bytes'));
      assert.equal((await store.readInput(id)).toString(), 'input bytes');
      await assert.rejects(store.readInput(randomUUID()), (err: NodeJS.ErrnoException) => err.code === 'ENOENT');
    });

    it('streams a result with its size; none is null, and has/open agree', async () => {
      const store = await fresh();
      const id = randomUUID();
      assert.equal(await store.openResult(id), null);
      assert.equal(await store.hasResult(id), false);
      await store.putResult(id, Buffer.from('first'));
      await store.putResult(id, Buffer.from('second, longer'));
      assert.equal(await store.hasResult(id), true);
      assert.equal((await drain(await store.openResult(id))).toString(), 'second, longer', 'a rewrite replaces');
    });

    it('copies a result to another job; a missing source answers false', async () => {
      const store = await fresh();
      const [from, to] = [randomUUID(), randomUUID()];
      await store.putResult(from, Buffer.from('cut-out'));
      assert.equal(await store.copyResult(from, to), true);
      assert.equal((await drain(await store.openResult(to))).toString(), 'cut-out');
      assert.equal(await store.copyResult(randomUUID(), randomUUID()), false);
    });

    it('copies a photo and a mask to another job (a cached job\'s editor); has them; a missing source answers false', async () => {
      const store = await fresh();
      const [from, to] = [randomUUID(), randomUUID()];
      await store.putInput(from, Buffer.from('photo'));
      await store.putExtra('mask', from, Buffer.from('model mask'));
      assert.equal(await store.hasFile('input', to), false);
      assert.equal(await store.copyFile('input', from, to), true);
      assert.equal(await store.copyFile('mask', from, to), true);
      assert.equal(await store.hasFile('input', to), true);
      assert.equal((await store.readInput(to)).toString(), 'photo');
      assert.equal((await store.readExtra('mask', to))?.toString(), 'model mask');
      assert.equal(await store.copyFile('background', from, to), false);
      assert.equal(await store.hasFile('background', to), false);
      await store.deleteJob(from);
      assert.equal((await store.readInput(to)).toString(), 'photo', 'the copy outlives its source');
    });

    it('keeps masks and backgrounds apart; a missing one is null', async () => {
      const store = await fresh();
      const id = randomUUID();
      await store.putExtra('mask', id, Buffer.from('mask'));
      assert.equal((await store.readExtra('mask', id))?.toString(), 'mask');
      assert.equal(await store.readExtra('background', id), null);
      await store.putExtra('background', id, Buffer.from('bg'));
      assert.equal((await store.readExtra('background', id))?.toString(), 'bg');
    });

    it('keeps two result slots and the frame masks apart; deleting the job removes them all', async () => {
      const store = await fresh();
      const id = randomUUID();
      await store.putResult(id, Buffer.from('version 1'));
      await store.putResult(id, Buffer.from('version 2'), 1);
      await store.putExtra('frame-mask-1', id, Buffer.from('edited'));
      assert.equal((await drain(await store.openResult(id, 0))).toString(), 'version 1');
      assert.equal((await drain(await store.openResult(id, 1))).toString(), 'version 2');
      assert.equal(await store.hasResult(id, 1), true);
      assert.equal(await store.readExtra('frame-mask-0', id), null);
      assert.equal((await store.readExtra('frame-mask-1', id))?.toString(), 'edited');
      const listed = [];
      for await (const files of store.listJobs()) listed.push(files.jobId);
      assert.deepEqual(listed, [id], 'one job, however many slots');
      await store.deleteJob(id);
      assert.deepEqual([await store.hasResult(id, 0), await store.hasResult(id, 1), await store.readExtra('frame-mask-1', id)], [false, false, null]);
    });

    it('lists every job that has a file, dated by its newest file', async () => {
      const store = await fresh();
      const before = Date.now();
      const ids = Array.from({ length: 5 }, () => randomUUID());
      await store.putInput(ids[0]!, Buffer.from('a'));
      await store.putResult(ids[1]!, Buffer.from('b'));
      await store.putExtra('mask', ids[2]!, Buffer.from('c'));
      await store.putExtra('background', ids[3]!, Buffer.from('d'));
      await Promise.all([store.putInput(ids[4]!, Buffer.from('e')), store.putResult(ids[4]!, Buffer.from('f'))]);
      const jobs = await listed(store);
      assert.deepEqual([...jobs.keys()].sort(), [...ids].sort(), 'each job once');
      for (const at of jobs.values()) assert.ok(Math.abs(at - before) < 60_000, `a modification date (${new Date(at).toISOString()})`);
    });

    it('deletes every file of a job, and only that job; twice is fine', async () => {
      const store = await fresh();
      const [id, other] = [randomUUID(), randomUUID()];
      for (const j of [id, other]) {
        await store.putInput(j, Buffer.from('in'));
        await store.putResult(j, Buffer.from('out'));
        await store.putExtra('mask', j, Buffer.from('m'));
        await store.putExtra('background', j, Buffer.from('bg'));
      }
      await store.deleteJob(id);
      await store.deleteJob(id);
      await store.deleteJob(randomUUID());
      assert.equal(await store.hasResult(id), false);
      await assert.rejects(store.readInput(id));
      assert.equal(await store.readExtra('mask', id), null);
      assert.equal(await store.readExtra('background', id), null);
      assert.deepEqual([...(await listed(store)).keys()], [other]);
      assert.equal((await drain(await store.openResult(other))).toString(), 'out');
    });

    it('round-trips a large body (12 MB: multipart on S3) byte for byte', async () => {
      const store = await fresh();
      const id = randomUUID();
      const big = body(12 * 1024 * 1024 + 123, 1);
      await store.putResult(id, big);
      await store.putInput(id, big);
      assert.equal(sha(await drain(await store.openResult(id))), sha(big));
      assert.equal(sha(await store.readInput(id)), sha(big));
    });

    it('concurrent writes of one key leave one whole body; of many keys, each its own', async () => {
      const store = await fresh();
      const id = randomUUID();
      const bodies = [1, 2, 3, 4].map((seed) => body(6 * 1024 * 1024 + seed, seed));
      await Promise.all(bodies.map((b) => store.putResult(id, b)));
      const got = sha(await drain(await store.openResult(id)));
      assert.ok(bodies.some((b) => sha(b) === got), 'the stored result is one of the bodies written, whole');
      const ids = Array.from({ length: 8 }, () => randomUUID());
      await Promise.all(ids.map((j, i) => store.putResult(j, body(1000 + i, i))));
      for (const [i, j] of ids.entries()) assert.equal(sha(await drain(await store.openResult(j))), sha(body(1000 + i, i)));
    });

    it('refuses ids that are not job ids', async () => {
      const store = await fresh();
      await assert.rejects(store.readInput('../../etc/passwd'), /invalid job id/);
      await assert.rejects(store.putResult('x/../../y', Buffer.from('')), /invalid job id/);
      await assert.rejects(store.deleteJob('../results'), /invalid job id/);
    });
  });
}
