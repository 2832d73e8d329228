// GET /batches/{id}/zip: the batch's finished results so far as a ZIP, streamed (yazl): each
// result file is opened when the archive reaches it and read straight into the answer, one at a
// time, so neither the archive nor two results are ever held in memory. A manifest.csv ends the
// archive: every item, its status, error, size and foreground box.
import { finished } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import type { FastifyBaseLogger } from 'fastify';
import yazl from 'yazl';
import { resultName } from '../../vocabulary.js';
import { csvRow, uniqueNames } from '../../names.js';
import type { BatchItemView } from '../../jobs/batch-contract.js';
import { itemViews, loadBatch, type BatchDeps } from './batches.js';
import { slotOf } from '../../storage/blob-store.js';

export const MANIFEST_NAME = 'manifest.csv';
export const MANIFEST_COLUMNS = [
  'filename', 'result_filename', 'job_id', 'status', 'error_code', 'error', 'width', 'height', 'bytes',
  'foreground_left', 'foreground_top', 'foreground_width', 'foreground_height', 'confidence',
] as const;

/** One manifest row: the item, and the name of its result in the archive ('' when it has none). */
export function manifestRow(item: BatchItemView, resultFile: string): string {
  const r = item.result;
  const fg = r?.foreground;
  return csvRow([
    item.filename, resultFile, item.job_id, item.status, item.error_code, item.error,
    r?.width, r?.height, r?.bytes, fg?.left, fg?.top, fg?.width, fg?.height, r?.confidence,
  ]);
}

/** The download name of a batch's archive. */
export const batchZipName = (batchId: string) => `batch-${batchId}.zip`;

/** Starts the archive of a batch (404 first when there is no such batch); the stream is the archive. */
export async function batchZip(deps: Pick<BatchDeps, 'config' | 'queue' | 'store' | 'batches'>, batchId: string, log: FastifyBaseLogger): Promise<Readable> {
  const record = await loadBatch(deps, batchId);
  const items = await itemViews(deps, record);
  const done = items.filter((i) => i.status === 'done' && i.result && i.job_id);
  const names = uniqueNames(done.map((i) => resultName(i.filename, i.result!.format)));
  const fileOf = new Map(done.map((item, n) => [item, names[n]!]));
  const zip = new yazl.ZipFile();
  const output = zip.outputStream as Readable;
  zip.on('error', (err: Error) => output.destroy(err));
  void fill(deps, zip, items, fileOf, log).catch((err: unknown) => {
    log.warn({ err, batchId }, 'batch archive ended early');
    output.destroy(err as Error);
  });
  return output;
}

/** Adds each result in turn (waiting for one to be read before opening the next), then the manifest. */
async function fill(
  deps: Pick<BatchDeps, 'store'>,
  zip: yazl.ZipFile,
  items: BatchItemView[],
  fileOf: Map<BatchItemView, string>,
  log: FastifyBaseLogger,
): Promise<void> {
  const output = zip.outputStream as Readable;
  let current: Readable | undefined;
  let gone = false;
  output.once('close', () => {
    gone = true;
    current?.destroy();
  });
  let manifest = csvRow([...MANIFEST_COLUMNS]);
  for (const item of items) {
    if (gone) return;
    const name = fileOf.get(item);
    // A saved mask edit makes a new version, in its own slot: the ZIP holds what result_url serves.
    const blob = name ? await deps.store.openResult(item.job_id!, slotOf(item.result_version ?? 1)) : null;
    if (name && !blob) {
      manifest += manifestRow({ ...item, status: 'failed', error_code: 'result_expired', error: 'The result has expired and was deleted.' }, '');
      continue;
    }
    manifest += manifestRow(item, blob ? name! : '');
    if (!blob) continue;
    current = blob.stream;
    const stream = blob.stream;
    zip.addReadStreamLazy(name!, { size: blob.size, compress: false }, (cb) => cb(null, stream));
    if (gone) stream.destroy();
    await finished(stream).catch((err: unknown) => {
      if (!gone) throw err;
    });
  }
  if (gone) return;
  zip.addBuffer(Buffer.from(manifest), MANIFEST_NAME);
  zip.end();
  log.debug({ files: fileOf.size }, 'batch archive written');
}
