// An onnxruntime session, run on the calling thread. The service runs it in its own thread
// (threaded-session.ts); this is what that thread runs.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { cudaStartupMessage, providerList, type ExecutionProvider } from './execution-provider.js';
import { pruneToFirstOutput } from './prune.js';
import { widenHalfModel } from './widen.js';
import { collectAll } from './young-gc.js';

export interface SessionOptions {
  threads: number;
  /** onnxruntime's CPU arena: reuses buffers across runs (faster; on by default). */
  cpuArena?: boolean;
  /**
   * Memory-pattern planning. Off by default: measured on 2 cores with the fp16 ISNet, turning it
   * off cut the worker's peak RSS from 2452 to 1613 MB and was slightly faster (p50 2684 vs 2861 ms).
   */
  memPattern?: boolean;
  /**
   * Optimise the graph once into a temporary file and run that (default on; CPU only). onnxruntime's
   * full optimisation of the fp16 weights keeps both the file's weights and their optimised fp32
   * form in memory; loading the already-optimised graph keeps only the latter. Same output.
   */
  optimizeAhead?: boolean;
  /** EXECUTION_PROVIDER: `cpu` (the default) or `cuda`. */
  executionProvider?: ExecutionProvider;
  /**
   * On the CPU, a model with float16 weights loaded as float32 (widen.ts; default on): the fp16
   * ISNet's model call 1713 → 1638 ms and its session's peak 1264 → 971 MB on 2 cores. CUDA runs
   * float16 natively and loads the file as it is.
   */
  widenHalf?: boolean;
}

export interface SegmentationSession {
  readonly inputName: string;
  readonly outputName: string;
  /** How the model was loaded, for the start-up log: `float32 (widened from float16)`, `as stored`, or `as stored (…why not widened)`; then, when cut down (prune.ts), `; graph cut to its first output (663 of 734 nodes)`. */
  readonly weights: string;
  /** Runs the model on an NCHW float32 tensor of side `size`; returns the first output's data. */
  run(input: Float32Array, size: number): Promise<Float32Array>;
  release(): Promise<void>;
}

export async function createSession(modelPath: string, opts: SessionOptions): Promise<SegmentationSession> {
  const settings: ort.InferenceSession.SessionOptions = {
    executionProviders: providerList(opts.executionProvider),
    graphOptimizationLevel: 'all',
    intraOpNumThreads: opts.threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    enableCpuMemArena: opts.cpuArena ?? true,
    enableMemPattern: opts.memPattern ?? false,
  };
  // The optimised graph is the CPU's (its layout suits this CPU's vector units): CUDA loads the model as it is.
  const cpu = (opts.executionProvider ?? 'cpu') === 'cpu';
  const ahead = opts.optimizeAhead !== false && cpu;
  const load = (model: string | Uint8Array) => (ahead ? createOptimized(model, settings, modelPath) : create(model, settings));
  const { session, weights } = await loadPrepared(modelPath, cpu && opts.widenHalf !== false, load).catch((err: unknown) => {
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
    weights,
    async run(input, size) {
      const tensor = new ort.Tensor('float32', input, [1, 3, size, size]);
      // Only the first output is fetched: ISNet has 12 (side outputs, each upsampled to the
      // input's size), each otherwise copied out. Measured on 2 cores: peak RSS 1482 → 1320 MB,
      // and about 10% faster. The nodes only they need are cut from the graph (prune.ts).
      const out = await session.run({ [inputName]: tensor }, [outputName]);
      const result = out[outputName];
      if (!result) throw new Error(`model returned no output "${outputName}"`);
      const data = result.data;
      if (!(data instanceof Float32Array)) throw new Error(`model output is ${result.type}, expected float32`);
      return data;
    },
    release: () => session.release(),
  };
}

/**
 * Runs onnxruntime's graph optimisation once, saves the result to a temporary file, and loads that
 * with optimisation off. Measured with the fp16 ISNet on 2 cores: 509 → 269 MB after loading, and
 * the whole pipeline's peak 1574/1582 → 1436/1444 MB, at the same speed, with the same output.
 * The optimised graph fits this machine's CPU only (onnxruntime's warning that says so is
 * silenced), so it is made at start-up (about a second) and deleted once loaded. Where no
 * temporary file can be written, the model is loaded as it is.
 */
async function createOptimized(model: string | Uint8Array, settings: ort.InferenceSession.SessionOptions, file: string): Promise<ort.InferenceSession> {
  let dir: string | undefined;
  try {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cutout-ort-'));
    const optimized = path.join(dir, 'model.onnx');
    const first = await create(model, { ...settings, optimizedModelFilePath: optimized, logSeverityLevel: 3 });
    await first.release();
    model = file; // a widened model's bytes are not needed from here on (nor kept by this frame)
    return await ort.InferenceSession.create(optimized, { ...settings, graphOptimizationLevel: 'disabled' });
  } catch {
    return create(model, settings);
  } finally {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** onnxruntime's session from a model file or the model's bytes. */
function create(model: string | Uint8Array, settings: ort.InferenceSession.SessionOptions): Promise<ort.InferenceSession> {
  // The same call twice: onnxruntime's create is overloaded (a path, or bytes), and TypeScript picks an overload per type, not for a union.
  return typeof model === 'string' ? ort.InferenceSession.create(model, settings) : ort.InferenceSession.create(model, settings);
}

/**
 * The session from the model's bytes as prepared for this runtime: its graph cut down to the first
 * output (prune.ts), its float16 widened to float32 when `widen` and it has float16 weights
 * (widen.ts); from its file when neither applies. A model that cannot be widened is loaded
 * unwidened, one whose prepared form onnxruntime refuses (float16 from a place widen.ts does not
 * rewrite) as it is, and `weights` says why. The file's bytes and the widening's intermediate
 * arrays (88 + 176 MB for ISNet) are collected before loading, the prepared bytes once loaded:
 * left to V8, they stayed through the first runs (the session's peak 1406 MB, not 977).
 */
async function loadPrepared(
  modelPath: string,
  widen: boolean,
  load: (model: string | Uint8Array) => Promise<ort.InferenceSession>,
): Promise<{ session: ort.InferenceSession; weights: string }> {
  let prepared = prepare(modelPath, widen);
  if (!prepared) return { session: await load(modelPath), weights: 'as stored' }; // onnxruntime says why it cannot be read
  const { done, weights, graph } = prepared;
  if (done.length === 0) return { session: await load(modelPath), weights }; // nothing prepared: no bytes held
  collectAll?.();
  const loading = load(prepared.bytes!);
  // Nothing of this frame may hold the bytes while onnxruntime loads them and runs: a frame
  // suspended at an await keeps its variables. Held in two of them (the pruned and the widened
  // copy), they stayed through every run: the worker's peak +160–190 MB.
  prepared = null;
  const result = await loading.then(
    (session) => ({ session, weights: weights + graph }),
    async (err: unknown) => ({ session: await load(modelPath), weights: `as stored (onnxruntime refused the ${done.join(' and ')} model: ${message(err)})` }),
  );
  collectAll?.();
  return result;
}

interface Prepared {
  bytes: Uint8Array | null;
  /** What was done to them: `widened`, `pruned`. */
  done: string[];
  weights: string;
  graph: string;
}

/** The model's bytes pruned and widened as they can be (see loadPrepared); null when the file cannot be read. */
function prepare(modelPath: string, widen: boolean): Prepared | null {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(modelPath);
  } catch {
    return null;
  }
  const out: Prepared = { bytes: null, done: [], weights: 'as stored', graph: '' };
  try {
    const pruned = pruneToFirstOutput(bytes);
    if (pruned) {
      bytes = pruned.model;
      out.done.push('pruned');
      out.graph = `; graph cut to its first output (${pruned.kept} of ${pruned.nodes} nodes)`;
    }
  } catch {
    // A file the pruning cannot read: the widening says why (or onnxruntime does).
  }
  if (widen) {
    try {
      const widened = widenHalfModel(bytes);
      if (widened) {
        bytes = widened;
        out.done.unshift('widened');
        out.weights = 'float32 (widened from float16)';
      }
    } catch (err) {
      out.weights = `as stored (not widened: ${message(err)})`;
    }
  }
  if (out.done.length > 0) out.bytes = bytes;
  return out;
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err)).split('\n')[0]!.slice(0, 300);
