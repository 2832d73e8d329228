// BlobStore on an S3 bucket (AWS S3 or an S3-compatible server: MinIO, Ceph, R2…), so the api and
// the workers share no directory. Keys mirror the filesystem layout under an optional prefix:
//   <prefix>inputs/<id>  <prefix>results/<id>  <prefix>masks/<id>  <prefix>backgrounds/<id> … (BLOB_DIRS)
// A half-written object is never served: a PUT, and a multipart upload's completion, make an
// object appear whole or not at all (S3 has no partial objects); a failed multipart upload is
// aborted, and a bucket lifecycle rule removes the parts of one whose process died (README).
import type { Readable } from 'node:stream';
import {
  CopyObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { isJobId } from '../jobs/contract.js';
import { BLOB_DIRS, resultKind, type BlobStore, type ExtraKind, type JobFiles, type ResultLink, type ResultSlot, type StoredBlob } from './blob-store.js';

const KINDS = BLOB_DIRS;
type Kind = keyof typeof KINDS;

/** S3's smallest part; bodies larger than this go up in parts, up to 4 at once. */
export const PART_SIZE = 5 * 1024 * 1024;

export interface S3StoreOptions {
  bucket: string;
  region: string;
  /** An S3-compatible server's address; empty for AWS. */
  endpoint?: string;
  /** The address presigned URLs point at, when clients reach the server elsewhere than the api does. */
  publicEndpoint?: string;
  /** Both or neither: neither uses the SDK's default credential chain. */
  accessKeyId?: string;
  secretAccessKey?: string;
  forcePathStyle?: boolean;
  /** Every key starts with it: '' or segments ending in '/'. */
  prefix?: string;
  /** Keys per ListObjectsV2 page (1000, S3's maximum); the tests make it small to walk pages. */
  listPageSize?: number;
}

/** A 404 for the object (not for the bucket: a missing bucket is a fault, not a missing file). */
function isMissing(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  if (e.name === 'NoSuchBucket') return false;
  return e.name === 'NoSuchKey' || e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404;
}

/** As the filesystem driver answers a missing input: an error with code ENOENT. */
function notFound(key: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`no such object: ${key}`), { code: 'ENOENT' });
}

function clientConfig(o: S3StoreOptions, endpoint: string | undefined): S3ClientConfig {
  return {
    region: o.region,
    ...(endpoint ? { endpoint } : {}),
    forcePathStyle: o.forcePathStyle ?? false,
    ...(o.accessKeyId && o.secretAccessKey ? { credentials: { accessKeyId: o.accessKeyId, secretAccessKey: o.secretAccessKey } } : {}),
    // Checksums only where the operation requires one: S3-compatible servers (MinIO releases,
    // s3rver, Ceph) do not all understand the SDK's default aws-chunked trailing checksums.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  };
}

export class S3BlobStore implements BlobStore {
  private readonly client: S3Client;
  private readonly signer: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;

  constructor(private readonly options: S3StoreOptions) {
    this.bucket = options.bucket;
    this.prefix = options.prefix ?? '';
    this.client = new S3Client(clientConfig(options, options.endpoint));
    this.signer = options.publicEndpoint ? new S3Client(clientConfig(options, options.publicEndpoint)) : this.client;
  }

  /** Job ids are validated before they become keys. */
  key(kind: Kind, jobId: string): string {
    if (!isJobId(jobId)) throw new Error(`invalid job id: ${JSON.stringify(jobId)}`);
    return `${this.prefix}${KINDS[kind]}/${jobId}`;
  }

  /** One PUT for a small body; a multipart upload (parts in parallel) for a large one. */
  private async write(key: string, bytes: Buffer): Promise<void> {
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: key, Body: bytes },
      partSize: PART_SIZE,
      queueSize: 4,
      leavePartsOnError: false,
    });
    await upload.done();
  }

  private async get(key: string): Promise<{ size: number; stream: Readable } | null> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return { size: out.ContentLength ?? 0, stream: out.Body as Readable };
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
  }

  private async readAll(key: string): Promise<Buffer | null> {
    const found = await this.get(key);
    if (!found) return null;
    const chunks: Buffer[] = [];
    for await (const chunk of found.stream) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  async putInput(jobId: string, bytes: Buffer) {
    return this.write(this.key('input', jobId), bytes);
  }

  async readInput(jobId: string): Promise<Buffer> {
    const key = this.key('input', jobId);
    const bytes = await this.readAll(key);
    if (!bytes) throw notFound(key);
    return bytes;
  }

  async putResult(jobId: string, bytes: Buffer, slot?: ResultSlot) {
    return this.write(this.key(resultKind(slot), jobId), bytes);
  }

  /** The object's body as it arrives from S3: nothing is buffered. */
  async openResult(jobId: string, slot?: ResultSlot): Promise<StoredBlob | null> {
    return this.get(this.key(resultKind(slot), jobId));
  }

  async copyResult(fromJobId: string, toJobId: string): Promise<boolean> {
    return this.copyFile('result', fromJobId, toJobId);
  }

  /** A server-side copy: the bytes never pass through this process. */
  async copyFile(kind: Kind, fromJobId: string, toJobId: string): Promise<boolean> {
    const source = `${this.bucket}/${this.key(kind, fromJobId).split('/').map(encodeURIComponent).join('/')}`;
    try {
      await this.client.send(new CopyObjectCommand({ Bucket: this.bucket, Key: this.key(kind, toJobId), CopySource: source }));
      return true;
    } catch (err) {
      if (isMissing(err)) return false;
      throw err;
    }
  }

  async putExtra(kind: ExtraKind, jobId: string, bytes: Buffer) {
    return this.write(this.key(kind, jobId), bytes);
  }

  async readExtra(kind: ExtraKind, jobId: string): Promise<Buffer | null> {
    return this.readAll(this.key(kind, jobId));
  }

  async hasResult(jobId: string, slot?: ResultSlot): Promise<boolean> {
    return this.hasFile(resultKind(slot), jobId);
  }

  async hasFile(kind: Kind, jobId: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.key(kind, jobId) }));
      return true;
    } catch (err) {
      if (isMissing(err)) return false;
      throw err;
    }
  }

  /** Every key of the job in one DeleteObjects request; keys that do not exist are not an error. */
  async deleteJob(jobId: string): Promise<void> {
    const keys = (Object.keys(KINDS) as Kind[]).map((k) => ({ Key: this.key(k, jobId) }));
    const out = await this.client.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: keys, Quiet: true } }));
    const failed = out.Errors ?? [];
    if (failed.length > 0) throw new Error(`could not delete ${failed.map((e) => `${e.Key}: ${e.Code}`).join(', ')}`);
  }

  /**
   * Walks the prefix page by page (ListObjectsV2); a job's newest object dates it. Pages follow
   * on from the last key seen (StartAfter): every S3-compatible server has it, while some cannot
   * read back their own continuation tokens (s3rver's need DES, which OpenSSL 3 has dropped).
   */
  async *listJobs(): AsyncIterable<JobFiles> {
    const seen = new Map<string, number>();
    const layout = new RegExp(`^(${Object.values(KINDS).join('|')})/([^/]+)$`);
    let after: string | undefined;
    for (;;) {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix, StartAfter: after, MaxKeys: this.options.listPageSize ?? 1000 }),
      );
      const objects = page.Contents ?? [];
      for (const object of objects) {
        const id = layout.exec((object.Key ?? '').slice(this.prefix.length))?.[2];
        if (!id || !isJobId(id)) continue;
        seen.set(id, Math.max(seen.get(id) ?? 0, object.LastModified?.getTime() ?? 0));
      }
      after = objects.at(-1)?.Key;
      if (!page.IsTruncated || !after) break;
    }
    for (const [jobId, modifiedAt] of seen) yield { jobId, modifiedAt };
  }

  /** A presigned GET of the result that answers with the given Content-Type and Content-Disposition. */
  async resultUrl(jobId: string, link: ResultLink, slot?: ResultSlot): Promise<string> {
    const command = new GetObjectCommand({
      Bucket: this.bucket,
      Key: this.key(resultKind(slot), jobId),
      ResponseContentType: link.contentType,
      ResponseContentDisposition: link.contentDisposition,
      ResponseCacheControl: link.cacheControl,
    });
    return getSignedUrl(this.signer, command, { expiresIn: link.expiresInSeconds });
  }

  close(): void {
    this.client.destroy();
    if (this.signer !== this.client) this.signer.destroy();
  }
}
