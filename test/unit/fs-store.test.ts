import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { FsBlobStore } from '../../src/storage/fs-store.js';

describe('filesystem blob store', async () => {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'cutout-store-'));
  after(() => fs.rm(root, { recursive: true, force: true }));
  const store = new FsBlobStore(root);

  it('stores inputs and results by job id and deletes them', async () => {
    const id = randomUUID();
    await store.putInput(id, Buffer.from('in'));
    assert.equal((await store.readInput(id)).toString(), 'in');
    assert.equal(await store.openResult(id), null);
    await store.putResult(id, Buffer.from('png'));
    const blob = await store.openResult(id);
    assert.equal(blob?.size, 3);
    blob?.stream.destroy();
    const listed = [];
    for await (const j of store.listJobs()) listed.push(j.jobId);
    assert.deepEqual(listed, [id]);
    await store.deleteJob(id);
    assert.equal(await store.hasResult(id), false);
    await store.deleteJob(id); // idempotent
  });

  it('never leaves a partly written file under the final name', async () => {
    const id = randomUUID();
    const big = Buffer.alloc(8 * 1024 * 1024, 7);
    const writes = Array.from({ length: 4 }, () => store.putResult(id, big));
    await Promise.all(writes);
    const names = await fs.readdir(path.join(root, 'results'));
    assert.deepEqual(names.filter((n) => n.includes(id)), [`${id}.png`]);
    assert.equal((await fs.stat(path.join(root, 'results', `${id}.png`))).size, big.length);
  });

  it('refuses ids that are not job ids (no path traversal)', async () => {
    await assert.rejects(store.readInput('../../etc/passwd'), /invalid job id/);
    await assert.rejects(store.putResult('x/../../y', Buffer.from('')), /invalid job id/);
  });
});
