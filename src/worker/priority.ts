// WORKER_NICE: the worker's threads run below the api and Redis. On Linux a nice value belongs to a
// thread, and a new thread takes its creator's. Node starts some threads before any JavaScript
// runs (V8's helpers, libuv's pool, whose threads run sharp's work and start libvips' threads), so
// every thread the process has is lowered, at start-up, before the inference thread exists.
import fs from 'node:fs';
import os from 'node:os';
import type { Logger } from 'pino';

/** Lowers every thread of this process to `nice` (threads started later inherit it); a refusal is only logged. */
export function lowerPriority(nice: number, logger?: Pick<Logger, 'warn'>): void {
  if (nice === 0) return;
  try {
    // Raising a nice value never needs a privilege; only lowering it below the current one would.
    for (const tid of threadIds()) if (os.getPriority(tid) < nice) os.setPriority(tid, nice);
  } catch (err) {
    logger?.warn({ err, nice }, 'WORKER_NICE could not be applied; the worker runs at its current priority');
  }
}

/** This process's threads (Linux: /proc/self/task); elsewhere the calling thread alone (0). */
function threadIds(): number[] {
  try {
    return fs.readdirSync('/proc/self/task').map(Number).filter((tid) => Number.isInteger(tid) && tid > 0);
  } catch {
    return [0];
  }
}
