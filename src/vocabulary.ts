// The words every part of Cutout shares: job statuses, stages, events, accepted formats, names
// and default limits. No imports: the page's bundle uses it too. A new status, stage or format is
// added here, once.

/** A job's public status. */
export const JOB_STATUSES = ['queued', 'processing', 'done', 'failed', 'canceled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** Statuses a job never leaves. */
export const TERMINAL_STATUSES = ['done', 'failed', 'canceled'] as const satisfies readonly JobStatus[];
export const isTerminalStatus = (s: string): boolean => (TERMINAL_STATUSES as readonly string[]).includes(s);

/** The stages of one cutout, in order. */
export const STAGES = ['decoding', 'inference', 'compositing', 'encoding'] as const;
export type Stage = (typeof STAGES)[number];

/**
 * Events of a job's live stream (SSE and WebSocket). `expired`: the job finished long ago and its
 * files were deleted (the status answers 410).
 */
export const EVENT_TYPES = ['queued', 'progress', 'done', 'failed', 'canceled', 'expired'] as const;
export type JobEventType = (typeof EVENT_TYPES)[number];
export const TERMINAL_EVENTS = ['done', 'failed', 'canceled', 'expired'] as const satisfies readonly JobEventType[];
export const isTerminalEvent = (type: string): boolean => (TERMINAL_EVENTS as readonly string[]).includes(type);

/** Input formats accepted, recognised from the bytes. */
export const INPUT_FORMATS = ['jpeg', 'png', 'webp', 'gif', 'avif', 'tiff'] as const;
export type InputFormat = (typeof INPUT_FORMATS)[number];
export const INPUT_MIME: Record<InputFormat, string> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  gif: 'image/gif',
  avif: 'image/avif',
  tiff: 'image/tiff',
};
/** The accepted formats, as a person reads them: "JPEG, PNG, WebP, GIF, AVIF or TIFF". */
export const INPUT_FORMATS_TEXT = 'JPEG, PNG, WebP, GIF, AVIF or TIFF';
export const UNSUPPORTED_IMAGE_TEXT = `This file is not a supported image. Upload a ${INPUT_FORMATS_TEXT} file.`;

/** The formats a result can be (the `format` option adds `auto`, which picks png or jpg). */
export const OUTPUT_FORMATS = ['png', 'webp', 'jpg'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];
export const OUTPUT_MIME: Record<OutputFormat, string> = { png: 'image/png', webp: 'image/webp', jpg: 'image/jpeg' };

/** The download name of a result: `sneaker.jpg` → `sneaker-cutout.png`. */
export const RESULT_SUFFIX = '-cutout';
export function resultName(uploadName: string, extension = 'png'): string {
  const base = uploadName.replace(/\.[A-Za-z0-9]{1,5}$/, '') || 'image';
  return `${base}${RESULT_SUFFIX}.${extension}`;
}

/** Every Redis key of Cutout's own starts with this, then the queue name. */
export const REDIS_KEY_PREFIX = 'cutout';

/** Default limits (the configuration can change them; GET /limits says what is in force). */
export const DEFAULT_LIMITS = {
  maxUploadBytes: 25 * 1024 * 1024,
  maxImagePixels: 50_000_000,
} as const;
