// POST /v1.0/removebg on Cutout's services: the request's sources and parameters are translated
// (request.ts, params.ts), the image becomes a job like any upload (acceptUpload: the same checks,
// cache and queue), and the answer waits for the job (sync-job.ts).
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ApiMetrics } from '../../../metrics.js';
import { HttpError } from '../../http-errors.js';
import { fetchImageUrl } from '../../services/image-url.js';
import { acceptUpload } from '../../services/upload.js';
import { acceptOnce, finishedJob, type SyncDeps } from '../sync-job.js';
import { translateParams } from './params.js';
import { readRemoveBgRequest, type BackgroundSource } from './request.js';
import { removeBgAnswer, type RemoveBgAnswer } from './respond.js';

type Deps = SyncDeps;

/** The background image of bg_image_url, downloaded as image_url is; its errors named as remove.bg names them. */
async function backgroundBytes(deps: Deps, source: BackgroundSource | undefined): Promise<Buffer | undefined> {
  if (!source) return undefined;
  if (source.kind === 'file') return source.bytes;
  try {
    return (await fetchImageUrl(deps.config, source.url)).bytes;
  } catch (err) {
    if (err instanceof HttpError && err.code === 'invalid_image_url') {
      throw new HttpError(400, 'invalid_bg_image_url', err.message.replace('The image_url', 'The bg_image_url'));
    }
    if (err instanceof HttpError && err.code === 'failed_image_download') {
      throw new HttpError(400, 'failed_bg_download', err.message.replace('The image at image_url', 'The background image at bg_image_url'));
    }
    throw err;
  }
}

export const wantsJson = (req: FastifyRequest) => /^application\/json\b/i.test(String(req.headers.accept ?? '').trim());

export async function removeBgSync(deps: Deps, req: FastifyRequest, reply: FastifyReply, metrics: ApiMetrics): Promise<RemoveBgAnswer> {
  const { config } = deps;
  const request = await readRemoveBgRequest(req, config.MAX_UPLOAD_BYTES);
  const translation = translateParams(request.params);
  const accepted = await acceptOnce(deps, req, reply, request, async () => {
    const { bytes, filename } = request.image.kind === 'file' ? request.image : await fetchImageUrl(config, request.image.url);
    const background = await backgroundBytes(deps, request.background);
    return acceptUpload(
      deps,
      { bytes, filename, requestId: req.id, options: translation.options, background, scope: req.clientScope },
      req.log,
      metrics,
    );
  });
  const finished = await finishedJob(deps, accepted);
  return removeBgAnswer(finished, { zip: translation.zip, json: wantsJson(req), ignored: translation.ignored });
}
