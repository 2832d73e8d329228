// Part 7: INFERENCE_MEMORY=lean (onnxruntime's CPU arena off: the model's working memory is given
// back after each image), in the same run as the default's figures, so that its trade is measured
// and not quoted: the bench images one at a time (the worker's peak then compares with the peer's),
// then the 24 MP photos in the same worker (its peak then compares with the 1 MP one).
import type { Service } from '../service.js';
import { peakRssMb } from '../service.js';
import { client } from './client.js';
import { median } from './common.js';
import { oneAtATime } from './service-runs.js';

export interface LeanRun {
  /** One at a time, the bench images: p50 end to end, ms. */
  p50: number;
  /** The worker's peak RSS after them, MB. */
  peakMb: number;
  /** The 24 MP photos: p50 end to end, ms, and the same worker's peak RSS after them, MB. */
  largeP50: number;
  largePeakMb: number;
}

export async function runLean(start: (env: Record<string, string>) => Promise<Service>, images: readonly string[], large: readonly string[], reps: number): Promise<LeanRun> {
  const service = await start({ INFERENCE_MEMORY: 'lean' });
  try {
    const c = client(service.base);
    await c.timed(images[0]!); // the model's first run, not timed
    const pid = service.workers[0]!.pid!;
    const p50 = median(await oneAtATime(c, images, reps));
    const peakMb = peakRssMb(pid) ?? NaN;
    const largeP50 = median(await oneAtATime(c, large, 1));
    return { p50, peakMb, largeP50, largePeakMb: peakRssMb(pid) ?? NaN };
  } finally {
    await service.stop();
  }
}
