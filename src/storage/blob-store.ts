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

export interface BlobStore {
  putInput(jobId: string, bytes: Buffer): Promise<void>;
  readInput(jobId: string): Promise<Buffer>;
  putResult(jobId: string, png: Buffer): Promise<void>;
  /** The result PNG, or null when there is none (yet). */
  openResult(jobId: string): Promise<StoredBlob | null>;
  hasResult(jobId: string): Promise<boolean>;
  /** Removes every file of the job; missing files are not an error. */
  deleteJob(jobId: string): Promise<void>;
  /** Every job that has at least one file, for cleanup. */
  listJobs(): AsyncIterable<JobFiles>;
}
