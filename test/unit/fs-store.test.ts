import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { FsBlobStore } from '../../src/storage/fs-store.js';
import { blobStoreContract } from '../helpers/blob-store-contract.js';

blobStoreContract('filesystem', async () => {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'cutout-store-'));
  return { store: new FsBlobStore(root), done: () => fs.rm(root, { recursive: true, force: true }) };
});

describe('filesystem blob store', async () => {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'cutout-store-'));
  after(() => fs.rm(root, { recursive: true, force: true }));
  const store = new FsBlobStore(root);

  it('never leaves a partly written file under the final name', async () => {
    const id = randomUUID();
    const big = Buffer.alloc(8 * 1024 * 1024, 7);
    const writes = Array.from({ length: 4 }, () => store.putResult(id, big));
    await Promise.all(writes);
    const names = await fs.readdir(path.join(root, 'results'));
    assert.deepEqual(names.filter((n) => n.includes(id)), [`${id}.png`]);
    assert.equal((await fs.stat(path.join(root, 'results', `${id}.png`))).size, big.length);
  });

  it('deletes a temp file left by a crash mid-write once it is a minute old, and lists no job for it', async () => {
    const id = randomUUID();
    const tmp = path.join(root, 'results', `${id}.png.abcdef.tmp`);
    await fs.writeFile(tmp, 'half');
    const old = new Date(Date.now() - 120_000);
    await fs.utimes(tmp, old, old);
    const ids = [];
    for await (const j of store.listJobs()) ids.push(j.jobId);
    assert.ok(!ids.includes(id));
    await assert.rejects(fs.access(tmp));
    assert.equal(await store.openResult(id), null, 'a half-written file is never served');
  });
});
