// `npm run bench [-- --quick] [--json]`: speed and memory, side by side with the peer, in one run.
// Runs compiled (dist-tools/, see tools/tsconfig.json), against the service built in dist/.
// Each part runs alone (nothing else busy): bare pipeline → peer → service one at a time →
// burst of 50 → GET /status load. Results also go to bench-results/ (git-ignored).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import sharp from 'sharp';
import { loadConfigOrExit, pipelineOptions } from '../../src/config.js';
import { CutoutPipeline } from '../../src/cutout/pipeline.js';
import { REPO_DIR } from '../repo.js';
import { peakRssMb, startService, upload } from '../service.js';
import { ECSSD_DIR, haveFixtures, REMBG_DIR } from './fixtures.js';

const { values } = parseArgs({ options: { quick: { type: 'boolean' }, json: { type: 'boolean' } } });
const quick = values.quick ?? false;
const REPS = quick ? 1 : 3;
const BURST = quick ? 20 : 50;
const STATUS_SECONDS = quick ? 3 : 10;
const config = loadConfigOrExit();
const say = (s: string) => {
  if (!values.json) console.log(s);
  else process.stderr.write(`${s}\n`);
};
const median = (a: number[]) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const round = (n: number, d = 1) => Math.round(n * 10 ** d) / 10 ** d;

// ---- images
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cutout-bench-'));
let images: string[];
if (haveFixtures()) {
  const rembg = fs.readdirSync(REMBG_DIR).filter((f) => /\.(jpg|png)$/.test(f)).sort().map((f) => path.join(REMBG_DIR, f));
  const ecssd = fs.readdirSync(path.join(ECSSD_DIR, 'images')).sort().slice(0, quick ? 0 : 4).map((f) => path.join(ECSSD_DIR, 'images', f));
  images = [...rembg, ...ecssd];
} else {
  say('(../shared/fixtures not found: using generated images)');
  images = [];
  for (let i = 0; i < 4; i++) {
    const f = path.join(tmp, `gen-${i}.jpg`);
    await sharp({ create: { width: 800 + i * 100, height: 600, channels: 3, background: { r: 40 * i, g: 150, b: 90 } } }).jpeg().toFile(f);
    images.push(f);
  }
}
const threads = config.INFERENCE_THREADS;
say(`Cutout benchmark: ${images.length} images, model ${config.MODELS[0]}, ${threads} threads, ${os.availableParallelism()} cores${quick ? ' (quick)' : ''}`);

// ---- 1. bare pipeline, in-process
const pipeline = await CutoutPipeline.create(pipelineOptions(config));
await pipeline.process(fs.readFileSync(images[0]!));
const bareMs: number[] = [];
for (let r = 0; r < REPS; r++) {
  for (const f of images) {
    const t = performance.now();
    await pipeline.process(fs.readFileSync(f));
    bareMs.push(performance.now() - t);
  }
}
await pipeline.release();
const bare = median(bareMs);
say(`bare pipeline         p50 ${round(bare, 0)} ms`);

// ---- 2. the peer, in its own process (plain node, compiled like the worker: no loader in its memory)
const peerOut = execFileSync(process.execPath, [fileURLToPath(new URL('./peer.js', import.meta.url)), '--reps', String(REPS), ...images], {
  encoding: 'utf8',
  maxBuffer: 1 << 20,
  stdio: ['ignore', 'pipe', 'ignore'],
});
const peerRes = JSON.parse(peerOut.trim().split('\n').at(-1)!) as { ms: number[]; peak_rss_mb: number };
const peer = median(peerRes.ms);
say(`peer (imgly node)     p50 ${round(peer, 0)} ms, peak RSS ${peerRes.peak_rss_mb} MB`);

// ---- 3. the real service: redis + api + worker processes
// The result cache is off here: these images are uploaded again and again, and each must be processed.
const processes = await startService(tmp, { env: { MODEL_DIR: config.MODEL_DIR, QUEUE_NAME: 'bench', RESULT_CACHE: 'false' } });
const { base } = processes;
const worker = processes.workers[0]!;

async function submit(file: string): Promise<string> {
  const res = await upload(base, fs.readFileSync(file), path.basename(file));
  if (res.status !== 202) throw new Error(`upload ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { job_id: string }).job_id;
}
/** Waits for the job through its event stream (no polling delay), then downloads the result. */
async function finish(id: string): Promise<void> {
  const res = await fetch(`${base}/events/${id}`);
  const text = await res.text(); // the stream ends after the terminal event
  if (!/event: done/.test(text)) throw new Error(`job ${id} did not finish: ${text.slice(-300)}`);
  const png = await fetch(`${base}/result/${id}`);
  if (!png.ok) throw new Error(`result ${png.status}`);
  await png.arrayBuffer();
}

await finish(await submit(images[0]!)); // warm-up: the worker's first run
const serviceMs: number[] = [];
for (let r = 0; r < REPS; r++) {
  for (const f of images) {
    const t = performance.now();
    await finish(await submit(f));
    serviceMs.push(performance.now() - t);
  }
}
const service = median(serviceMs);
say(`service, one at a time p50 ${round(service, 0)} ms (upload → queue → worker → download)`);

// ---- 4. burst: BURST jobs at once
const t0 = performance.now();
const burstIds = await Promise.all(Array.from({ length: BURST }, (_, i) => submit(images[i % images.length]!)));
await Promise.all(burstIds.map(finish));
const burstSeconds = (performance.now() - t0) / 1000;
const burstRate = BURST / burstSeconds;
const bareRate = 1000 / bare;
say(`burst of ${BURST}           ${round(burstRate, 2)} images/s (bare: ${round(bareRate, 2)} images/s)`);
const workerRss = peakRssMb(worker.pid!) ?? 0;
say(`worker peak RSS       ${Math.round(workerRss)} MB`);

// ---- 5. GET /status under load, worker idle
const load = await autocannon({ url: `${base}/status/${burstIds[0]}`, connections: 50, duration: STATUS_SECONDS });
say(`GET /status (done)    ${Math.round(load.requests.average)} req/s, p99 ${load.latency.p99} ms (50 connections, ${STATUS_SECONDS} s, ${load.non2xx} non-2xx)`);
// The same for a job that is queued (never cached: one Redis round trip each, with its position).
worker.kill('SIGTERM');
await new Promise((r) => worker.once('exit', r));
const queuedId = await submit(images[0]!);
const queuedLoad = await autocannon({ url: `${base}/status/${queuedId}`, connections: 50, duration: STATUS_SECONDS });
say(`GET /status (queued)  ${Math.round(queuedLoad.requests.average)} req/s, p99 ${queuedLoad.latency.p99} ms (uncached: one Redis round trip each)`);

await processes.stop();

// ---- 6. the result cache: repeats of the same photo, and the cost of each option on a reused mask
const cachedService = await startService(path.join(tmp, 'cached'), { env: { MODEL_DIR: config.MODEL_DIR, QUEUE_NAME: 'bench-cache', RESULT_CACHE: 'true' } });
async function send(file: string, fields: Record<string, string> = {}): Promise<{ id: string; status: number }> {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(fs.readFileSync(file))]), path.basename(file));
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  const res = await fetch(`${cachedService.base}/remove-bg`, { method: 'POST', body: form });
  if (res.status !== 202 && res.status !== 200) throw new Error(`upload ${res.status}: ${await res.text()}`);
  return { id: ((await res.json()) as { job_id: string }).job_id, status: res.status };
}
async function finishAt(id: string): Promise<void> {
  const text = await (await fetch(`${cachedService.base}/events/${id}`)).text();
  if (!/event: done/.test(text)) throw new Error(`job ${id} did not finish: ${text.slice(-300)}`);
  await (await fetch(`${cachedService.base}/result/${id}`)).arrayBuffer();
}
const photo = images[0]!;
// A face crop needs a face: the person photo among the fixtures when there is one.
const person = images.find((f) => /cloth/.test(f)) ?? photo;
const timed = async (fields: Record<string, string>) => {
  const t = performance.now();
  const { id } = await send(fields.crop === 'face' ? person : photo, fields);
  await finishAt(id);
  return performance.now() - t;
};
const firstMs = await timed({});
if (person !== photo) await finishAt((await send(person)).id); // its mask, for the face crops
const repeatMs: number[] = [];
for (let i = 0; i < 20; i++) {
  const t = performance.now();
  const { id, status } = await send(photo);
  if (status !== 200) throw new Error(`repeat ${i} was not answered from the cache (${status})`);
  await (await fetch(`${cachedService.base}/result/${id}`)).arrayBuffer();
  repeatMs.push(performance.now() - t);
}
const repeat = median(repeatMs);
say(`repeat upload p50     ${round(repeat, 0)} ms (same photo and options: done at once, result downloaded; first time ${round(firstMs, 0)} ms)`);
// Each option on the photo's stored mask (no inference), against a plain PNG on the same mask.
const OPTION_SETS: Record<string, Record<string, string>> = {
  png_reused_mask: { format: 'png' },
  webp: { format: 'webp' },
  jpg_white: { format: 'jpg', bg_color: 'white' },
  crop: { crop: 'true', crop_margin: '5%' },
  canvas_2000: { canvas: '2000x2000', bg_color: 'white', crop_margin: '5%' },
  preview: { size: 'preview' },
  bg_blur: { bg_blur: '40' },
  shadow: { shadow: 'soft', bg_color: 'white' },
  mask_only: { channels: 'alpha' },
  face: { crop: 'face' },
};
const optionMs: Record<string, number> = {};
for (const [name, fields] of Object.entries(OPTION_SETS)) {
  const runs: number[] = [];
  // Each run differs in a setting with no effect here (a width limit above the photo's, a hair
  // more margin), so it is rendered, not answered from the cache.
  const vary = (r: number): Record<string, string> => (fields.canvas ? { crop_margin: `${5 + r / 100}%` } : { max_width: String(10_000 - r) });
  for (let r = 0; r < Math.max(2, REPS); r++) runs.push(await timed({ ...fields, ...vary(r) }).catch(() => NaN));
  optionMs[name] = round(median(runs.filter((n) => !Number.isNaN(n))), 0);
}
say(`options on a reused mask, ms end to end: ${Object.entries(optionMs).map(([k, v]) => `${k} ${v}`).join(', ')}`);
await cachedService.stop();
fs.rmSync(tmp, { recursive: true, force: true });

const result = {
  bare_ms_p50: round(bare),
  service_ms_p50: round(service),
  overhead_ratio: round(service / bare, 3),
  peer_ms_p50: round(peer),
  peer_ratio: round(service / peer, 3),
  bare_images_per_s: round(bareRate, 3),
  burst_images_per_s: round(burstRate, 3),
  burst_ratio: round(burstRate / bareRate, 3),
  worker_peak_rss_mb: Math.round(workerRss),
  peer_peak_rss_mb: peerRes.peak_rss_mb,
  rss_ratio: round(workerRss / peerRes.peak_rss_mb, 3),
  status_rps: Math.round(load.requests.average),
  status_p99_ms: load.latency.p99,
  repeat_ms_p50: round(repeat),
  option_ms_p50: optionMs,
  images: images.length,
  model: config.MODELS[0],
  threads,
  cores: os.availableParallelism(),
};
say('');
say(`overhead_ratio ${result.overhead_ratio} (target ≤ 1.10)   peer_ratio ${result.peer_ratio} (≤ 0.60)   burst_ratio ${result.burst_ratio} (≥ 0.95)`);
say(`rss_ratio ${result.rss_ratio} (≤ 0.50)   status_rps ${result.status_rps} (≥ 5000), p99 ${result.status_p99_ms} ms (≤ 20)   repeat_ms_p50 ${result.repeat_ms_p50} (≤ 50)`);
fs.mkdirSync(path.join(REPO_DIR, 'bench-results'), { recursive: true });
fs.writeFileSync(path.join(REPO_DIR, 'bench-results', `${new Date().toISOString().replace(/[:.]/g, '-')}.json`), `${JSON.stringify(result, null, 2)}\n`);
console.log(JSON.stringify(result));
process.exit(0);
