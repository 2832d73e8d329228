// Parts 3 to 5, through the real service (redis + api + worker processes): jobs one at a time,
// a burst, and GET /status under load, with the worker idle and while a burst runs.
import autocannon from 'autocannon';
import type { Client } from './client.js';

/** Each image `reps` times, one job at a time (upload → queue → worker → download), ms each. */
export async function oneAtATime(c: Client, images: readonly string[], reps: number): Promise<number[]> {
  const ms: number[] = [];
  for (let r = 0; r < reps; r++) for (const f of images) ms.push(await c.timed(f));
  return ms;
}

/** `count` jobs uploaded at once; seconds until the last result is downloaded. */
export async function burst(c: Client, images: readonly string[], count: number): Promise<{ seconds: number; ids: string[] }> {
  const t0 = performance.now();
  const ids = await Promise.all(Array.from({ length: count }, (_, i) => c.submit(images[i % images.length]!)));
  await Promise.all(ids.map((id) => c.finish(id)));
  return { seconds: (performance.now() - t0) / 1000, ids };
}

export interface StatusLoad {
  rps: number;
  p99: number;
  non2xx: number;
  errors: number;
}

/** 50 connections on one status URL for `seconds`. */
export async function statusLoad(url: string, seconds: number): Promise<StatusLoad> {
  const r = await autocannon({ url, connections: 50, duration: seconds });
  return { rps: Math.round(r.requests.average), p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors };
}

/**
 * GET /status while a burst runs: enough jobs for the worker to stay busy through the load
 * (`seconds` at `rate` jobs/s, and a margin), each client polling the last one (queued behind
 * the others: uncached, one Redis round trip each, with its position); then the jobs finish.
 * A burst of its own, so the figure does not slow the measured burst. The same load runs for
 * WARM_UP_SECONDS first, unmeasured but reported (`warmUpP99`): a fresh api's first requests on
 * a path are slower while V8 compiles it (p99 34–85 ms in that first second, 16–27 ms after), and
 * a service answers from a warm process nearly all its life.
 */
export async function statusWhileBusy(c: Client, base: string, images: readonly string[], seconds: number, rate: number): Promise<StatusLoad & { jobs: number; warmUpP99: number }> {
  const jobs = Math.ceil((seconds + WARM_UP_SECONDS) * rate) + 3;
  const ids: string[] = [];
  for (let i = 0; i < jobs; i++) ids.push(await c.submit(images[i % images.length]!));
  const url = `${base}/status/${ids.at(-1)!}`;
  const warmUp = await statusLoad(url, WARM_UP_SECONDS);
  const load = await statusLoad(url, seconds);
  await Promise.all(ids.map((id) => c.finish(id)));
  return { ...load, jobs, warmUpP99: warmUp.p99 };
}

const WARM_UP_SECONDS = 1;
