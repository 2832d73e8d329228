// `npm run capacity -- --per-day 1000000`: how many workers (and cores) for N images a day at a
// p95 wait, on paper (README "Capacity"). The throughput per worker is the benchmark's burst figure;
// the wait is the time before a worker starts the job (Erlang C: random arrivals, one job per
// worker, exponential service, which overstates the variance of our near-constant ~2.7 s).
// Options: --per-day N --p95-wait S (5) --peak X (2: the busiest hour over the average)
//          --per-worker R (0.365 images/s) --cores C (2 per worker) --busy U (0.8)

/** The probability that a job waits, with `c` workers and an offered load of `a` (= rate / per-worker rate). */
export function erlangC(c: number, a: number): number {
  if (a >= c) return 1;
  let b = 1; // Erlang B, by its stable recurrence
  for (let k = 1; k <= c; k++) b = (a * b) / (k + a * b);
  return (c * b) / (c - a * (1 - b));
}

/** The wait (s) that 95% of jobs stay under, before a worker takes them. */
export function p95WaitSeconds(workers: number, rate: number, perWorker: number): number {
  if (rate >= workers * perWorker) return Infinity;
  const waits = erlangC(workers, rate / perWorker);
  return waits <= 0.05 ? 0 : Math.log(waits / 0.05) / (workers * perWorker - rate);
}

export interface Plan {
  peakRate: number;
  busyWorkers: number;
  /** The fewest workers for the p95 wait, on paper. */
  workers: number;
  /** Workers at the busy fraction asked for (room for scale-up lag and bursts). */
  workersAtBusy: number;
}

export function plan(o: { perDay: number; p95Wait: number; peak: number; perWorker: number; busy: number }): Plan {
  const peakRate = (o.perDay / 86_400) * o.peak;
  const busyWorkers = peakRate / o.perWorker;
  let workers = Math.max(1, Math.ceil(busyWorkers));
  while (p95WaitSeconds(workers, peakRate, o.perWorker) > o.p95Wait) workers++;
  return { peakRate, busyWorkers, workers, workersAtBusy: Math.max(workers, Math.ceil(busyWorkers / o.busy)) };
}

if (process.argv[1]?.endsWith('capacity.ts')) {
  const arg = (name: string, def: number) => {
    const i = process.argv.indexOf(`--${name}`);
    const v = i > 0 ? Number(process.argv[i + 1]) : def;
    if (!(v > 0)) throw new Error(`--${name} needs a positive number`);
    return v;
  };
  const o = { perDay: arg('per-day', 1_000_000), p95Wait: arg('p95-wait', 5), peak: arg('peak', 2), perWorker: arg('per-worker', 0.365), busy: arg('busy', 0.8) };
  const cores = arg('cores', 2);
  const p = plan(o);
  process.stdout.write(
    `${o.perDay} images/day, peak ${o.peak}× the average: ${p.peakRate.toFixed(1)} images/s, ${p.busyWorkers.toFixed(1)} workers busy\n` +
      `p95 wait ≤ ${o.p95Wait} s: ${p.workers} workers on paper (${p.workers * cores} cores); ` +
      `${p.workersAtBusy} at ${Math.round(o.busy * 100)}% busy (${p.workersAtBusy * cores} cores)\n`,
  );
}
