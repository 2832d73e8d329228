// Part 7: the soak. A fresh worker takes 300 jobs in waves of 50 (each a burst, all done before the
// next); its resident memory (current, not peak) is read after each wave, the worker idle each
// time. soak_rss_growth = RSS after 300 jobs / after 50 − 1.
import type { Service } from '../service.js';
import { rssMb } from '../service.js';
import type { Client } from './client.js';
import { round } from './common.js';
import { burst } from './service-runs.js';
import { freshWorker } from './workers.js';

export const SOAK_JOBS = 300;
const WAVE = 50;

export interface SoakResult {
  jobs: number;
  /** RSS after each wave of 50, MB. */
  rssMb: number[];
  growth: number;
  seconds: number;
}

export async function soak(service: Service, c: Client, images: readonly string[], say: (s: string) => void): Promise<SoakResult> {
  const worker = await freshWorker(service);
  const t0 = performance.now();
  const rss: number[] = [];
  for (let done = 0; done < SOAK_JOBS; done += WAVE) {
    await burst(c, images, WAVE);
    rss.push(rssMb(worker.pid!) ?? NaN);
    say(`soak: ${done + WAVE} jobs, worker RSS ${Math.round(rss.at(-1)!)} MB`);
  }
  return { jobs: SOAK_JOBS, rssMb: rss.map((m) => Math.round(m)), growth: round(rss.at(-1)! / rss[0]! - 1, 4), seconds: round((performance.now() - t0) / 1000, 0) };
}
