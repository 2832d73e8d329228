// A young-generation collection on demand (and a full one, collectAll), for the threads that share image memory
// (pixel-threads.ts). A SharedArrayBuffer lives until every thread that was handed it has
// collected its handle, and V8 does not count these buffers towards the memory that makes it
// collect: left to itself, the worker held 50–85 MB of dead shared buffers on 1 MP photos and up
// to ~370 MB when the pixel thread never collected. Node exposes the collector only behind
// --expose-gc; the flag is set here (it only adds `gc` to new contexts) and the function taken
// from a fresh context. Where that fails, `collectYoung` is null and the image work stays on the
// calling thread (pixel-threads.ts), which needs no shared memory.
import v8 from 'node:v8';
import vm from 'node:vm';

type Collector = (options?: { type: 'minor' }) => void;

const gc: Collector | null = (() => {
  try {
    v8.setFlagsFromString('--expose-gc');
    const found = vm.runInNewContext('gc') as unknown;
    return typeof found === 'function' ? (found as Collector) : null;
  } catch {
    return null;
  }
})();

export const collectYoung: (() => void) | null = gc ? () => gc({ type: 'minor' }) : null;

/**
 * A full collection, once, after a large one-off allocation that would otherwise stay until V8
 * next collects on its own: the model's widened copy (session.ts; ~260 MB held through the first
 * runs without it).
 */
export const collectAll: (() => void) | null = gc ? () => gc() : null;
