// `npm run bench [-- --quick] [--soak] [--json]`: speed and memory, side by side with the peer, in
// one run (issue 19's figures). Runs compiled (dist-tools/, see tools/tsconfig.json), against the
// service built in dist/. Each part runs alone (nothing else busy): bare pipeline and model call →
// peer → service one at a time → burst → GET /status idle and during a burst → 1 MP and 24 MP
// photos (a fresh worker each) → soak of 300 jobs (full run; --soak alone; not --quick) →
// INFERENCE_MEMORY=lean → result cache. Results also go to bench-results/ (git-ignored).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { peakRssMb, startService, type Service } from '../service.js';
import { burstCeiling, runBareAsWorker } from './bare.js';
import { runCache } from './cache.js';
import { client } from './client.js';
import { config, median, quick, round, runPart, say, soakOnly } from './common.js';
import { benchImages, sizedPhotos } from './images.js';
import { runSizes } from './large.js';
import { runLean } from './lean.js';
import { burst, oneAtATime, statusLoad, statusWhileBusy } from './service-runs.js';
import { soak, type SoakResult } from './soak.js';
import { printTargets, writeResult } from './summary.js';

const REPS = quick ? 1 : 3;
const BURST = quick ? 12 : 50;
const STATUS_SECONDS = quick ? 3 : 10;
const SIZED = quick ? 2 : 4;
const SIZED_REPS = quick ? 1 : 2;
const started = performance.now();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cutout-bench-'));
const images = await benchImages(tmp, quick);
const threads = config.INFERENCE_THREADS;
const about = { images: images.length, model: config.MODELS[0], threads, cores: os.availableParallelism(), quick };
say(`Cutout benchmark: ${images.length} images, model ${config.MODELS[0]}, ${threads} threads, ${about.cores} cores${quick ? ' (quick)' : soakOnly ? ' (soak only)' : ''}`);

// The result cache is off in this service: these images are uploaded again and again, and each must be processed.
const startBenchService = (dir: string, env: Record<string, string> = {}): Promise<Service> =>
  startService(path.join(tmp, dir), { env: { MODEL_DIR: config.MODEL_DIR, QUEUE_NAME: 'bench', RESULT_CACHE: 'false', ...env } });
const seconds = () => round((performance.now() - started) / 1000, 0);

async function runSoak(service: Service): Promise<SoakResult> {
  const s = await soak(service, client(service.base), images, say);
  say(`soak                  ${s.jobs} jobs in ${s.seconds} s, worker RSS ${s.rssMb[0]} MB after 50 → ${s.rssMb.at(-1)} MB after ${s.jobs}: growth ${s.growth}`);
  return s;
}
const soakFields = (s: SoakResult | null) => ({
  soak_rss_growth: s?.growth ?? null,
  soak_rss_mb: s?.rssMb ?? null,
  soak_seconds: s?.seconds ?? null,
});

if (soakOnly) {
  const service = await startBenchService('soak');
  const s = await runSoak(service);
  await service.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
  const result = { ...soakFields(s), ...about, duration_s: seconds() };
  printTargets(result);
  writeResult(result);
  process.exit(0);
}

// ---- 1. bare pipeline (no queue, no HTTP) in its own process started as a worker is, and its model call alone
const bare = runBareAsWorker(images, REPS);
const bareMs = median(bare.ms);
const modelMs = bare.stages.inference;
say(`bare pipeline         p50 ${round(bareMs, 0)} ms; model call alone p50 ${round(modelMs, 0)} ms (stages p50: ${Object.entries(bare.stages).map(([k, v]) => `${k} ${round(v, 0)}`).join(', ')})`);
const ceiling = burstCeiling(about.cores, modelMs, bare.modelCores, bareMs - modelMs, bare.aroundCores);
say(`cores busy            ${bare.modelCores} during the model call, ${bare.aroundCores} around it: a burst can beat the bare pipeline by ${round(ceiling, 3)}× at most on ${about.cores} cores`);

// ---- 2. the peer, in its own process (plain node, compiled like the worker: no loader in its memory)
const peerRes = runPart<{ ms: number[]; peak_rss_mb: number }>('peer.js', ['--reps', String(REPS), ...images], { stderr: 'ignore' });
const peer = median(peerRes.ms);
say(`peer (imgly node)     p50 ${round(peer, 0)} ms, peak RSS ${peerRes.peak_rss_mb} MB`);

// ---- 3. the real service: redis + api + worker processes; one at a time, then a burst
const sized = await sizedPhotos(tmp, SIZED); // made now, before anything is timed in the service
const service = await startBenchService('service');
const { base } = service;
const c = client(base);
await c.timed(images[0]!); // warm-up: the worker's first run
const serviceMs = median(await oneAtATime(c, images, REPS));
say(`service, one at a time p50 ${round(serviceMs, 0)} ms (upload → queue → worker → download)`);
const b = await burst(c, images, BURST);
const burstRate = BURST / b.seconds;
const bareRate = 1000 / bareMs;
say(`burst of ${BURST}           ${round(burstRate, 2)} images/s (bare: ${round(bareRate, 2)} images/s)`);
const workerRss = peakRssMb(service.workers[0]!.pid!) ?? NaN;
say(`worker peak RSS       ${Math.round(workerRss)} MB`);

// ---- 4. GET /status, 50 connections: a finished job with the worker idle, then a queued job while a burst runs
const idle = await statusLoad(`${base}/status/${b.ids[0]}`, STATUS_SECONDS);
say(`GET /status, idle     ${idle.rps} req/s, p99 ${idle.p99} ms (a finished job, 50 connections, ${STATUS_SECONDS} s, ${idle.non2xx} non-2xx)`);
const busy = await statusWhileBusy(c, base, images, STATUS_SECONDS, burstRate);
say(`GET /status, burst    ${busy.rps} req/s, p99 ${busy.p99} ms (a queued job while ${busy.jobs} jobs run, ${busy.non2xx} non-2xx, ${busy.errors} errors; the 1 s warm-up before: p99 ${busy.warmUpP99} ms)`);

// ---- 5. 1 MP and 24 MP photos, a fresh worker for each size
const sizes = await runSizes(service, c, sized, SIZED_REPS);
say(`1 MP photos           p50 ${round(sizes.small.p50, 0)} ms, fresh worker's peak RSS ${Math.round(sizes.small.peakMb)} MB (${sized.small.length} photos)`);
say(`24 MP photos          p50 ${round(sizes.large.p50, 0)} ms, fresh worker's peak RSS ${Math.round(sizes.large.peakMb)} MB (${sized.largeSizes.join(', ')})`);

// ---- 6. the soak (not in --quick)
const soaked = quick ? null : await runSoak(service);
await service.stop();

// ---- 7. the same with INFERENCE_MEMORY=lean: its memory and its time, in this run
const lean = await runLean((env) => startBenchService('lean', env), images, sized.large, REPS);
say(`lean, one at a time   p50 ${round(lean.p50, 0)} ms, worker peak RSS ${Math.round(lean.peakMb)} MB; 24 MP p50 ${round(lean.largeP50, 0)} ms, peak ${Math.round(lean.largePeakMb)} MB (INFERENCE_MEMORY=lean)`);

// ---- 8. the result cache: repeats of the same photo, and the cost of each option on a reused mask
const cached = await startService(path.join(tmp, 'cached'), { env: { MODEL_DIR: config.MODEL_DIR, QUEUE_NAME: 'bench-cache', RESULT_CACHE: 'true' } });
const cache = await runCache(client(cached.base), cached.base, images, quick ? 1 : Math.max(2, REPS));
say(`repeat upload p50     ${round(cache.repeatMs, 0)} ms (same photo and options: done at once, result downloaded; first time ${round(cache.firstMs, 0)} ms)`);
say(`options on a reused mask, ms end to end: ${Object.entries(cache.optionMs).map(([k, v]) => `${k} ${v}`).join(', ')}`);
await cached.stop();
fs.rmSync(tmp, { recursive: true, force: true });

const result = {
  bare_ms_p50: round(bareMs),
  model_ms_p50: round(modelMs),
  model_ratio: round(bareMs / modelMs, 3),
  bare_stage_ms_p50: bare.stages,
  model_cores: bare.modelCores,
  around_cores: bare.aroundCores,
  burst_ceiling: round(ceiling, 3),
  service_ms_p50: round(serviceMs),
  overhead_ratio: round(serviceMs / bareMs, 3),
  peer_ms_p50: round(peer),
  peer_ratio: round(serviceMs / peer, 3),
  bare_images_per_s: round(bareRate, 3),
  burst_images_per_s: round(burstRate, 3),
  burst_ratio: round(burstRate / bareRate, 3),
  worker_peak_rss_mb: Math.round(workerRss),
  peer_peak_rss_mb: peerRes.peak_rss_mb,
  rss_ratio: round(workerRss / peerRes.peak_rss_mb, 3),
  status_rps: busy.rps,
  status_p99_ms: busy.p99,
  status_warmup_p99_ms: busy.warmUpP99,
  status_idle_rps: idle.rps,
  status_idle_p99_ms: idle.p99,
  small_ms_p50: round(sizes.small.p50),
  large_ms_p50: round(sizes.large.p50),
  large_ratio: round(sizes.large.p50 / sizes.small.p50, 3),
  small_peak_rss_mb: Math.round(sizes.small.peakMb),
  large_peak_rss_mb: Math.round(sizes.large.peakMb),
  large_rss_ratio: round(sizes.large.peakMb / sizes.small.peakMb, 3),
  large_sizes: sized.largeSizes,
  lean_ms_p50: round(lean.p50),
  lean_peer_ratio: round(lean.p50 / peer, 3),
  lean_overhead_ratio: round(lean.p50 / serviceMs, 3),
  lean_peak_rss_mb: Math.round(lean.peakMb),
  lean_rss_ratio: round(lean.peakMb / peerRes.peak_rss_mb, 3),
  lean_large_ms_p50: round(lean.largeP50),
  lean_large_peak_rss_mb: Math.round(lean.largePeakMb),
  lean_large_rss_ratio: round(lean.largePeakMb / lean.peakMb, 3),
  ...soakFields(soaked),
  repeat_ms_p50: round(cache.repeatMs),
  option_ms_p50: cache.optionMs,
  ...about,
  duration_s: seconds(),
};
printTargets(result, { soak_rss_growth: 'skipped in --quick: run --soak' });
say(`repeat_ms_p50 ${result.repeat_ms_p50} (≤ 50)   status_idle_rps ${result.status_idle_rps} (≥ 5000), p99 ${result.status_idle_p99_ms} ms   ${result.duration_s} s in all`);
writeResult(result);
process.exit(0);
