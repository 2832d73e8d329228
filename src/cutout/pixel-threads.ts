// The image work around the model, on every core. The model's two threads are idle while a photo
// is resized to the model's square, while its mask is enlarged back and its edges refined: those
// passes ran on one core. Here the worker's main thread keeps one share of each pass and hands the
// others to pixel threads (PIXEL_THREADS; pixel-thread.ts): the exact Lanczos resizes by output
// rows, the refinement's box means by planes. Each share is computed by the very function the main
// thread runs, so the result is the same bytes whatever the number of threads (tested).
// A pixel thread that fails or dies costs only time: its share is computed on the calling thread
// (the same bytes), and the next pass starts a new thread.
import type { Worker } from 'node:worker_threads';
import { boxMean, type BoxMeans } from './guided.js';
import { resizeLanczos, resizeLanczosRows, sourceRows, type Pixels, type RowBand } from './resample.js';
import { startThread } from './thread-entry.js';

/** Messages to a pixel thread. */
export type PixelRequest =
  | { id: number; kind: 'lanczos'; band: RowBand; outWidth: number; outHeight: number; bands: 1 | 3; yy0: number; yy1: number }
  | { id: number; kind: 'box'; planes: Float32Array[]; width: number; height: number; r: number };

/** Its answers: the rows or planes asked for, or why not. */
export type PixelReply = { id: number; rows?: Uint8Array; planes?: Float32Array[]; error?: string };

/** Below this many output values a pass stays on one thread (handing it out would cost more). */
const MIN_SPLIT = 1 << 16;

type Pending = { resolve: (m: PixelReply) => void; reject: (err: Error) => void };

/** One pixel thread, started on first use and again after a failure. */
class PixelThread {
  private worker: Worker | null = null;

  constructor(private readonly entry: string) {}

  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  run(request: PixelRequest extends infer R ? (R extends unknown ? Omit<R, 'id'> : never) : never, transfer: ArrayBuffer[]): Promise<PixelReply> {
    const worker = this.start();
    const id = this.nextId++;
    return new Promise<PixelReply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ ...request, id }, transfer);
    }).then((m) => {
      if (m.error) throw new Error(`a pixel thread failed: ${m.error}`);
      return m;
    });
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = startThread(this.entry, null);
    worker.unref(); // an idle pixel thread never keeps the process alive
    worker.on('message', (m: PixelReply) => {
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      p?.resolve(m);
    });
    const down = (err: Error) => {
      if (this.worker === worker) this.worker = null;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    worker.on('error', (err) => down(new Error(`a pixel thread failed: ${err.message}`)));
    worker.on('exit', (code) => down(new Error(`a pixel thread stopped (exit code ${code})`)));
    this.worker = worker;
    return worker;
  }

  async stop(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    await worker?.terminate();
  }
}

/** The main thread and `threads` pixel threads, sharing passes over an image. */
export class PixelThreads {
  private readonly helpers: PixelThread[];

  /**
   * `threads` pixel threads besides the calling one (0: every pass on the calling thread), each
   * running the module `entry` of this folder (tests name one that does not exist).
   */
  constructor(
    readonly threads: number,
    entry = 'pixel-thread',
  ) {
    this.helpers = Array.from({ length: threads }, () => new PixelThread(entry));
  }

  /** resizeLanczos, its output rows shared out: the helpers each get a copy of the source rows their share reads. */
  async resizeLanczos(src: Pixels, outWidth: number, outHeight: number, bands: 1 | 3): Promise<Uint8Array> {
    const parts = Math.min(this.helpers.length + 1, Math.floor((outWidth * outHeight * bands) / MIN_SPLIT));
    if (parts < 2) return resizeLanczos(src, outWidth, outHeight, bands);
    if (src.data.length !== src.width * src.height * src.channels) throw new Error('pixel buffer does not match its size');
    const rowLength = outWidth * bands;
    const out = new Uint8Array(rowLength * outHeight);
    const cut = (k: number) => Math.round((outHeight * k) / parts);
    const shares = this.helpers.slice(0, parts - 1).map((helper, i) => {
      const yy0 = cut(i + 1);
      const yy1 = cut(i + 2);
      const { from, to } = sourceRows(src.height, outHeight, yy0, yy1);
      const srcRow = src.width * src.channels;
      const data = src.data.slice(from * srcRow, to * srcRow);
      const band: RowBand = { data, width: src.width, height: src.height, channels: src.channels, top: from };
      return helper.run({ kind: 'lanczos', band, outWidth, outHeight, bands, yy0, yy1 }, [data.buffer]).then(
        (m) => out.set(m.rows!, yy0 * rowLength),
        () => out.set(resizeLanczosRows({ ...src, top: 0 }, outWidth, outHeight, bands, yy0, yy1), yy0 * rowLength),
      );
    });
    // The calling thread's share, the first rows, while the others work.
    out.set(resizeLanczosRows({ ...src, top: 0 }, outWidth, outHeight, bands, 0, cut(1)), 0);
    await Promise.all(shares);
    return out;
  }

  /** BoxMeans with the planes shared out (copies to the helpers; the calling thread's share read in place). */
  readonly boxMeans: BoxMeans = async (planes, width, height, r) => {
    const parts = Math.min(this.helpers.length + 1, planes.length, Math.floor((planes.length * width * height) / MIN_SPLIT));
    if (parts < 2) return planes.map((p) => boxMean(p, width, height, r));
    const out: Float32Array[] = new Array<Float32Array>(planes.length);
    // The calling thread takes the smaller share: it also copies the others' planes and gathers them.
    const cut = (k: number) => Math.floor((planes.length * k) / parts);
    const shares = this.helpers.slice(0, parts - 1).map((helper, i) => {
      const from = cut(i + 1);
      const to = cut(i + 2);
      const copies = planes.slice(from, to).map((p) => p.slice());
      return helper.run({ kind: 'box', planes: copies, width, height, r }, copies.map((p) => p.buffer as ArrayBuffer)).then(
        (m) => m.planes!.forEach((p, j) => (out[from + j] = p)),
        () => {
          for (let j = from; j < to; j++) out[j] = boxMean(planes[j]!, width, height, r);
        },
      );
    });
    for (let i = 0; i < cut(1); i++) out[i] = boxMean(planes[i]!, width, height, r);
    await Promise.all(shares);
    return out;
  };

  async release(): Promise<void> {
    await Promise.all(this.helpers.map((h) => h.stop()));
  }
}
