// The one place that reads process.env. Every setting is listed in .env.example and the README.
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { DEFAULT_MODEL, MODEL_NAMES } from './cutout/catalogue.js';
import { allowEntryProblem } from './net/allow-list.js';
import { DEFAULT_LIMITS } from './vocabulary.js';
import { isWebhookSecret } from './webhooks/sign.js';
import type { PipelineOptions } from './cutout/pipeline.js';
import { workerModels } from './jobs/lanes.js';
import { bool, csv, hostPorts, int } from './config-values.js';
import { combinationProblems } from './config-combinations.js';

export const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: int(0, 65535).default(8000),
  /** Public base URL used in Location headers and result links; empty means relative links. */
  PUBLIC_URL: z.union([z.literal(''), z.url()]).default(''),
  /** Single-node Redis (the default mode); ignored when REDIS_SENTINELS or REDIS_CLUSTER_NODES is set. */
  REDIS_URL: z.url().default('redis://127.0.0.1:6379'),
  /** Sentinel mode: the Sentinels as host:port, comma-separated; they name the master to use. */
  REDIS_SENTINELS: hostPorts.default([]),
  /** Sentinel mode: the master's name as the Sentinels know it (sentinel monitor <name> …). */
  REDIS_SENTINEL_NAME: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'letters, digits, ., - and _ only').optional(),
  /** Cluster mode: some of the Cluster's nodes as host:port, comma-separated; the rest are discovered. */
  REDIS_CLUSTER_NODES: hostPorts.default([]),
  /** Password for Sentinel and Cluster data nodes (single node: put it in REDIS_URL). Empty: none. */
  REDIS_PASSWORD: z.string().default(''),
  /**
   * An upload is answered 202 only once its job reached this many replicas (Redis WAIT, up to
   * 1 s; else 503 and the job is withdrawn). Set to the number of replicas, a failover loses no
   * accepted upload. 0: answered once the master has it.
   */
  REDIS_WAIT_REPLICAS: int(0, 16).default(0),
  QUEUE_NAME: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, - and _ only')
    .default('remove-bg'),
  DATA_DIR: z.string().min(1).default('./data'),
  /** Where inputs, results, masks and backgrounds live: a directory (DATA_DIR) or an S3 bucket. */
  STORAGE: z.enum(['fs', 's3']).default('fs'),
  /** An S3-compatible server's address (MinIO, Ceph, R2…); empty = AWS S3 in S3_REGION. */
  S3_ENDPOINT: z.union([z.literal(''), z.url({ protocol: /^https?$/ })]).default(''),
  /** The address clients are sent to by RESULT_DELIVERY=redirect, when it differs from S3_ENDPOINT. */
  S3_PUBLIC_ENDPOINT: z.union([z.literal(''), z.url({ protocol: /^https?$/ })]).default(''),
  S3_REGION: z.string().min(1).default('us-east-1'),
  S3_BUCKET: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name: 3-63 lower-case letters, digits, dots, hyphens').optional(),
  /** Empty (both): the SDK's default credentials (environment, profile, instance or pod role). */
  S3_ACCESS_KEY_ID: z.string().default(''),
  S3_SECRET_ACCESS_KEY: z.string().default(''),
  /** bucket in the path (http://host/bucket/key), as MinIO and most S3-compatible servers want. */
  S3_FORCE_PATH_STYLE: bool.default(false),
  /** Put every key under this prefix (e.g. cutout/), so one bucket can hold several deployments. */
  S3_PREFIX: z
    .string()
    .regex(/^([A-Za-z0-9!_.*'()-]+\/)*$/, "path segments each ending in /, e.g. cutout/ or prod/cutout/")
    .default(''),
  /** GET /result: stream the file through the api (proxy) or answer 302 to a presigned URL (redirect, S3 only). */
  RESULT_DELIVERY: z.enum(['proxy', 'redirect']).default('proxy'),
  /** How long a presigned result URL is valid (RESULT_DELIVERY=redirect). */
  RESULT_URL_TTL_SECONDS: int(1, 7 * 24 * 3600).default(300),
  /** Where model files are: the shipped weights are assembled there, other models are put there. Defaults to DATA_DIR/models. */
  MODEL_DIR: z.string().default(''),
  /**
   * The models workers load and jobs may ask for, by catalogue name (src/cutout/catalogue.ts),
   * comma-separated; the first is the default. The api and every worker must list the same.
   */
  MODELS: csv
    .default([DEFAULT_MODEL])
    .check((ctx) => {
      if (ctx.value.length === 0) ctx.issues.push({ code: 'custom', message: 'at least one model', input: ctx.value });
      for (const name of ctx.value) {
        if (!MODEL_NAMES.includes(name)) ctx.issues.push({ code: 'custom', message: `unknown model "${name}"; known: ${MODEL_NAMES.join(', ')}`, input: ctx.value });
      }
      if (new Set(ctx.value).size !== ctx.value.length) ctx.issues.push({ code: 'custom', message: 'a model is listed twice', input: ctx.value });
    }),
  /** Workers: the models this one loads and serves (some of MODELS); empty: all of MODELS. */
  WORKER_MODELS: csv.default([]),
  /** With custom in MODELS: path to an ISNet-compatible .onnx file, and its sha256. */
  MODEL_PATH: z.string().default(''),
  MODEL_SHA256: z.union([z.literal(''), z.string().regex(/^[a-f0-9]{64}$/, '64 hex digits')]).default(''),
  /**
   * What makes the masks: `local` (the model, in the worker) or `removebg` (an external
   * remove.bg-compatible API: remove.bg itself, or another Cutout; no model is loaded).
   */
  ENGINE: z.enum(['local', 'removebg']).default('local'),
  /** ENGINE=removebg: the API's base, e.g. https://api.remove.bg/v1.0 or http://other-cutout:8000/v1.0. */
  REMOVEBG_API_URL: z.union([z.literal(''), z.url({ protocol: /^https?$/ })]).default(''),
  /** ENGINE=removebg: the API key sent in X-Api-Key (never logged). */
  REMOVEBG_API_KEY: z.string().default(''),
  /** ENGINE=removebg: one time limit for each call to the API (upload, processing, answer). */
  REMOVEBG_TIMEOUT_SECONDS: z.coerce.number().positive().max(600).default(60),
  INFERENCE_THREADS: int(1, 256).default(os.availableParallelism()),
  /**
   * Threads besides the worker's main one for the image work around the model (the exact resizes,
   * edge refinement), which runs while the model's threads are idle. Default: INFERENCE_THREADS − 1,
   * at most 3. 0 = all of it on the main thread. The result is the same bytes either way.
   */
  PIXEL_THREADS: int(0, 16).optional(),
  /**
   * Where the model runs: `cpu`, or `cuda` (onnxruntime-node's CUDA execution provider: Linux x64
   * with an NVIDIA GPU, CUDA 12 and cuDNN 9). With `cuda`, a worker that cannot use it stops at
   * start-up and says what is missing (src/cutout/execution-provider.ts).
   */
  EXECUTION_PROVIDER: z.enum(['cpu', 'cuda']).default('cpu'),
  /**
   * `fast`: onnxruntime keeps its CPU arena, the model's working memory held between images.
   * `lean`: the arena off, that memory returned after each image: on 2 cores the worker's peak
   * 1434 → 1040 MB, an image 19% slower end to end (with the worker's GLIBC_TUNABLES:
   * src/worker/glibc-tunables.ts; `npm run bench` measures both).
   */
  INFERENCE_MEMORY: z.enum(['fast', 'lean']).default('fast'),
  /**
   * A model with float16 weights (the default ISNet) on the CPU: `widen` loads it as float32
   * (src/cutout/widen.ts; on 2 cores the model call ~4% faster and the worker's peak ~290 MB
   * lower), `keep` as it is. CUDA always loads the file as it is.
   */
  INFERENCE_FLOAT16: z.enum(['widen', 'keep']).default('widen'),
  /**
   * Workers: glibc's allocator settings. Not read by Cutout but by glibc, once, when the process
   * starts, so whatever starts a worker sets it (the worker image, `npm run start:worker`, the demo);
   * the worker only checks it and says so at start-up when it lacks a fixed mmap threshold
   * (src/worker/glibc-tunables.ts).
   */
  GLIBC_TUNABLES: z.string().optional(),
  WORKER_CONCURRENCY: int(1, 64).default(1),
  /**
   * Workers: the nice value their threads run at (0 = as the api, 19 = lowest). Inference is batch
   * work: where the api and Redis share cores with a worker, they answer first (GET /status stays
   * quick during a burst); on a machine of its own the worker runs as fast as with 0.
   */
  WORKER_NICE: int(0, 19).default(10),
  MAX_UPLOAD_BYTES: int(1024).default(DEFAULT_LIMITS.maxUploadBytes),
  MAX_IMAGE_PIXELS: int(1).default(DEFAULT_LIMITS.maxImagePixels),
  /** POST /batches: items per batch (files, and the files of its ZIP archives). */
  MAX_BATCH_ITEMS: int(1, 10_000).default(500),
  /** POST /batches: bytes per request, and bytes of all its items once archives are expanded (each limit on its own). */
  MAX_BATCH_BYTES: int(1024).default(200 * 1024 * 1024),
  JOB_ATTEMPTS: int(1, 20).default(3),
  /**
   * A job whose worker stops renewing its lock (killed) is handed to another after this. The
   * model runs in its own thread, so renewals are not held up by an inference; the floor of 10 s
   * leaves room for a loaded machine's pauses (garbage collection, a busy Redis).
   */
  JOB_LOCK_SECONDS: int(10, 3600).default(30),
  RESULT_TTL_MINUTES: z.coerce.number().positive().max(60 * 24 * 365).default(60),
  CLEANUP_INTERVAL_SECONDS: int(1, 86_400).default(60),
  SHUTDOWN_GRACE_SECONDS: int(1, 3600).default(30),
  /** zlib's level for PNG results (png.ts: rows with PNG's Up filter, where 2 already beats 6 unfiltered on size and speed). */
  PNG_COMPRESSION_LEVEL: int(0, 9).default(2),
  RATE_LIMIT_PER_MINUTE: int(0).default(60),
  /**
   * Instant repeats: the same photo with the same options answers done at once from an earlier
   * result, and other options reuse its mask. Off: every upload is processed.
   */
  RESULT_CACHE: bool.default(true),
  CORS_ORIGINS: csv.default([]),
  /**
   * Hosts a server-side fetch (image_url) may reach although their addresses are not public:
   * host names (exact, no port), IP addresses or CIDR networks. Empty: public addresses only.
   */
  URL_FETCH_ALLOW_HOSTS: csv.default([]).check((ctx) => {
    for (const entry of ctx.value) {
      const problem = allowEntryProblem(entry);
      if (problem) ctx.issues.push({ code: 'custom', message: problem, input: ctx.value });
    }
  }),
  /** One time limit for a whole server-side fetch: lookups, connects, redirects, headers and body. */
  URL_FETCH_TIMEOUT_SECONDS: z.coerce.number().positive().max(600).default(20),
  /**
   * The synchronous compat endpoints (remove.bg's POST /v1.0/removebg, rembg's /api/remove) wait
   * this long for their job; past it they answer 504 with the job id, and the job goes on.
   */
  SYNC_TIMEOUT_SECONDS: z.coerce.number().positive().max(600).default(60),
  API_KEYS: csv.default([]),
  API_KEYS_FILE: z.string().default(''),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_PRETTY: bool.optional(),
  /** The local demo starts redis-server itself when nothing answers on REDIS_URL. */
  START_LOCAL_REDIS: bool.default(true),
  WORKER_METRICS_PORT: int(0, 65535).default(9100),
  /**
   * Signs webhooks (Standard Webhooks): `whsec_` + base64 of a random key of 24 bytes or more.
   * Without it, callback_url is refused (unsigned webhooks cannot be trusted by their receiver).
   */
  WEBHOOK_SECRET: z
    .string()
    .refine((s) => s === '' || isWebhookSecret(s), 'whsec_ followed by base64 of at least 24 bytes, e.g. whsec_$(openssl rand -base64 32)')
    .default(''),
  WEBHOOK_ATTEMPTS: int(5, 30).default(8),
  /** The first retry's delay; each next one doubles, ±50% jitter. 8 attempts at 10 s span ~20 minutes. */
  WEBHOOK_BACKOFF_SECONDS: z.coerce.number().positive().max(3600).default(10),
  WEBHOOK_TIMEOUT_SECONDS: z.coerce.number().positive().max(300).default(10),
});

/** The environment as the schema parses it, before loadConfig's defaults that depend on other settings. */
export type RawConfig = z.infer<typeof configSchema>;

export interface Config extends Omit<RawConfig, 'MODEL_DIR' | 'LOG_PRETTY' | 'S3_BUCKET' | 'REDIS_SENTINEL_NAME'> {
  MODEL_DIR: string;
  LOG_PRETTY: boolean;
  /** Empty unless STORAGE=s3 (then required). */
  S3_BUCKET: string;
  /** Empty unless REDIS_SENTINELS is set (then required). */
  REDIS_SENTINEL_NAME: string;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses the environment once. A bad value throws a ConfigError that names the variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const known = Object.fromEntries(
    Object.keys(configSchema.shape)
      .filter((k) => env[k] !== undefined && env[k] !== '')
      .map((k) => [k, env[k]]),
  );
  const parsed = configSchema.safeParse(known);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => {
      const key = String(i.path[0] ?? '?');
      return `  ${key}=${JSON.stringify(env[key] ?? '')}: ${i.message}`;
    });
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const c = parsed.data;
  if (env.MODEL !== undefined && env.MODELS === undefined) {
    throw new ConfigError(`Invalid configuration:\n  MODEL=${JSON.stringify(env.MODEL)}: MODEL is now MODELS, a comma-separated list of models (the first is the default)`);
  }
  const problems = combinationProblems(c);
  if (problems.length > 0) throw new ConfigError(`Invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  return {
    ...c,
    S3_BUCKET: c.S3_BUCKET ?? '',
    REDIS_SENTINEL_NAME: c.REDIS_SENTINEL_NAME ?? '',
    DATA_DIR: path.resolve(c.DATA_DIR),
    MODEL_DIR: path.resolve(c.MODEL_DIR || path.join(c.DATA_DIR, 'models')),
    LOG_PRETTY: c.LOG_PRETTY ?? c.NODE_ENV === 'development',
  };
}

/** For process entry points: print the reason and exit non-zero instead of a stack trace. */
export function loadConfigOrExit(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
}

/** The cutout pipeline as the service's configuration sets it up; the CLI and the tools override a few. */
export function pipelineOptions(config: Config, overrides: Partial<PipelineOptions> = {}): PipelineOptions {
  return {
    models: workerModels(config), // a worker loads the models it serves
    modelDir: config.MODEL_DIR,
    customModel: { path: config.MODEL_PATH, sha256: config.MODEL_SHA256 }, // used when MODELS has "custom"
    threads: config.INFERENCE_THREADS,
    pixelThreads: config.PIXEL_THREADS ?? Math.min(3, config.INFERENCE_THREADS - 1),
    executionProvider: config.EXECUTION_PROVIDER,
    cpuArena: config.INFERENCE_MEMORY === 'fast',
    widenHalf: config.INFERENCE_FLOAT16 === 'widen',
    maxPixels: config.MAX_IMAGE_PIXELS,
    pngCompressionLevel: config.PNG_COMPRESSION_LEVEL,
    ...overrides,
  };
}
