// Settings that are each valid but not together (config.ts parses each one; loadConfig asks this
// file for the rest and names every problem at once).
import { CUSTOM_MODEL } from './cutout/catalogue.js';
import type { RawConfig } from './config.js';

/** Settings that are each valid but not together. */
export function combinationProblems(c: RawConfig): string[] {
  const problems: string[] = [];
  if (c.MODELS.includes(CUSTOM_MODEL) && (!c.MODEL_PATH || !c.MODEL_SHA256)) {
    problems.push('MODELS with custom needs MODEL_PATH (an .onnx file) and MODEL_SHA256 (its checksum)');
  }
  const strangers = c.WORKER_MODELS.filter((m) => !c.MODELS.includes(m));
  if (strangers.length > 0) problems.push(`WORKER_MODELS lists ${strangers.join(', ')}, not in MODELS (${c.MODELS.join(', ')}): a worker serves some of MODELS`);
  if (c.ENGINE === 'removebg' && (!c.REMOVEBG_API_URL || !c.REMOVEBG_API_KEY)) {
    const missing = [!c.REMOVEBG_API_URL && 'REMOVEBG_API_URL (the API\'s base, e.g. https://api.remove.bg/v1.0)', !c.REMOVEBG_API_KEY && 'REMOVEBG_API_KEY (its API key)'].filter(Boolean);
    problems.push(`ENGINE=removebg needs ${missing.join(' and ')}`);
  }
  if (c.STORAGE === 's3') {
    if (!c.S3_BUCKET) problems.push('STORAGE=s3 needs S3_BUCKET (the bucket that holds the files)');
    if (!c.S3_ACCESS_KEY_ID !== !c.S3_SECRET_ACCESS_KEY) {
      const missing = c.S3_ACCESS_KEY_ID ? 'S3_SECRET_ACCESS_KEY' : 'S3_ACCESS_KEY_ID';
      problems.push(`STORAGE=s3 needs ${missing} too: set both keys, or neither to use the SDK's default credentials`);
    }
  }
  if (c.REDIS_SENTINELS.length > 0 && c.REDIS_CLUSTER_NODES.length > 0) {
    problems.push('REDIS_SENTINELS and REDIS_CLUSTER_NODES are both set: choose one (Sentinel or Cluster)');
  }
  if (c.REDIS_SENTINELS.length > 0 && !c.REDIS_SENTINEL_NAME) {
    problems.push('REDIS_SENTINELS needs REDIS_SENTINEL_NAME (the master\'s name in the Sentinels\' "sentinel monitor <name>" line, often mymaster)');
  }
  if (c.REDIS_WAIT_REPLICAS > 0 && c.REDIS_CLUSTER_NODES.length > 0) {
    problems.push('REDIS_WAIT_REPLICAS works with a single node or Sentinel, not with REDIS_CLUSTER_NODES: set it to 0');
  }
  if (c.REDIS_SENTINEL_NAME && c.REDIS_SENTINELS.length === 0) {
    problems.push('REDIS_SENTINEL_NAME is set but REDIS_SENTINELS is not: list the Sentinels as host:port, comma-separated');
  }
  if (c.RESULT_DELIVERY === 'redirect' && c.STORAGE !== 's3') {
    problems.push('RESULT_DELIVERY=redirect needs STORAGE=s3 (a presigned URL points into the bucket); use proxy with STORAGE=fs');
  }
  return problems;
}
