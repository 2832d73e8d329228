// An onnxruntime session, run on the calling thread. The service runs it in its own thread
// (threaded-session.ts); this is what that thread runs.
import * as ort from 'onnxruntime-node';
import { cudaStartupMessage, providerList, type ExecutionProvider } from './execution-provider.js';

export interface SessionOptions {
  threads: number;
  /** onnxruntime's CPU arena: reuses buffers across runs (faster; on by default). */
  cpuArena?: boolean;
  /**
   * Memory-pattern planning. Off by default: measured on 2 cores with the fp16 ISNet, turning it
   * off cut the worker's peak RSS from 2452 to 1613 MB and was slightly faster (p50 2684 vs 2861 ms).
   */
  memPattern?: boolean;
  /** EXECUTION_PROVIDER: `cpu` (the default) or `cuda`. */
  executionProvider?: ExecutionProvider;
}

export interface SegmentationSession {
  readonly inputName: string;
  readonly outputName: string;
  /** Runs the model on an NCHW float32 tensor of side `size`; returns the first output's data. */
  run(input: Float32Array, size: number): Promise<Float32Array>;
  release(): Promise<void>;
}

export async function createSession(modelPath: string, opts: SessionOptions): Promise<SegmentationSession> {
  const session = await ort.InferenceSession.create(modelPath, {
    executionProviders: providerList(opts.executionProvider),
    graphOptimizationLevel: 'all',
    intraOpNumThreads: opts.threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    enableCpuMemArena: opts.cpuArena ?? true,
    enableMemPattern: opts.memPattern ?? false,
  }).catch((err: unknown) => {
    // A model that cannot be read says so as it is; CUDA that cannot be loaded says what is missing.
    if (opts.executionProvider !== 'cuda' || !/cuda|provider|shared librar/i.test(String(err))) throw err;
    throw new Error(cudaStartupMessage(err instanceof Error ? err.message : String(err)));
  });
  const inputName = session.inputNames[0];
  const outputName = session.outputNames[0];
  if (!inputName || !outputName) throw new Error(`model ${modelPath} has no inputs or outputs`);
  return {
    inputName,
    outputName,
    async run(input, size) {
      const tensor = new ort.Tensor('float32', input, [1, 3, size, size]);
      const out = await session.run({ [inputName]: tensor });
      const result = out[outputName];
      if (!result) throw new Error(`model returned no output "${outputName}"`);
      const data = result.data;
      if (!(data instanceof Float32Array)) throw new Error(`model output is ${result.type}, expected float32`);
      for (const t of Object.values(out)) if (t !== result) t.dispose();
      return data;
    },
    release: () => session.release(),
  };
}
