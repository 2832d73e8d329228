// Reads across the lanes (one BullMQ queue per model, lanes.ts) that merge what each lane holds.
import type { Job, Queue } from 'bullmq';

/** Jobs per state, summed over lanes. */
export function sumCounts(perLane: Record<string, number>[]): Record<string, number> {
  const total: Record<string, number> = {};
  for (const counts of perLane) for (const [state, n] of Object.entries(counts)) total[state] = (total[state] ?? 0) + n;
  return total;
}

/**
 * Failed jobs of every lane, newest first (by when they ended), `count` from index `start`, and
 * how many there are. Each lane gives its newest up to the end of the page and the lists are
 * merged; with one lane, only the page is read.
 */
export async function failedAcross<T>(lanes: Queue<T>[], start: number, count: number): Promise<{ total: number; jobs: Job<T>[] }> {
  const from = lanes.length === 1 ? start : 0;
  const read = await Promise.all(lanes.map((bull) => Promise.all([bull.getJobCountByTypes('failed'), bull.getJobs(['failed'], from, start + count - 1, false)])));
  const ended = (job: Job<T>) => job.finishedOn ?? job.timestamp;
  const jobs = read
    .flatMap(([, page]) => page.filter(Boolean))
    .sort((a, b) => ended(b) - ended(a))
    .slice(start - from, start - from + count);
  return { total: read.reduce((sum, [n]) => sum + n, 0), jobs };
}
