// `npm run load -- --batch 200`: one batch of N photos through the real processes (a private Redis
// with its append-only file, the api, workers, the real model), with faults on the way: a worker
// is SIGKILLed halfway (a fresh one replaces it) and Redis is restarted once. Checks that every
// item ends done, none lost, and reports how many ran more than once (BullMQ is at least once).
// Options: --batch N --workers N --no-chaos
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import type { BatchAccepted, BatchStatus } from '../src/jobs/batch-contract.js';
import type { StatusView } from '../src/jobs/contract.js';
import { startService } from './service.js';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const ITEMS = arg('batch', 200);
const WORKERS = arg('workers', 2);
const CHAOS = !process.argv.includes('--no-chaos');

/** N different photos (so no result comes from the cache): a subject on a background, varied. */
async function photos(n: number): Promise<Buffer[]> {
  return Promise.all(
    Array.from({ length: n }, (_, i) => {
      const w = 480 + (i % 7) * 32;
      const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="360"><rect width="100%" height="100%" fill="rgb(${(i * 37) % 255},200,230)"/>
        <circle cx="${w / 2 + (i % 11)}" cy="180" r="${90 + (i % 13)}" fill="rgb(180,${(i * 53) % 255},40)"/></svg>`;
      return sharp(Buffer.from(svg)).jpeg({ quality: 85 }).toBuffer();
    }),
  );
}

const get = async <T>(url: string): Promise<T | null> => {
  const res = await fetch(url).catch(() => null);
  return res?.ok ? ((await res.json()) as T) : null;
};

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cutout-load-batch-'));
const service = await startService(root, {
  workers: WORKERS,
  env: {
    MODEL_DIR: path.resolve('data/models'),
    INFERENCE_THREADS: String(Math.max(1, Math.floor(os.availableParallelism() / WORKERS))),
    RESULT_CACHE: 'false',
    JOB_LOCK_SECONDS: '10',
    MAX_BATCH_BYTES: String(500 * 1024 * 1024),
  },
});
const { base } = service;
const events: string[] = [];
const t0 = Date.now();
const at = () => `${((Date.now() - t0) / 1000).toFixed(1)} s`;

const form = new FormData();
for (const [i, bytes] of (await photos(ITEMS)).entries()) form.append('file', new Blob([new Uint8Array(bytes)]), `shot-${String(i).padStart(3, '0')}.jpg`);
const res = await fetch(`${base}/batches`, { method: 'POST', body: form });
if (res.status !== 202) throw new Error(`POST /batches answered ${res.status}: ${await res.text()}`);
const batch = (await res.json()) as BatchAccepted;
events.push(`${at()}: batch of ${batch.items.length} accepted`);

let killed = false;
let restarted = false;
let last: BatchStatus | null = null;
const deadline = Date.now() + 60 * 60_000;
for (;;) {
  const status = await get<BatchStatus>(`${base}/batches/${batch.batch_id}`);
  if (status) last = status;
  const done = last?.counts.done ?? 0;
  if (CHAOS && !killed && done >= ITEMS / 2) {
    killed = true;
    service.workers[0]!.kill('SIGKILL');
    service.addWorker();
    events.push(`${at()}: worker 1 SIGKILLed at ${done} done; a new worker started`);
  }
  if (CHAOS && killed && !restarted && done >= ITEMS * 0.7) {
    restarted = true;
    await service.restartRedis();
    events.push(`${at()}: Redis restarted at ${done} done`);
  }
  if (last?.status === 'done') break;
  if (Date.now() > deadline) break;
  await new Promise((r) => setTimeout(r, 1000));
}
const views = await Promise.all(
  (last?.items ?? []).map((item) => (item.job_id ? get<StatusView>(`${base}/status/${item.job_id}`) : Promise.resolve(null))),
);
const attempts = views.map((v) => v?.attempts ?? 0);
const ended = (last?.counts.done ?? 0) + (last?.counts.failed ?? 0) + (last?.counts.canceled ?? 0);
console.log(events.join('\n'));
console.log(
  JSON.stringify({
    items: ITEMS,
    workers: WORKERS,
    chaos: CHAOS,
    counts: last?.counts,
    lost: ITEMS - ended,
    ran_more_than_once: attempts.filter((a) => a > 1).length,
    max_attempts: Math.max(0, ...attempts),
    errors: [...new Set((last?.items ?? []).flatMap((i) => (i.error ? [i.error] : [])))],
    total_seconds: Math.round((Date.now() - t0) / 1000),
  }),
);
await service.stop();
fs.rmSync(root, { recursive: true, force: true });
