// What the compat endpoints share in Cutout's OpenAPI document: their tags (the document's shared
// responses, in Cutout's error shape, are not added to them: they answer in their own shapes) and
// the 504 of a job that outlived SYNC_TIMEOUT_SECONDS.
import { EXAMPLE } from '../schemas.js';

export const REMOVEBG_TAG = 'remove.bg compatible';
export const REMBG_TAG = 'rembg compatible';

export const COMPAT_TAGS = [
  { name: REMOVEBG_TAG, description: "remove.bg's API (api.remove.bg/v1.0): point a remove.bg client at this server's /v1.0. See the README, \"Migrating from remove.bg or rembg\"." },
  { name: REMBG_TAG, description: "rembg's server (`rembg s`): point a rembg client at this server's /api/remove." },
];

export const isCompatOperation = (tags: unknown): boolean => Array.isArray(tags) && tags.some((t) => COMPAT_TAGS.some((c) => c.name === t));

export const SYNC_TIMEOUT_CASE = {
  code: 'sync_timeout',
  title: 'Processing took too long',
  message:
    `The image was not done within 60 s (SYNC_TIMEOUT_SECONDS). It is still being processed as job ${EXAMPLE.jobId}: ` +
    `follow /status/${EXAMPLE.jobId}, then fetch its result, instead of sending it again.`,
};
