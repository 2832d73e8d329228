// The S3 driver against a real S3-protocol server (s3rver on a free loopback port): the BlobStore
// contract, the key layout, presigned result links, and what a reader sees of an unfinished upload.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { CompleteMultipartUploadCommand, CreateMultipartUploadCommand, ListObjectsV2Command, S3Client, UploadPartCommand } from '@aws-sdk/client-s3';
import { S3BlobStore, type S3StoreOptions } from '../../src/storage/s3-store.js';
import { blobStoreContract } from '../helpers/blob-store-contract.js';
import { installLoopbackGuard } from '../helpers/loopback-only.js';
import { startTestS3, type TestS3 } from '../helpers/s3.js';

const guard = installLoopbackGuard();
let s3: TestS3;
before(async () => {
  s3 = await startTestS3();
});
after(async () => {
  await s3.stop();
  guard.check();
  guard.remove();
});

const options = (prefix: string): S3StoreOptions => ({
  bucket: s3.bucket,
  region: 'us-east-1',
  endpoint: s3.endpoint,
  accessKeyId: 'S3RVER',
  secretAccessKey: 'S3RVER',
  forcePathStyle: true,
  prefix,
  listPageSize: 2, // listJobs walks several pages
});

// Each store of the contract gets a key prefix of its own in the one bucket.
blobStoreContract('s3', async () => {
  const store = new S3BlobStore(options(`contract-${randomUUID().slice(0, 8)}/`));
  return { store, done: async () => store.close() };
});

describe('S3 blob store', () => {
  const client = () => new S3Client({ region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });

  it('lays keys out as the filesystem does, under the prefix', async () => {
    const store = new S3BlobStore(options('layout/deep/'));
    const id = randomUUID();
    await store.putInput(id, Buffer.from('i'));
    await store.putResult(id, Buffer.from('r'));
    await store.putExtra('mask', id, Buffer.from('m'));
    await store.putExtra('background', id, Buffer.from('b'));
    const c = client();
    const listing = await c.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: 'layout/' }));
    assert.deepEqual(
      (listing.Contents ?? []).map((o) => o.Key).sort(),
      ['backgrounds', 'inputs', 'masks', 'results'].map((d) => `layout/deep/${d}/${id}`),
    );
    c.destroy();
    store.close();
  });

  it('signs a result link that answers the bytes with the given type and download name', async () => {
    const store = new S3BlobStore(options('links/'));
    const id = randomUUID();
    await store.putResult(id, Buffer.from('a webp'));
    const url = await store.resultUrl(id, {
      contentType: 'image/webp',
      contentDisposition: 'inline; filename="photo-cutout.webp"',
      cacheControl: 'private, max-age=3600',
      expiresInSeconds: 60,
    });
    assert.match(url, /X-Amz-Expires=60&/);
    assert.match(url, /X-Amz-Signature=[0-9a-f]{64}/);
    const res = await fetch(url);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'image/webp');
    assert.equal(res.headers.get('content-disposition'), 'inline; filename="photo-cutout.webp"');
    assert.equal(await res.text(), 'a webp');
    store.close();
  });

  it('shows nothing of an upload until it completes (no half-written object)', async () => {
    const store = new S3BlobStore(options('atomic/'));
    const id = randomUUID();
    const key = store.key('result', id);
    const c = client();
    const { UploadId } = await c.send(new CreateMultipartUploadCommand({ Bucket: s3.bucket, Key: key }));
    const part = Buffer.alloc(5 * 1024 * 1024, 1);
    const { ETag } = await c.send(new UploadPartCommand({ Bucket: s3.bucket, Key: key, UploadId, PartNumber: 1, Body: part }));
    assert.equal(await store.hasResult(id), false, 'a part uploaded, not completed: no object');
    assert.equal(await store.openResult(id), null);
    await c.send(new CompleteMultipartUploadCommand({ Bucket: s3.bucket, Key: key, UploadId, MultipartUpload: { Parts: [{ ETag, PartNumber: 1 }] } }));
    const blob = await store.openResult(id);
    assert.equal(blob?.size, part.length, 'complete: the whole object at once');
    blob?.stream.destroy();
    c.destroy();
    store.close();
  });

  it('a missing bucket is a fault, not a missing file', async () => {
    const store = new S3BlobStore({ ...options(''), bucket: 'no-such-bucket' });
    await assert.rejects(store.openResult(randomUUID()), /bucket/i);
    store.close();
  });
});
