// The body of a pixel thread (see pixel-threads.ts): runs its share of a row-by-row or
// plane-by-plane pass over an image, reading and writing memory shared with the main thread, and
// says when it is done. Every kernel is the same function the main thread runs for its own share,
// so the parts join into exactly the single-thread result.
import { parentPort } from 'node:worker_threads';
import { boxMean } from './guided.js';
import { resizeLanczosRows } from './resample.js';
import { collectYoung } from './young-gc.js';
import type { PixelReply, PixelRequest } from './pixel-threads.js';

const port = parentPort;
if (!port) throw new Error('pixel-thread must run in a worker thread');

// A young-generation collection after each task (young-gc.ts): this thread allocates almost
// nothing, but its handles keep the shared buffers alive until it collects, and on an isolate this
// quiet V8 rarely does (the worker's peak was 1841–1847 MB without it, 1463–1473 MB with it, on the
// 4 rembg photos). Without a collector the thread declines every task.

port.on('message', (m: PixelRequest) => {
  if (!collectYoung) {
    reply({ id: m.id, error: 'this thread cannot free the shared memory it is given (no gc)' });
    return;
  }
  try {
    if (m.kind === 'lanczos') {
      resizeLanczosRows(m.band, m.outWidth, m.outHeight, m.bands, m.yy0, m.yy1, m.out);
    } else {
      m.planes.forEach((p, i) => boxMean(p, m.width, m.height, m.r, m.outs[i]));
    }
    reply({ id: m.id });
  } catch (err) {
    reply({ id: m.id, error: err instanceof Error ? err.message : String(err) });
  }
  collectYoung();
});

function reply(m: PixelReply): void {
  port!.postMessage(m);
}
