// The one place that turns the configuration into a BlobStore: a directory (STORAGE=fs) or an S3
// bucket (STORAGE=s3). The api, the workers, `npm run cleanup` and the tests all come here.
import type { Config } from '../config.js';
import type { BlobStore } from './blob-store.js';

export type StorageConfig = Pick<
  Config,
  | 'STORAGE'
  | 'DATA_DIR'
  | 'S3_ENDPOINT'
  | 'S3_PUBLIC_ENDPOINT'
  | 'S3_REGION'
  | 'S3_BUCKET'
  | 'S3_ACCESS_KEY_ID'
  | 'S3_SECRET_ACCESS_KEY'
  | 'S3_FORCE_PATH_STYLE'
  | 'S3_PREFIX'
>;

/** The S3 driver (and the AWS SDK) is loaded only when it is used. */
export async function createBlobStore(config: StorageConfig): Promise<BlobStore> {
  if (config.STORAGE === 'fs') {
    const { FsBlobStore } = await import('./fs-store.js');
    return new FsBlobStore(config.DATA_DIR);
  }
  const { S3BlobStore } = await import('./s3-store.js');
  return new S3BlobStore({
    bucket: config.S3_BUCKET,
    region: config.S3_REGION,
    endpoint: config.S3_ENDPOINT,
    publicEndpoint: config.S3_PUBLIC_ENDPOINT,
    accessKeyId: config.S3_ACCESS_KEY_ID,
    secretAccessKey: config.S3_SECRET_ACCESS_KEY,
    forcePathStyle: config.S3_FORCE_PATH_STYLE,
    prefix: config.S3_PREFIX,
  });
}
