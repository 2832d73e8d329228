// Part 6: large photos. 24 MP and 1 MP versions of the same photos through the service, each size
// in a fresh worker process so that each peak RSS is that size's own. Both workers warm up on the
// same 1 MP photo (the model's first run is slower), not timed.
import type { Service } from '../service.js';
import { peakRssMb } from '../service.js';
import type { Client } from './client.js';
import { median } from './common.js';
import type { SizedPhotos } from './images.js';
import { freshWorker } from './workers.js';

export interface SizeRun {
  /** p50 end to end, ms. */
  p50: number;
  /** The fresh worker's peak RSS, MB. */
  peakMb: number;
}

export async function runSizes(service: Service, c: Client, photos: SizedPhotos, reps: number): Promise<{ small: SizeRun; large: SizeRun }> {
  const run = async (files: readonly string[]): Promise<SizeRun> => {
    const worker = await freshWorker(service);
    await c.timed(photos.small[0]!);
    const ms: number[] = [];
    for (let r = 0; r < reps; r++) for (const f of files) ms.push(await c.timed(f));
    return { p50: median(ms), peakMb: peakRssMb(worker.pid!) ?? NaN };
  };
  const small = await run(photos.small);
  const large = await run(photos.large);
  return { small, large };
}
