// `cutout --server http://host:8000 ./shoot/`: the images go to a running service as batches
// (POST /batches), the CLI follows them (GET /batches/{id}) with a progress bar and writes each
// result as it is done, all through the SDK (src/sdk). Nothing runs in-process; the service's workers do the work.
import fs from 'node:fs/promises';
import path from 'node:path';
import { CutoutApiError, CutoutClient, CutoutNetworkError, type BatchItemView, type CutoutOptions } from '../sdk/index.js';
import { resultName } from '../vocabulary.js';

export interface RemoteRun {
  server: string;
  apiKey?: string;
  files: string[];
  /** Option fields as the api names them (text). */
  fields: Record<string, string>;
  background?: { name: string; bytes: Buffer };
  /** The output folder (default: beside each input). */
  out?: string;
  progress(done: number, total: number, label: string): void;
  /** One line per file: where its result went, or why it failed. */
  report(line: string, failed: boolean): void;
}

type Counters = { done: number; total: number; failed: number };

/** One request carries at most this many files or bytes; a big folder becomes several batches. */
const CHUNK_FILES = 100;
const CHUNK_BYTES = 64 * 1024 * 1024;
const POLL_MS = 500;

/** The SDK's errors in the CLI's words: "cannot reach …", "POST /batches answered 400: …". */
async function said<T>(run: RemoteRun, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof CutoutNetworkError) throw new Error(`cannot reach ${run.server}: ${err.reason}`);
    if (err instanceof CutoutApiError) throw new Error(`${err.request} answered ${err.status}: ${err.message}`);
    throw err;
  }
}

/** Groups the files into batches under the size limits. */
async function chunks(files: string[]): Promise<string[][]> {
  const out: string[][] = [];
  let current: string[] = [];
  let bytes = 0;
  for (const file of files) {
    const size = (await fs.stat(file).catch(() => ({ size: 0 }))).size;
    if (current.length > 0 && (current.length >= CHUNK_FILES || bytes + size > CHUNK_BYTES)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(file);
    bytes += size;
  }
  if (current.length) out.push(current);
  return out;
}

const errorText = (e: { message: string } | string | undefined) => (typeof e === 'string' ? e : e?.message ?? 'failed');

/** Writes a done item's result, or reports a failed or canceled one; true when the item has ended. */
async function settle(run: RemoteRun, client: CutoutClient, item: BatchItemView, file: string, counters: Counters): Promise<boolean> {
  if (item.status === 'done' && item.result && item.job_id) {
    const target = path.join(run.out ?? path.dirname(file), resultName(path.basename(file), item.result.format));
    const { bytes } = await client.result(item.job_id);
    await fs.writeFile(target, bytes);
    finish(counters, run, `${file} → ${target} (${item.result.format}, ${item.result.width}x${item.result.height})`, false);
    return true;
  }
  if (item.status === 'failed' || item.status === 'canceled') {
    finish(counters, run, `${file}: ${item.status === 'canceled' ? 'canceled' : errorText(item.error)}`, true);
    return true;
  }
  return false;
}

/** Sends one batch and writes its results as they come. */
async function runBatch(run: RemoteRun, client: CutoutClient, files: string[], counters: Counters): Promise<void> {
  const uploads = await Promise.all(files.map(async (file) => ({ data: await fs.readFile(file), filename: path.basename(file) })));
  const background = run.background && { data: run.background.bytes, filename: run.background.name };
  // The fields were checked against the option table by the flag parser: they go as the api's text.
  const options = { ...(run.fields as CutoutOptions), ...(background ? { bg_image: background } : {}) };
  const accepted = await client.createBatch(uploads, options);
  // Items refused at upload (not an image, too large) never become jobs.
  const sourceOf = new Map<string, string>();
  accepted.items.forEach((item, i) => {
    const file = files[i] ?? item.filename;
    if ('job_id' in item) sourceOf.set(item.job_id, file);
    else finish(counters, run, `${file}: ${errorText(item.error)}`, true);
  });
  const written = new Set<string>();
  if (sourceOf.size === 0) return;
  await client.followBatch(accepted.batch_id, {
    onUpdate: async (batch) => {
      for (const item of batch.items) {
        if (!item.job_id || written.has(item.job_id) || !sourceOf.has(item.job_id)) continue;
        if (await settle(run, client, item, sourceOf.get(item.job_id)!, counters)) written.add(item.job_id);
      }
    },
  });
}

function finish(counters: Counters, run: RemoteRun, line: string, failed: boolean) {
  counters.done++;
  if (failed) counters.failed++;
  run.report(line, failed);
  run.progress(counters.done, counters.total, line.split(/ → |: /)[0] ?? '');
}

/** Runs every file through the service; returns how many failed (the others are written). */
export async function runRemote(run: RemoteRun): Promise<number> {
  const counters = { done: 0, total: run.files.length, failed: 0 };
  if (run.out) await fs.mkdir(run.out, { recursive: true });
  run.progress(0, counters.total, 'uploading');
  const client = new CutoutClient({ baseUrl: run.server, apiKey: run.apiKey, pollIntervalMs: POLL_MS });
  for (const group of await chunks(run.files)) await said(run, () => runBatch(run, client, group, counters));
  return counters.failed;
}
