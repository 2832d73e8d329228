// A young-generation collection on demand, for the threads that share image memory
// (pixel-threads.ts). A SharedArrayBuffer lives until every thread that was handed it has
// collected its handle, and V8 does not count these buffers towards the memory that makes it
// collect: left to itself, the worker held 50–85 MB of dead shared buffers on 1 MP photos and up
// to ~370 MB when the pixel thread never collected. Node exposes the collector only behind
// --expose-gc; the flag is set here (it only adds `gc` to new contexts) and the function taken
// from a fresh context. Where that fails, `collectYoung` is null and the image work stays on the
// calling thread (pixel-threads.ts), which needs no shared memory.
import v8 from 'node:v8';
import vm from 'node:vm';

type Collector = (options: { type: 'minor' }) => void;

export const collectYoung: (() => void) | null = (() => {
  try {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as unknown;
    return typeof gc === 'function' ? () => (gc as Collector)({ type: 'minor' }) : null;
  } catch {
    return null;
  }
})();
