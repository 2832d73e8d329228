// `npm run load -- --failover 300`: N uploads behind Redis Sentinel (a master, a replica, three
// Sentinels, all real redis-server processes), with a Sentinel failover a third of the way in.
// The api and workers run in-process with a stand-in cutter that works --work-ms per job: the
// subject is Redis, not the model. Clients keep uploading through the switch and retry what is
// refused. Prints: accepted, done, lost (accepted but never done), ran twice, refused uploads,
// and the pauses (the longest gap between two accepted uploads, and between two jobs started).
// Options: --failover N --workers N --work-ms N --clients N --replicas N, --kill (SIGKILL the
// master rather than SENTINEL FAILOVER), and REDIS_WAIT_REPLICAS=1 in the environment.
import { startStack } from '../test/helpers/stack.js';
import { standInCutter } from '../test/helpers/stand-in.js';
import { subjectOnBackground } from '../test/helpers/images.js';
import { upload } from '../test/helpers/multipart.js';
import { isTerminalStatus } from '../src/vocabulary.js';
import { startTestSentinel } from './redis-ha.js';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const UPLOADS = arg('failover', 300);
const WORKERS = arg('workers', 2);
const WORK_MS = arg('work-ms', 50);
const CLIENTS = arg('clients', 4);
const REPLICAS = arg('replicas', 1);
const KILL = process.argv.includes('--kill');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const sentinel = await startTestSentinel({ replicas: REPLICAS });
const cutter = await standInCutter();
const starts: number[] = [];
const process_ = cutter.process.bind(cutter);
cutter.process = async (...args) => {
  starts.push(Date.now());
  await sleep(WORK_MS);
  return process_(...args);
};
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('REDIS_WAIT'))) as Record<string, string>;
const stack = await startStack({ workers: WORKERS, cutter, redis: sentinel, env: { RATE_LIMIT_PER_MINUTE: '0', ...env } });
const photo = await subjectOnBackground(64, 48);

const accepted: { id: string; at: number }[] = [];
let refused = 0;
let next = 0;
let failover: Promise<{ from: number; to: number; ms: number }> | undefined;
const t0 = Date.now();
await Promise.all(
  Array.from({ length: CLIENTS }, async () => {
    while (next < UPLOADS) {
      const i = next++;
      if (i === Math.floor(UPLOADS / 3)) {
        const began = Date.now();
        failover = sentinel.failover({ kill: KILL }).then((f) => ({ ...f, ms: Date.now() - began }));
      }
      for (;;) {
        const res = await upload(stack.baseUrl, photo, `f-${i}.jpg`).catch(() => null);
        if (res?.status === 202) {
          accepted.push({ id: ((await res.json()) as { job_id: string }).job_id, at: Date.now() });
          break;
        }
        refused++;
        await res?.body?.cancel();
        await sleep(50);
      }
    }
  }),
);
const switched = await failover;

const outcome = new Map<string, number>();
const deadline = Date.now() + 120_000;
for (const { id } of accepted) {
  for (;;) {
    const res = await fetch(`${stack.baseUrl}/status/${id}`).catch(() => null);
    const status = res?.ok ? ((await res.json()) as { status: string }).status : `http ${res?.status ?? 'error'}`;
    if (isTerminalStatus(status) || res?.status === 404 || Date.now() > deadline) {
      outcome.set(status, (outcome.get(status) ?? 0) + 1);
      break;
    }
    await sleep(100);
  }
}
const longestGap = (times: number[]) => times.slice(1).reduce((max, t, i) => Math.max(max, t - times[i]!), 0);
console.log(
  JSON.stringify({
    uploads: UPLOADS,
    workers: WORKERS,
    work_ms: WORK_MS,
    replicas: REPLICAS,
    redis_wait_replicas: stack.config.REDIS_WAIT_REPLICAS,
    how: KILL ? 'master SIGKILLed' : 'SENTINEL FAILOVER',
    failover: switched,
    accepted: accepted.length,
    jobs: Object.fromEntries(outcome),
    lost: accepted.length - (outcome.get('done') ?? 0),
    ran_twice: cutter.calls - accepted.length,
    refused_uploads: refused,
    longest_upload_pause_ms: longestGap(accepted.map((a) => a.at).sort((a, b) => a - b)),
    longest_work_pause_ms: longestGap(starts),
    seconds: (Date.now() - t0) / 1000,
  }),
);
await stack.stop();
await sentinel.cleanup();
