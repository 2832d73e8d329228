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

/** A job's smaller files besides its input and result: the model's mask, the background image. */
export type ExtraKind = 'mask' | 'background';

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
  putResult(jobId: string, bytes: Buffer): Promise<void>;
  /** The result file, or null when there is none (yet). */
  openResult(jobId: string): Promise<StoredBlob | null>;
  /** Copies one job's result to another job (an instant repeat); false when the source is gone. */
  copyResult(fromJobId: string, toJobId: string): Promise<boolean>;
  putExtra(kind: ExtraKind, jobId: string, bytes: Buffer): Promise<void>;
  /** The file, or null when there is none. */
  readExtra(kind: ExtraKind, jobId: string): Promise<Buffer | null>;
  hasResult(jobId: string): Promise<boolean>;
  /** Removes every file of the job; missing files are not an error. */
  deleteJob(jobId: string): Promise<void>;
  /** Every job that has at least one file, for cleanup. */
  listJobs(): AsyncIterable<JobFiles>;
  /** A time-limited URL that serves the result without the api (stores that can: S3). */
  resultUrl?(jobId: string, link: ResultLink): Promise<string>;
  /** Releases connections (an S3 client's sockets); the store is not used afterwards. */
  close?(): void;
}
