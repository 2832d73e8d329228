// The image work around the model, on every core. The model's two threads are idle while a photo
// is resized to the model's square, while its mask is enlarged back and its edges refined: those
// passes ran on one core. Here the worker's main thread keeps one share of each pass and hands the
// others to pixel threads (PIXEL_THREADS; pixel-thread.ts): the exact Lanczos resizes by output
// rows, the refinement's box means by planes. A helper's share goes through memory both threads
// see (SharedArrayBuffer: its input copied in, its output copied into the result, no messages
// carrying pixels). The resizes' shared buffers live for one pass; the box means' are one buffer
// per thread, kept and reused (PixelThread.boxPlanes), since the refinement's working copy is small
// and the same size pass after pass. Each share is computed by the very function the main thread
// runs, so the result is the same bytes whatever the number of threads (tested).
// A pixel thread that fails or dies costs only time: its share is computed on the calling thread
// (the same bytes), and the next pass starts a new thread.
import type { Worker } from 'node:worker_threads';
import { boxMean, poolFor, type BoxMeans } from './guided.js';
import { checkResize, resizeLanczos, resizeLanczosRows, sourceRows, type Pixels, type RowBand } from './resample.js';
import { startThread } from './thread-entry.js';
import { collectYoung } from './young-gc.js';

/**
 * Messages to a pixel thread. The arrays are views of SharedArrayBuffers: the thread reads its
 * input and writes its share of the output there, and only says when it is done.
 */
export type PixelRequest =
  | { id: number; kind: 'lanczos'; band: RowBand; outWidth: number; outHeight: number; bands: 1 | 3; yy0: number; yy1: number; out: Uint8Array }
  | { id: number; kind: 'box'; planes: Float32Array[]; outs: Float32Array[]; width: number; height: number; r: number };

/** Its answer: done, or why not. */
export type PixelReply = { id: number; error?: string };

/** Shared bytes allocated since the calling thread last collected its young generation. */
let sharedSinceCollect = 0;
/**
 * This many shared bytes made, the calling thread collects once its pass is done (young-gc.ts):
 * measured on 60 resizes of a 1.5 MP photo to the square and back, RSS 88–91 MB collecting after
 * every pass, 131–135 MB after every 32 MB, 146–182 MB leaving it to V8 (95–99 MB on one thread).
 */
const COLLECT_AFTER = 1 << 20;

/** Memory both threads see. */
function sharedBytes(length: number): Uint8Array {
  sharedSinceCollect += length;
  return new Uint8Array(new SharedArrayBuffer(length));
}
const sharedFloats = (length: number) => new Float32Array(sharedBytes(length * 4).buffer);
/**
 * After a pass: this thread's handles to the pass's shared buffers dropped, once enough were made.
 * No resize's shared buffer outlives its pass (results are in ordinary memory): one left to the
 * collector (a 24 MP mask) would be promoted to V8's old generation and wait for a full
 * collection, which V8, not counting these buffers, seldom starts. The box means' kept buffers are
 * held on purpose, never garbage until they grow.
 */
function collectIfDue(): void {
  if (sharedSinceCollect < COLLECT_AFTER) return;
  sharedSinceCollect = 0;
  collectYoung?.();
}

/** `data` itself when it is already shared, else a shared copy. */
function shared(data: Uint8Array): Uint8Array {
  if (data.buffer instanceof SharedArrayBuffer) return data;
  const copy = sharedBytes(data.length);
  copy.set(data);
  return copy;
}

/** Below this many output values a pass stays on one thread (handing it out would cost more). */
const MIN_SPLIT = 1 << 16;

type Pending = { resolve: (m: PixelReply) => void; reject: (err: Error) => void };

/** One pixel thread, started on first use and again after a failure. */
class PixelThread {
  private worker: Worker | null = null;

  constructor(private readonly entry: string) {}

  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  /** The box means' shared planes, kept from pass to pass (boxPlanes); busy while a pass uses them. */
  private boxShared: Float32Array | null = null;
  private boxBusy = false;

  /**
   * `count` planes of `n` floats for a box-means share's input and as many for its results, in
   * this thread's shared buffer, kept and reused (the refinement's working copy is at most 768²:
   * ~14 MB with the default settings). Fresh shared memory for every pass was mapped and zeroed
   * page by page (the workers' GLIBC_TUNABLES): ~6k page faults a photo, which made the pixel
   * thread slower than none. A pass overlapping another (two jobs at once) gets fresh planes;
   * `done` hands the kept ones back.
   */
  boxPlanes(n: number, count: number): { ins: Float32Array[]; outs: Float32Array[]; done: () => void } {
    const length = 2 * n * count;
    let block: Float32Array;
    let done = () => {};
    if (this.boxBusy) block = sharedFloats(length);
    else {
      if (!this.boxShared || this.boxShared.length < length) this.boxShared = sharedFloats(length);
      block = this.boxShared;
      this.boxBusy = true;
      done = () => (this.boxBusy = false);
    }
    const plane = (j: number) => block.subarray(j * n, (j + 1) * n);
    return { ins: Array.from({ length: count }, (_, j) => plane(j)), outs: Array.from({ length: count }, (_, j) => plane(count + j)), done };
  }

  run(request: PixelRequest extends infer R ? (R extends unknown ? Omit<R, 'id'> : never) : never): Promise<void> {
    const worker = this.start();
    const id = this.nextId++;
    return new Promise<PixelReply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ ...request, id });
    }).then((m) => {
      if (m.error) throw new Error(`a pixel thread failed: ${m.error}`);
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
  /** Shares a pixel thread was given but the calling thread computed (the thread failed or declined). */
  fallbacks = 0;

  /**
   * `threads` pixel threads besides the calling one (0: every pass on the calling thread), each
   * running the module `entry` of this folder (tests name one that does not exist).
   */
  constructor(
    readonly threads: number,
    entry = 'pixel-thread',
  ) {
    // Shared memory needs a collector on demand; without one every pass stays on the calling thread.
    this.helpers = collectYoung ? Array.from({ length: threads }, () => new PixelThread(entry)) : [];
  }

  /**
   * resizeLanczos, its output rows shared out: each helper reads the source rows its share needs
   * and writes its rows into the shared result.
   */
  async resizeLanczos(src: Pixels, outWidth: number, outHeight: number, bands: 1 | 3): Promise<Uint8Array> {
    const parts = Math.min(this.helpers.length + 1, Math.floor((outWidth * outHeight * bands) / MIN_SPLIT));
    if (parts < 2) return resizeLanczos(src, outWidth, outHeight, bands);
    checkResize(src, bands);
    const rowLength = outWidth * bands;
    // The result in ordinary memory: the calling thread writes its rows straight into it, each
    // helper its rows into a shared buffer of their own, copied in once it is done.
    const out = new Uint8Array(rowLength * outHeight);
    const rows = (yy0: number, yy1: number) => out.subarray(yy0 * rowLength, yy1 * rowLength);
    const whole: RowBand = { ...src, top: 0 };
    const cut = (k: number) => Math.round((outHeight * k) / parts);
    const shares = this.helpers.slice(0, parts - 1).map((helper, i) => {
      const yy0 = cut(i + 1);
      const yy1 = cut(i + 2);
      const { from, to } = sourceRows(src.height, outHeight, yy0, yy1);
      const srcRow = src.width * src.channels;
      const band: RowBand = { ...src, data: shared(src.data.subarray(from * srcRow, to * srcRow)), top: from };
      const share = sharedBytes(rowLength * (yy1 - yy0));
      return helper.run({ kind: 'lanczos', band, outWidth, outHeight, bands, yy0, yy1, out: share }).then(
        () => rows(yy0, yy1).set(share),
        () => {
          this.fallbacks++;
          resizeLanczosRows(whole, outWidth, outHeight, bands, yy0, yy1, rows(yy0, yy1));
        },
      );
    });
    // The calling thread's share, the first rows, while the others work.
    resizeLanczosRows(whole, outWidth, outHeight, bands, 0, cut(1), rows(0, cut(1)));
    await Promise.all(shares);
    collectIfDue();
    return out;
  }

  /**
   * BoxMeans with the planes shared out: the helpers read shared copies and write shared results.
   * The results in ordinary memory, from the pool when one is given.
   */
  readonly boxMeans: BoxMeans = async (planes, width, height, r, pool) => {
    const n = width * height;
    const own = poolFor(pool, n);
    const plane = () => own?.take() ?? new Float32Array(n);
    const parts = Math.min(this.helpers.length + 1, planes.length, Math.floor((planes.length * n) / MIN_SPLIT));
    const out: Float32Array[] = new Array<Float32Array>(planes.length);
    // The calling thread takes the smaller share: it also makes the others' shared copies.
    const cut = (k: number) => (parts < 2 ? planes.length : Math.floor((planes.length * k) / parts));
    const dones: (() => void)[] = [];
    const shares = this.helpers.slice(0, Math.max(0, parts - 1)).map((helper, i) => {
      const from = cut(i + 1);
      const to = cut(i + 2);
      const mine = planes.slice(from, to);
      const { ins, outs, done } = helper.boxPlanes(n, mine.length);
      dones.push(done);
      ins.forEach((p, j) => p.set(mine[j]!));
      outs.forEach((o, j) => (out[from + j] = o));
      return helper
        .run({ kind: 'box', planes: ins, outs, width, height, r })
        .catch(() => {
          this.fallbacks++;
          outs.forEach((o, j) => boxMean(planes[from + j]!, width, height, r, o));
        });
    });
    try {
      for (let i = 0; i < cut(1); i++) out[i] = boxMean(planes[i]!, width, height, r, plane());
      await Promise.all(shares);
      // The helpers' results copied out of their shared planes, which the next pass reuses.
      return out.map((p) => (p.buffer instanceof SharedArrayBuffer ? (own?.copy(p) ?? new Float32Array(p)) : p));
    } finally {
      await Promise.allSettled(shares);
      dones.forEach((done) => done());
      collectIfDue();
    }
  };

  async release(): Promise<void> {
    await Promise.all(this.helpers.map((h) => h.stop()));
  }
}
