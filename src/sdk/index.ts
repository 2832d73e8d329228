// The Cutout TypeScript SDK: `new CutoutClient({ baseUrl, apiKey })`. Runs in Node 20 and browsers
// (fetch, Blob, FormData, ReadableStream, TextDecoder only).
export { CutoutClient } from './client.js';
export { CutoutApiError, CutoutNetworkError } from './errors.js';
export { SDK_OPTION_NAMES } from './types.js';
export type * from './types.js';
