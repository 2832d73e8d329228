// Worker processes of the bench's service: replaced by fresh ones, so each part's memory peak is
// its own; their memory read from /proc.
import type { ChildProcess } from 'node:child_process';
import type { Service } from '../service.js';

/** Stops every worker of the service (SIGTERM; they are idle) and starts one new worker. */
export async function freshWorker(service: Service): Promise<ChildProcess> {
  await Promise.all(service.workers.map(stopped));
  return service.addWorker();
}

function stopped(worker: ChildProcess): Promise<void> {
  if (worker.exitCode !== null || worker.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  worker.kill('SIGTERM');
  return exited;
}
