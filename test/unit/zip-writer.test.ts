// The page's ZIP writer (Download all): what it writes, a maintained reader (yauzl) reads back,
// byte for byte, with UTF-8 names and the CRC-32 that zlib computes.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import zlib from 'node:zlib';
import yauzl from 'yauzl';
import { crc32, zipBlob } from '../../src/web/zip-writer.js';

describe('page ZIP writer', () => {
  it('computes the CRC-32 that zlib does', () => {
    for (const data of [Buffer.alloc(0), Buffer.from('hello'), randomBytes(70_000)]) assert.equal(crc32(new Uint8Array(data)), zlib.crc32(data));
  });

  it('writes an archive yauzl reads back: names, bytes and CRCs', async () => {
    const files: [string, Buffer][] = [['shoe-cutout.png', randomBytes(5000)], ['café-cutout.webp', randomBytes(17)], ['empty-cutout.png', Buffer.alloc(0)]];
    const blob = zipBlob(files.map(([name, data]) => ({ name, data: new Uint8Array(data) })));
    const zip = await yauzl.fromBufferPromise(Buffer.from(await blob.arrayBuffer()), { lazyEntries: true });
    const read: [string, Buffer, number][] = [];
    await new Promise<void>((resolve, reject) => {
      zip.on('entry', (entry: yauzl.Entry) => {
        zip.openReadStreamPromise(entry).then(async (stream) => {
          const chunks: Buffer[] = [];
          for await (const c of stream as AsyncIterable<Buffer>) chunks.push(c);
          read.push([entry.fileName, Buffer.concat(chunks), entry.crc32]);
          zip.readEntry();
        }, reject);
      });
      zip.on('end', resolve);
      zip.on('error', reject);
      zip.readEntry();
    });
    assert.deepEqual(read.map(([name]) => name), files.map(([name]) => name));
    for (const [i, [, data, crc]] of read.entries()) {
      assert.ok(data.equals(files[i]![1]));
      assert.equal(crc, zlib.crc32(data));
    }
  });
});
