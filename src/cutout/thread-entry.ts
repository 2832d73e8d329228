// Starting one of this folder's worker threads, from the built files or from the TypeScript
// sources (tests and tools run those through tsx).
import { Worker } from 'node:worker_threads';

/** The built entry `name`.js beside this file, or, from the sources, `name`.ts through tsx. */
export function startThread(name: string, workerData: unknown): Worker {
  const fromSources = import.meta.url.endsWith('.ts');
  const entry = new URL(`./${name}.${fromSources ? 'ts' : 'js'}`, import.meta.url);
  if (!fromSources) return new Worker(entry, { workerData });
  // Node 20 does not run --import hooks in worker threads: the thread registers tsx itself.
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import { register } from ${JSON.stringify(tsx)}; register(); await import(${JSON.stringify(entry.href)});`;
  return new Worker(boot, { eval: true, workerData });
}
