// A private S3-protocol server for the tests: s3rver (from npm) in its own process on a free
// loopback port, storing in a temp dir, with one bucket (test/helpers/s3rver-main.ts). MinIO's
// binary cannot be obtained on this machine; s3rver speaks the same HTTP API (multipart uploads,
// CopyObject, DeleteObjects, ListObjectsV2, presigned URLs with response header overrides), which
// is all the S3 driver uses. It checks the access key id but does not verify SigV4 signatures.
// It runs with --openssl-legacy-provider: its ListObjectsV2 continuation tokens are encrypted with
// DES, which OpenSSL 3 keeps in its legacy provider.
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export interface TestS3 {
  endpoint: string;
  bucket: string;
  /** The environment that points Cutout's STORAGE=s3 at this server. */
  env: Record<string, string>;
  /** Keys in the bucket (s3rver keeps each object as files under its directory). */
  keys(): Promise<string[]>;
  stop(): Promise<void>;
}

/** s3rver checks signatures against this key pair (the one its docs use). */
const KEY = 'S3RVER';

export async function startTestS3(bucket = 'cutout-test'): Promise<TestS3> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cutout-s3-'));
  const root = path.join(dir, 'data');
  await fs.mkdir(root);
  const main = fileURLToPath(new URL('./s3rver-main.ts', import.meta.url));
  const child = spawn(process.execPath, ['--openssl-legacy-provider', '--import', 'tsx', main, root, bucket], {
    stdio: ['ignore', 'pipe', process.env.TEST_S3_LOG === '1' ? 'inherit' : 'ignore'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`s3rver exited (${code}) before it listened`)));
    createInterface({ input: child.stdout! }).once('line', (line) => resolve((JSON.parse(line) as { port: number }).port));
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const suffix = '._S3rver_object';
  return {
    endpoint,
    bucket,
    env: {
      STORAGE: 's3',
      S3_ENDPOINT: endpoint,
      S3_REGION: 'us-east-1',
      S3_BUCKET: bucket,
      S3_ACCESS_KEY_ID: KEY,
      S3_SECRET_ACCESS_KEY: KEY,
      S3_FORCE_PATH_STYLE: 'true',
    },
    async keys() {
      const base = path.join(root, bucket);
      const files = await fs.readdir(base, { recursive: true });
      return files.filter((f) => f.endsWith(suffix)).map((f) => f.slice(0, -suffix.length).split(path.sep).join('/')).sort();
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}
