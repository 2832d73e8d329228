// s3rver as a process of its own (started by test/helpers/s3.ts): `s3rver-main.ts <dir> <bucket>`.
// Prints {"port":N} once it listens on a free loopback port; stops on SIGTERM.
//
// One repair, so the tests hold the driver to S3's contract and not to an s3rver shortcut: its
// filesystem store (3.7.1) writes an object in place and answers before the file is flushed, so a
// reader could see part of an object and two writers could interleave. S3 and MinIO make an object
// appear whole when its PUT or multipart upload completes. putObject here writes a temp file and
// renames it into place, as they behave; everything else (the protocol) is s3rver's own.
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

interface S3rver {
  run(): Promise<AddressInfo>;
  httpServer?: Server;
}
interface StoredObject {
  bucket: string;
  key: string;
  metadata: Record<string, string>;
  content: Buffer | Readable;
}
interface FilesystemStore {
  rootDirectory: string;
  getResourcePath(bucket: string, key: string, resource: string): string;
  putMetadata(bucket: string, key: string, metadata: Record<string, string>, md5: string): Promise<void>;
  putObject(object: StoredObject): Promise<{ size: number; md5: string }>;
}
const require = createRequire(import.meta.url);
const S3rverCtor = require('s3rver') as new (options: Record<string, unknown>) => S3rver;
const Store = require('s3rver/lib/stores/filesystem') as { prototype: FilesystemStore };

Store.prototype.putObject = async function atomicPut(this: FilesystemStore, object: StoredObject) {
  const target = this.getResourcePath(object.bucket, object.key, 'object');
  const tmp = path.join(`${this.rootDirectory}-tmp`, randomUUID());
  await fs.mkdir(path.dirname(target), { recursive: true });
  await fs.mkdir(path.dirname(tmp), { recursive: true });
  const md5 = createHash('md5');
  let size = 0;
  const count = new Transform({
    transform(chunk: Buffer, _enc, done) {
      md5.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  const content = Buffer.isBuffer(object.content) ? Readable.from([object.content]) : object.content;
  await pipeline(content, count, createWriteStream(tmp));
  const digest = md5.digest('hex');
  await this.putMetadata(object.bucket, object.key, object.metadata, digest);
  await fs.rename(tmp, target);
  return { size, md5: digest };
};

const [directory, bucket] = process.argv.slice(2);
if (!directory || !bucket) throw new Error('usage: s3rver-main.ts <dir> <bucket>');
const server = new S3rverCtor({ address: '127.0.0.1', port: 0, silent: process.env.TEST_S3_LOG !== '1', directory, configureBuckets: [{ name: bucket }] });
const { port } = await server.run();
process.stdout.write(`${JSON.stringify({ port })}\n`);
process.once('SIGTERM', () => {
  server.httpServer?.closeAllConnections();
  server.httpServer?.close(() => process.exit(0));
});
