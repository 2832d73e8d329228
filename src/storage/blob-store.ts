// Where inputs and results live. The api and the worker may be different processes or machines;
// both only talk to this interface.
import type { Readable } from 'node:stream';

export interface StoredBlob {
  size: number;
  stream: Readable;
}

export interface JobFiles {
  jobId: string;
  /** Newest modification time of the job's files, in ms since the epoch. */
  modifiedAt: number;
}

/**
 * A job's smaller files besides its input and result: the model's mask (at the model's size),
 * the background image, and the mask at the photo's size in either result slot (the mask editor's).
 */
export type ExtraKind = 'mask' | 'background' | 'frame-mask-0' | 'frame-mask-1';

/**
 * A job's result lives in one of two slots: a new version (a saved mask edit) is written into the
 * slot not served, then the job's status switches to it, so a failed or half-done re-render never
 * touches the result being served, and each version has its own object (and presigned URL).
 */
export type ResultSlot = 0 | 1;
/** The slot of a result version (1 = the model's result, in slot 0). */
export const slotOf = (version: number): ResultSlot => ((version - 1) % 2) as ResultSlot;
/** Where each kind of file lives: a directory (fs) or key prefix (s3) per kind, named by job id. */
export const BLOB_DIRS = {
  input: 'inputs',
  result: 'results',
  result1: 'results-1',
  mask: 'masks',
  background: 'backgrounds',
  'frame-mask-0': 'frame-masks-0',
  'frame-mask-1': 'frame-masks-1',
} as const;
export type BlobKind = keyof typeof BLOB_DIRS;
/** The kind of a result slot's file. */
export const resultKind = (slot: ResultSlot = 0): BlobKind => (slot === 0 ? 'result' : 'result1');

/** The mask at the photo's size that goes with a result slot. */
export const frameMaskKind = (slot: ResultSlot): ExtraKind => (slot === 0 ? 'frame-mask-0' : 'frame-mask-1');

/** What a presigned result link answers with, and how long it is valid. */
export interface ResultLink {
  contentType: string;
  contentDisposition: string;
  cacheControl: string;
  expiresInSeconds: number;
}

export interface BlobStore {
  putInput(jobId: string, bytes: Buffer): Promise<void>;
  readInput(jobId: string): Promise<Buffer>;
  /** The result file, whatever its format (the job's status says which). */
  putResult(jobId: string, bytes: Buffer, slot?: ResultSlot): Promise<void>;
  /** The result file, or null when there is none (yet). */
  openResult(jobId: string, slot?: ResultSlot): Promise<StoredBlob | null>;
  /** Copies one job's first result (slot 0) to another job (an instant repeat); false when the source is gone. */
  copyResult(fromJobId: string, toJobId: string): Promise<boolean>;
  /** Copies one of a job's files to another job (a cached job's photo and mask, for its editor); false when the source is gone. */
  copyFile(kind: BlobKind, fromJobId: string, toJobId: string): Promise<boolean>;
  /** Whether the job has this file. */
  hasFile(kind: BlobKind, jobId: string): Promise<boolean>;
  putExtra(kind: ExtraKind, jobId: string, bytes: Buffer): Promise<void>;
  /** The file, or null when there is none. */
  readExtra(kind: ExtraKind, jobId: string): Promise<Buffer | null>;
  hasResult(jobId: string, slot?: ResultSlot): Promise<boolean>;
  /** Removes every file of the job; missing files are not an error. */
  deleteJob(jobId: string): Promise<void>;
  /** Every job that has at least one file, for cleanup. */
  listJobs(): AsyncIterable<JobFiles>;
  /** A time-limited URL that serves the result without the api (stores that can: S3). */
  resultUrl?(jobId: string, link: ResultLink, slot?: ResultSlot): Promise<string>;
  /** Releases connections (an S3 client's sockets); the store is not used afterwards. */
  close?(): void;
}
