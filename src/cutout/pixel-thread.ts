// The body of a pixel thread (see pixel-threads.ts): runs its share of a row-by-row or
// plane-by-plane pass over an image, reading and writing memory shared with the main thread, and
// says when it is done. Every kernel is the same function the main thread runs for its own share,
// so the parts join into exactly the single-thread result.
import v8 from 'node:v8';
import vm from 'node:vm';
import { parentPort } from 'node:worker_threads';
import { boxMean } from './guided.js';
import { resizeLanczosRows } from './resample.js';
import type { PixelReply, PixelRequest } from './pixel-threads.js';

const port = parentPort;
if (!port) throw new Error('pixel-thread must run in a worker thread');

/**
 * A young-generation collection after each task. This thread allocates almost nothing (it works in
 * shared memory), but its handles to the shared buffers keep them alive until it collects, and on
 * an isolate this quiet V8 rarely does: measured on the 4 rembg photos, the worker's peak was 1841–
 * 1847 MB without this and 1463–1473 MB with it. The collection takes well under 1 ms. Without it
 * (were the flag refused) the thread declines every task, and the main thread does the work.
 */
const collect = (() => {
  try {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as unknown;
    if (typeof gc !== 'function') return null;
    return () => (gc as (options: { type: 'minor' }) => void)({ type: 'minor' });
  } catch {
    return null;
  }
})();

/** The horizontal pass's working plane, kept from one box mean to the next. */
let scratch = new Float32Array(0);

port.on('message', (m: PixelRequest) => {
  if (!collect) {
    reply({ id: m.id, error: 'this thread cannot free the shared memory it is given (no gc)' });
    return;
  }
  try {
    if (m.kind === 'lanczos') {
      resizeLanczosRows(m.band, m.outWidth, m.outHeight, m.bands, m.yy0, m.yy1, m.out);
    } else {
      const n = m.width * m.height;
      if (scratch.length < n) scratch = new Float32Array(n);
      m.planes.forEach((p, i) => boxMean(p, m.width, m.height, m.r, m.outs[i], scratch));
    }
    reply({ id: m.id });
  } catch (err) {
    reply({ id: m.id, error: err instanceof Error ? err.message : String(err) });
  }
  collect();
});

function reply(m: PixelReply): void {
  port!.postMessage(m);
}
