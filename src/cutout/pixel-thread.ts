// The body of a pixel thread (see pixel-threads.ts): runs its share of a row-by-row or
// plane-by-plane pass over an image and sends its part back. Every kernel is the same function the
// main thread runs for its own share, so the parts join into exactly the single-thread result.
import { parentPort } from 'node:worker_threads';
import { boxMean } from './guided.js';
import { resizeLanczosRows } from './resample.js';
import type { PixelReply, PixelRequest } from './pixel-threads.js';

const port = parentPort;
if (!port) throw new Error('pixel-thread must run in a worker thread');

port.on('message', (m: PixelRequest) => {
  try {
    if (m.kind === 'lanczos') {
      const out = resizeLanczosRows(m.band, m.outWidth, m.outHeight, m.bands, m.yy0, m.yy1);
      // A view of the band when nothing was resampled: copied so that it can be sent.
      const own = out.byteOffset === 0 && out.byteLength === out.buffer.byteLength ? out : out.slice();
      reply({ id: m.id, rows: own }, [own.buffer as ArrayBuffer]);
    } else {
      const planes = m.planes.map((p) => boxMean(p, m.width, m.height, m.r));
      reply({ id: m.id, planes }, planes.map((p) => p.buffer as ArrayBuffer));
    }
  } catch (err) {
    reply({ id: m.id, error: err instanceof Error ? err.message : String(err) });
  }
});

function reply(m: PixelReply, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(m, transfer);
}
