// `npm run load`: 200 uploads from 50 concurrent clients against one api (real processes, a
// private Redis); checks no 5xx and no lost job, and reports the api's peak memory.
// Options: --uploads N --clients N --workers N; or --batch N (tools/load-batch.ts: one batch,
// with a worker SIGKILLed and Redis restarted on the way); or --failover N (tools/load-failover.ts:
// N uploads behind Redis Sentinel with a failover on the way).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { isTerminalStatus } from '../src/vocabulary.js';
import { peakRssMb, startService, upload } from './service.js';

if (process.argv.includes('--batch')) {
  await import('./load-batch.js');
  process.exit(0);
}
if (process.argv.includes('--failover')) {
  await import('./load-failover.js');
  process.exit(0);
}

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const UPLOADS = arg('uploads', 200);
const CLIENTS = arg('clients', 50);
const WORKERS = arg('workers', 1);

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cutout-load-'));
const service = await startService(root, {
  workers: WORKERS,
  stdio: 'inherit',
  env: {
    MODEL_DIR: path.resolve('data/models'),
    INFERENCE_THREADS: String(Math.max(1, Math.floor(os.availableParallelism() / WORKERS))),
  },
});
const { base } = service;

const images = await Promise.all(
  Array.from({ length: 8 }, (_, i) =>
    sharp({ create: { width: 640 + i * 40, height: 480, channels: 3, background: { r: 30 * i, g: 120, b: 200 } } }).jpeg().toBuffer(),
  ),
);
const statusCounts = new Map<number, number>();
const ids: string[] = [];
let next = 0;
const t0 = Date.now();
await Promise.all(
  Array.from({ length: CLIENTS }, async () => {
    while (next < UPLOADS) {
      const i = next++;
      const res = await upload(base, images[i % images.length]!, `load-${i}.jpg`);
      statusCounts.set(res.status, (statusCounts.get(res.status) ?? 0) + 1);
      if (res.status === 202) ids.push(((await res.json()) as { job_id: string }).job_id);
    }
  }),
);
const uploadSeconds = (Date.now() - t0) / 1000;
const outcome = new Map<string, number>();
for (const id of ids) {
  for (;;) {
    const v = (await (await fetch(`${base}/status/${id}`)).json()) as { status: string };
    if (isTerminalStatus(v.status)) {
      outcome.set(v.status, (outcome.get(v.status) ?? 0) + 1);
      break;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}
const totalSeconds = (Date.now() - t0) / 1000;
const apiPeak = peakRssMb(service.api.pid!);
console.log(
  JSON.stringify({
    uploads: UPLOADS,
    clients: CLIENTS,
    workers: WORKERS,
    http_status: Object.fromEntries(statusCounts),
    jobs: Object.fromEntries(outcome),
    lost: UPLOADS - [...outcome.values()].reduce((a, b) => a + b, 0),
    upload_seconds: uploadSeconds,
    total_seconds: totalSeconds,
    api_peak_rss_mb: apiPeak === null ? null : Math.round(apiPeak),
  }),
);
await service.stop();
fs.rmSync(root, { recursive: true, force: true });
