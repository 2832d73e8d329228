// `cutout --server http://host:8000 ./shoot/`: the images go to a running service as batches
// (POST /batches), the CLI follows them (GET /batches/{id}) with a progress bar and writes each
// result as it is done. Nothing runs in-process; the service's workers do the work.
import fs from 'node:fs/promises';
import path from 'node:path';
import { resultName, type OutputFormat } from '../vocabulary.js';

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

interface BatchItem {
  job_id?: string;
  filename: string;
  status?: string;
  error?: string | { code: string; message: string };
  result?: { format: OutputFormat; width: number; height: number };
}

/** One request carries at most this many files or bytes; a big folder becomes several batches. */
const CHUNK_FILES = 100;
const CHUNK_BYTES = 64 * 1024 * 1024;
const POLL_MS = 500;

async function call(run: RemoteRun, method: string, route: string, body?: FormData): Promise<Response> {
  const headers: Record<string, string> = run.apiKey ? { 'x-api-key': run.apiKey } : {};
  let res: Response;
  try {
    res = await fetch(new URL(route, run.server), { method, body, headers });
  } catch (err) {
    throw new Error(`cannot reach ${run.server}: ${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}`);
  }
  if (!res.ok) {
    const text = await res.text();
    let message = text.slice(0, 300);
    try {
      message = (JSON.parse(text) as { error: { message: string } }).error.message;
    } catch {
      /* not JSON: the text as it is */
    }
    throw new Error(`${method} ${route} answered ${res.status}: ${message}`);
  }
  return res;
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

const errorText = (e: BatchItem['error']) => (typeof e === 'string' ? e : e?.message ?? 'failed');

/** Sends one batch and writes its results as they come; returns how many failed. */
async function runBatch(run: RemoteRun, files: string[], counters: { done: number; total: number; failed: number }): Promise<void> {
  const form = new FormData();
  for (const file of files) form.append('file', new Blob([new Uint8Array(await fs.readFile(file))]), path.basename(file));
  for (const [k, v] of Object.entries(run.fields)) form.append(k, v);
  if (run.background) form.append('bg_image', new Blob([new Uint8Array(run.background.bytes)]), run.background.name);
  const accepted = (await (await call(run, 'POST', '/batches', form)).json()) as { batch_id: string; items: BatchItem[] };
  // Items refused at upload (not an image, too large) never become jobs.
  const sourceOf = new Map<string, string>();
  accepted.items.forEach((item, i) => {
    const file = files[i] ?? item.filename;
    if (item.job_id) sourceOf.set(item.job_id, file);
    else finish(counters, run, `${file}: ${errorText(item.error)}`, true);
  });
  const written = new Set<string>();
  while (written.size < sourceOf.size) {
    const batch = (await (await call(run, 'GET', `/batches/${accepted.batch_id}`)).json()) as { items: BatchItem[] };
    for (const item of batch.items) {
      if (!item.job_id || written.has(item.job_id) || !sourceOf.has(item.job_id)) continue;
      const file = sourceOf.get(item.job_id)!;
      if (item.status === 'done' && item.result) {
        const target = path.join(run.out ?? path.dirname(file), resultName(path.basename(file), item.result.format));
        const res = await call(run, 'GET', `/result/${item.job_id}`);
        await fs.writeFile(target, Buffer.from(await res.arrayBuffer()));
        written.add(item.job_id);
        finish(counters, run, `${file} → ${target} (${item.result.format}, ${item.result.width}x${item.result.height})`, false);
      } else if (item.status === 'failed' || item.status === 'canceled') {
        written.add(item.job_id);
        finish(counters, run, `${file}: ${item.status === 'canceled' ? 'canceled' : errorText(item.error)}`, true);
      }
    }
    if (written.size < sourceOf.size) await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

function finish(counters: { done: number; total: number; failed: number }, run: RemoteRun, line: string, failed: boolean) {
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
  for (const group of await chunks(run.files)) await runBatch(run, group, counters);
  return counters.failed;
}
