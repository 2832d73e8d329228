// An upload becomes a job: check the bytes, store them, enqueue. Nothing is left behind when the
// queue refuses (the stored input is deleted).
import { createHash, randomUUID } from 'node:crypto';
import path from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import { pipelineOptions, type Config } from '../../config.js';
import { inspectImage } from '../../cutout/image.js';
import { MODEL_NAMES } from '../../cutout/catalogue.js';
import { resolveModel } from '../../cutout/models.js';
import { engineBaseUrl } from '../../cutout/removebg-client.js';
import { CutoutError, InvalidOptionError } from '../../errors.js';
import type { JobData, StatusView } from '../../jobs/contract.js';
import { DONE_PROGRESS } from '../../jobs/status-rules.js';
import { OPTION_NAMES, optionsAsText, optionsKey, parseOptions, type JobOptions } from '../../options/options.js';
import type { ApiMetrics } from '../../metrics.js';
import { jobLinks, type ApiDeps } from '../deps.js';
import { apiJobEnded } from './job-ended.js';
import { badRequest, serviceUnavailable, type HttpError } from '../http-errors.js';

/** A file name safe to show and to reuse in a download name. */
export function cleanFilename(name: string | undefined): string {
  const base = path.basename((name ?? '').replace(/\\/g, '/'));
  // eslint-disable-next-line no-control-regex
  const clean = base.replace(/[\u0000-\u001f\u007f"<>|:*?]/g, '').trim().slice(0, 200);
  return clean || 'image';
}

export const queueUnavailable = () =>
  serviceUnavailable('The job queue is unavailable right now. Please try again in a moment.', 'queue_unavailable');

/** A form field that is neither the image nor an option: refused, so that nothing a client sends is silently ignored. */
export const unknownField = (name: string) =>
  badRequest(
    `The field "${name.slice(0, 64)}" is not accepted: send the image in the field "file" (or its address in "image_url"), and options by their names (${OPTION_NAMES.join(', ')}).`,
    'unknown_field',
  );

/** The form parser's own complaints (no boundary, a form cut short) are plain Errors: a 400 that says so; null for any other error. */
export function malformedForm(err: unknown): HttpError | null {
  if (err instanceof Error && !('code' in err) && /^(Multipart|Unexpected end|Malformed)/i.test(err.message)) {
    return badRequest('The form data is malformed (its boundary is missing or it ends early). Send a complete multipart/form-data body.', 'malformed_form');
  }
  return null;
}

export const duplicateOption = (name: string) =>
  badRequest(`The option "${name.slice(0, 64)}" was given more than once (in the form, the query, or both). Give each option once.`, 'duplicate_option');

/** Options given as query parameters (the same names as the form fields); api_key is the key, not an option. */
export function queryOptions(query: unknown): Record<string, string> {
  const given: Record<string, string> = {};
  for (const [name, value] of Object.entries((query ?? {}) as Record<string, unknown>)) {
    if (name === 'api_key') continue;
    if (Array.isArray(value)) throw duplicateOption(name);
    given[name] = String(value);
  }
  return given;
}

export interface Upload {
  bytes: Buffer;
  filename: string | undefined;
  requestId: string;
  /** Options as the client wrote them (name → text). */
  options?: Record<string, string>;
  /** The background image (bg_image). */
  background?: Buffer;
  /** Whose upload this is, for the result cache: the API key's digest, or 'public' when keys are off. */
  scope?: string;
  /** A checked callback URL (services/callback-url.ts): the job's final status is POSTed there. */
  callbackUrl?: string;
}

export interface Accepted {
  job_id: string;
  /** 'done' when the same photo with the same options was done before: the result is ready now. */
  status: 'queued' | 'done';
  status_url: string;
  events_url: string;
  result_url?: string;
  cached?: boolean;
}

/**
 * Bumped when the renderer's output for the same options changes, so that older cached results
 * are not served for newer requests.
 */
const RENDER_VERSION = 1;
const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

/**
 * The result cache's key of a photo: its bytes, what makes its mask (the engine: the model and its
 * weights, or the external API's address), and the client. A mask (and a result) made by one
 * model or engine never serves a job asking for another, also after ENGINE is switched.
 */
export function photoCacheKey(config: Config, bytes: Buffer, scope: string, model = config.MODELS[0]!): string {
  const { customModel } = pipelineOptions(config);
  const maker = config.ENGINE === 'removebg' ? `removebg|${engineBaseUrl(config.REMOVEBG_API_URL)}` : `${model}|${resolveModel(model, customModel).weights.checksum.hex}`;
  return sha256(`${RENDER_VERSION}|${scope}|${maker}|${sha256(bytes)}`);
}

async function checkBackground(bytes: Buffer, maxPixels: number): Promise<string> {
  try {
    await inspectImage(bytes, maxPixels);
  } catch (err) {
    if (err instanceof CutoutError) throw new InvalidOptionError('invalid_bg_image', `The background image (bg_image) cannot be used: ${err.message}`);
    throw err;
  }
  return sha256(bytes);
}

/**
 * The same photo with the same options, done before and still kept: a new job that is done at
 * once, with a copy of that result. Null when there is no such result (or it has just expired).
 */
async function fromCache(
  { queue, store }: Pick<ApiDeps, 'queue' | 'store'>,
  sourceId: string,
  jobId: string,
  filename: string,
  options: JobOptions,
  callbackUrl: string | undefined,
): Promise<StatusView | null> {
  const found = await queue.view(sourceId);
  const source = found && ('reason' in found ? (found.reason === 'expired' ? null : found.view) : found);
  if (source?.status !== 'done' || !source.result) return null;
  if (!(await store.copyResult(sourceId, jobId))) return null;
  const now = new Date().toISOString();
  const view: StatusView = {
    job_id: jobId,
    status: 'done',
    filename,
    width: source.width,
    height: source.height,
    created_at: now,
    started_at: now,
    finished_at: now,
    attempts: 0,
    progress: { ...DONE_PROGRESS },
    options,
    result: source.result,
    cached: true,
    ...(callbackUrl ? { callback: { url: callbackUrl, state: 'pending' as const, attempts: 0 } } : {}),
  };
  try {
    await queue.writeCachedJob(view, sourceId);
  } catch (err) {
    await store.deleteJob(jobId).catch(() => undefined);
    throw err;
  }
  return view;
}

/**
 * The options of an upload or a batch, checked once: the text options, the background image
 * (bg_image), and the model (one of MODELS; the first when none is asked for).
 */
export async function resolveOptions(config: Pick<Config, 'MAX_IMAGE_PIXELS' | 'MODELS'>, given: Record<string, string> = {}, background?: Buffer): Promise<JobOptions> {
  const all = { ...given };
  if (background) {
    if (all.bg_image !== undefined) throw duplicateOption('bg_image');
    all.bg_image = await checkBackground(background, config.MAX_IMAGE_PIXELS);
  }
  const options = parseOptions(all);
  return { ...options, model: availableModel(config, options.model) };
}

/** The model a job asks for, if this service has it loaded; the default (the first in MODELS) for none. */
export function availableModel(config: Pick<Config, 'MODELS'>, asked: unknown): string {
  if (asked === null || asked === undefined) return config.MODELS[0]!;
  const name = String(asked).slice(0, 64);
  if (config.MODELS.includes(name)) return name;
  const known = MODEL_NAMES.includes(name) ? 'is not loaded on this service' : 'is not a model Cutout knows';
  throw new InvalidOptionError('invalid_model', `The model "${name}" ${known}. Available: ${config.MODELS.join(', ')} (see GET /models).`);
}

/** One image with its options already resolved: a job of its own (an upload, or an item of a batch). */
export interface ImageJob {
  bytes: Buffer;
  filename: string | undefined;
  requestId: string;
  options: JobOptions;
  background?: Buffer;
  scope?: string;
  /** A checked callback URL (services/callback-url.ts): the job's final status is POSTed there. */
  callbackUrl?: string;
  /** The batch this image is an item of. */
  batchId?: string;
}

export async function acceptUpload(
  deps: Pick<ApiDeps, 'config' | 'queue' | 'store' | 'webhooks'>,
  upload: Upload,
  log: FastifyBaseLogger,
  metrics: ApiMetrics,
): Promise<Accepted> {
  const options = await resolveOptions(deps.config, upload.options, upload.background);
  return acceptImage(deps, { ...upload, options }, log, metrics);
}

/**
 * An image becomes a job: its bytes are checked (a CutoutError says why not), then it is done
 * at once from the result cache, or stored and queued (503 queue_unavailable when Redis is down).
 */
export async function acceptImage(
  deps: Pick<ApiDeps, 'config' | 'queue' | 'store' | 'webhooks'>,
  upload: ImageJob,
  log: FastifyBaseLogger,
  metrics: ApiMetrics,
): Promise<Accepted> {
  const { config, queue, store } = deps;
  const { options } = upload;
  const info = await inspectImage(upload.bytes, config.MAX_IMAGE_PIXELS);
  const jobId = randomUUID();
  const filename = cleanFilename(upload.filename);
  const links = jobLinks(config, jobId);
  // Without the cache, the photo is not hashed at all.
  const cacheKey = config.RESULT_CACHE ? photoCacheKey(config, upload.bytes, upload.scope ?? 'public', availableModel(config, options.model)) : undefined;
  const lookup = cacheKey ? queue.cacheLookup(cacheKey, optionsKey(options)) : Promise.resolve({});
  const cached: { exact?: string; mask?: string } = await lookup.catch((err: unknown) => {
    log.warn({ err }, 'result cache lookup failed');
    return {};
  });
  if (cached.exact) {
    const view = await fromCache(deps, cached.exact, jobId, filename, options, upload.callbackUrl).catch((err: unknown) => {
      log.warn({ err }, 'cached result not reused');
      return null;
    });
    if (view) {
      metrics.cache.inc({ outcome: 'hit' });
      log.info({ jobId, from: cached.exact, outcome: 'cached' }, 'job done from the result cache');
      if (upload.callbackUrl) await apiJobEnded(deps, { id: jobId, callbackUrl: upload.callbackUrl }, log);
      return { job_id: jobId, status: 'done', status_url: links.status, events_url: links.events, result_url: links.result, cached: true };
    }
  }
  if (cacheKey) metrics.cache.inc({ outcome: cached.mask ? 'mask' : 'miss' });
  await store.putInput(jobId, upload.bytes);
  if (upload.background) await store.putExtra('background', jobId, upload.background);
  const data: JobData = {
    requestId: upload.requestId,
    filename,
    format: info.format,
    bytes: upload.bytes.length,
    width: info.width,
    height: info.height,
    options,
    maskFrom: cached.mask,
    callbackUrl: upload.callbackUrl,
    batchId: upload.batchId,
    cacheKey,
  };
  try {
    await queue.enqueue(jobId, data);
  } catch (err) {
    log.error({ err }, 'enqueue failed');
    await store.deleteJob(jobId).catch(() => undefined);
    throw queueUnavailable();
  }
  metrics.enqueued.inc();
  log.info({ jobId, format: info.format, bytes: data.bytes, width: info.width, height: info.height, options: optionsAsText(options), maskFrom: cached.mask }, 'job queued');
  return { job_id: jobId, status: 'queued', status_url: links.status, events_url: links.events };
}
