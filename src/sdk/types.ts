// The SDK's types. What the api answers is typed from the api's own zod schemas (type-only imports:
// erased at run time, so no zod in a bundle); the options are the option table's names with the
// values each accepts (test/integration/sdk.test.ts checks the names against the table).
import type { z } from 'zod';
import type { acceptedSchema } from '../api/schemas.js';
import type { BatchAccepted, BatchItemView, BatchStatus } from '../jobs/batch-contract.js';
import type { StatusView } from '../jobs/contract.js';
import type { JobEventData } from '../jobs/events.js';
import type { ModelView } from '../api/routes/models.route.js';
import type { JobEventType } from '../vocabulary.js';

export type { BatchAccepted, BatchItemView, BatchStatus, StatusView, JobEventData, JobEventType };

/** POST /remove-bg's answer: the job, and where to follow it. */
export type AcceptedJob = z.infer<typeof acceptedSchema>;

export type { ModelView };
/** GET /models: the default model's name and every model the service knows. */
export interface ModelList {
  default: string;
  models: ModelView[];
}

/** Bytes: a Node Buffer is a Uint8Array. */
export type Bytes = Uint8Array;

/** A file to upload: a Blob or File, or bytes with a name. */
export type FileSource = Blob | { data: Bytes; filename?: string };

/** What removeBackground takes: a file (Blob, File, Buffer/Uint8Array) or an address the server downloads. */
export type ImageSource = FileSource | Bytes | { url: string };

/** The per-job options (src/options/table.ts), by their api names. Text is accepted as the api reads it. */
export interface CutoutOptions {
  format?: 'png' | 'webp' | 'jpg' | 'jpeg' | 'auto';
  size?: 'full' | 'hd' | 'medium' | 'preview';
  max_width?: number | null;
  max_height?: number | null;
  crop?: boolean | 'true' | 'false' | 'face';
  /** "5%", "20px", "10 5 10 5", … */
  crop_margin?: string | number;
  /** "2000x2000" */
  canvas?: string | null;
  /** "center", "original", "50% 80%", … */
  position?: string;
  /** "80%", "original" */
  scale?: string | number;
  /** "ffffff", "red", "#00000080" */
  bg_color?: string | null;
  /** A background image file (sent as a multipart file). */
  bg_image?: FileSource | Bytes;
  bg_blur?: number | null;
  shadow?: 'none' | 'soft';
  channels?: 'rgba' | 'alpha';
  refine?: 'none' | 'fast';
  /** A model GET /models lists as loaded; absent: the service's default. */
  model?: string | null;
}

/** The option names the SDK knows, in the table's order. */
export const SDK_OPTION_NAMES = [
  'format', 'size', 'max_width', 'max_height', 'crop', 'crop_margin', 'canvas', 'position',
  'scale', 'bg_color', 'bg_image', 'bg_blur', 'shadow', 'channels', 'refine', 'model',
] as const satisfies readonly (keyof CutoutOptions)[];

/** What a request that starts work takes besides the options. */
export interface RequestExtras {
  /** A webhook: the job's (or batch's) final status is POSTed here. */
  callbackUrl?: string;
  /** The Idempotency-Key header: a retry with the same key answers the first request's answer. */
  idempotencyKey?: string;
  /** Abandons the request. */
  signal?: AbortSignal;
  /**
   * Browsers: the percent of the request's body sent so far (the request then goes by
   * XMLHttpRequest, as fetch cannot tell, rather than by the config's fetch). Not called elsewhere.
   */
  onUploadProgress?(percent: number): void;
}

export type RemoveBackgroundOptions = CutoutOptions & RequestExtras & {
  /** The upload's name when the source is bare bytes (default: image). */
  filename?: string;
};

export type BatchOptions = CutoutOptions & RequestExtras;

/** One event of a job's live stream (or made from a status while polling). */
export type JobEvent = Partial<JobEventData> & { type: JobEventType };

export interface FollowOptions {
  /** Each event, as it comes (while polling: each change of the status). */
  onEvent?(event: JobEvent): void;
  /**
   * A poll failed in a way that may pass (no connection, 429, 5xx): following goes on, asking
   * again after the interval, and the next answer is told even if unchanged. Without onRetry,
   * such a failure ends following (the promise rejects with it).
   */
  onRetry?(error: Error): void;
  /** Stops following: the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  /** `auto`: the event stream, polling when it fails; `poll`: only polling. */
  transport?: 'auto' | 'poll';
}

export interface FollowBatchOptions extends FollowOptions {
  /**
   * Each item's event, with its job_id and filename. Given, the batch is followed on its one event
   * stream (polling when it fails); without it, by polling.
   */
  onEvent?(event: JobEvent): void;
  /** Each batch status fetched (every poll's, and the last); awaited before the next. */
  onUpdate?(batch: BatchStatus): void | Promise<void>;
}

export interface Foreground {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** A downloaded file. */
export interface Download {
  blob: Blob;
  bytes: Bytes;
  contentType: string;
}

/** A job's result, with what the api says of it (X-Width, X-Height, X-Foreground-*, X-Confidence). */
export interface CutoutResult extends Download {
  width: number;
  height: number;
  foreground: Foreground;
  /** 0..1 (experimental); undefined when the result does not carry it. */
  confidence: number | undefined;
}

export interface ClientConfig {
  /** Where the service is: "https://cutout.example.com". */
  baseUrl: string;
  /** Sent as X-Api-Key. */
  apiKey?: string;
  /** Another fetch (a test double, a proxy-aware one); default: the global fetch. */
  fetch?: typeof fetch;
  /** How often a job or batch is polled, in ms (default 1000). */
  pollIntervalMs?: number;
}
