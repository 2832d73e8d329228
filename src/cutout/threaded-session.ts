// The main thread's side of the inference thread (inference-thread.ts). Imports no onnxruntime:
// only the thread loads it.
import type { Worker } from 'node:worker_threads';
import { startThread } from './thread-entry.js';
import type { SegmentationSession, SessionOptions } from './session.js';

/** Messages between a ThreadedSession and its inference thread. */
export type ThreadRequest =
  | { type: 'run'; id: number; input: Float32Array; size: number }
  | { type: 'release' };

export type ThreadReply =
  | { type: 'ready'; inputName: string; outputName: string; weights: string }
  | { type: 'load-failed'; message: string }
  | { type: 'result'; id: number; output: Float32Array }
  | { type: 'failed'; id: number; message: string };

/**
 * The session in its own thread. onnxruntime-node's run() blocks the calling thread for the
 * whole inference (about 3 s on 2 cores): on the main thread that would stall lock renewals,
 * health and metrics endpoints and signal handling for that long. Here the main thread only
 * hands over the input tensor (transferred, not copied) and gets the mask back.
 * If the thread dies, the runs in flight fail and the next run starts a new thread.
 */
export async function createThreadedSession(modelPath: string, options: SessionOptions): Promise<SegmentationSession> {
  const session = new ThreadedSession(modelPath, options);
  await session.start();
  return session;
}

type Pending = { resolve: (out: Float32Array) => void; reject: (err: Error) => void };

class ThreadedSession implements SegmentationSession {
  inputName = '';
  outputName = '';
  weights = '';
  private thread: Worker | null = null;
  private starting: Promise<void> | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private released = false;

  constructor(
    private readonly modelPath: string,
    private readonly options: SessionOptions,
  ) {}

  start(): Promise<void> {
    this.starting ??= new Promise<void>((resolve, reject) => {
      const thread = startThread('inference-thread', { modelPath: this.modelPath, options: this.options });
      this.thread = thread;
      let ready = false;
      thread.on('message', (m: ThreadReply) => {
        switch (m.type) {
          case 'ready':
            ready = true;
            this.inputName = m.inputName;
            this.outputName = m.outputName;
            this.weights = m.weights;
            resolve();
            break;
          case 'load-failed':
            reject(new Error(m.message));
            void thread.terminate();
            break;
          case 'result':
            this.settle(m.id)?.resolve(m.output);
            break;
          case 'failed':
            this.settle(m.id)?.reject(new Error(m.message));
            break;
        }
      });
      const down = (err: Error) => {
        if (this.thread === thread) {
          this.thread = null;
          this.starting = null;
        }
        if (!ready) reject(err);
        for (const p of this.pending.values()) p.reject(err);
        this.pending.clear();
      };
      thread.on('error', (err) => down(new Error(`the inference thread failed: ${err.message}`)));
      thread.on('exit', (code) => down(new Error(this.released ? 'the session was released' : `the inference thread stopped (exit code ${code})`)));
    });
    return this.starting;
  }

  private settle(id: number): Pending | undefined {
    const p = this.pending.get(id);
    this.pending.delete(id);
    return p;
  }

  async run(input: Float32Array, size: number): Promise<Float32Array> {
    if (this.released) throw new Error('the session was released');
    await this.start();
    const thread = this.thread;
    if (!thread) throw new Error('the inference thread is not running');
    const id = this.nextId++;
    // Transfer the tensor's memory to the thread; copy first if it is a view into a larger buffer.
    const own = input.byteOffset === 0 && input.byteLength === input.buffer.byteLength ? input : input.slice();
    const request: ThreadRequest = { type: 'run', id, input: own, size };
    return new Promise<Float32Array>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      thread.postMessage(request, [own.buffer as ArrayBuffer]);
    });
  }

  async release(): Promise<void> {
    this.released = true;
    const thread = this.thread;
    if (!thread) return;
    const exited = new Promise((resolve) => thread.once('exit', resolve));
    const request: ThreadRequest = { type: 'release' };
    thread.postMessage(request);
    // The thread frees the session and ends once any run in hand is over.
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 30_000).unref())]);
    await thread.terminate();
  }
}
