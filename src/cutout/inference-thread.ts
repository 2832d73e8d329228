// The body of the inference thread (see threaded-session.ts): owns one onnxruntime
// session and runs it on request. onnxruntime-node's run() blocks the thread that calls it for
// the whole inference (seconds); here that is this thread, not the process's event loop.
import { parentPort, workerData } from 'node:worker_threads';
import { createSession, type SessionOptions } from './session.js';
import type { ThreadReply, ThreadRequest } from './threaded-session.js';

const port = parentPort;
if (!port) throw new Error('inference-thread must run in a worker thread');
const { modelPath, options } = workerData as { modelPath: string; options: SessionOptions };
const post = (m: ThreadReply, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

try {
  const session = await createSession(modelPath, options);
  port.on('message', (m: ThreadRequest) => {
    if (m.type === 'release') {
      void session.release().finally(() => port.close());
      return;
    }
    session.run(m.input, m.size).then(
      (output) => {
        // The output may live in memory owned by onnxruntime: send a copy we can transfer.
        const copy = output.slice();
        post({ type: 'result', id: m.id, output: copy }, [copy.buffer]);
      },
      (err: unknown) => post({ type: 'failed', id: m.id, message: err instanceof Error ? err.message : String(err) }),
    );
  });
  post({ type: 'ready', inputName: session.inputName, outputName: session.outputName, weights: session.weights });
} catch (err) {
  post({ type: 'load-failed', message: err instanceof Error ? err.message : String(err) });
}
