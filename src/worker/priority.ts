// WORKER_NICE: the worker's threads run below the api and Redis. On Linux a nice value belongs to
// a thread and the threads it starts inherit it, so this runs first, before the inference thread,
// onnxruntime's threads and libvips' threads exist.
import os from 'node:os';
import type { Logger } from 'pino';

/** Sets this thread's nice value (and so that of every thread started later); a refusal is only logged. */
export function lowerPriority(nice: number, logger?: Pick<Logger, 'warn'>): void {
  if (nice === 0) return;
  try {
    // Raising it never needs a privilege; only lowering it below the current value would.
    if (os.getPriority() < nice) os.setPriority(nice);
  } catch (err) {
    logger?.warn({ err, nice }, 'WORKER_NICE could not be applied; the worker runs at its current priority');
  }
}
