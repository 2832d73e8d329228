// Face detection for "face crop" jobs: face-api's SSD MobileNet v1 (weights shipped in the
// @vladmandic/face-api package) on TensorFlow.js's WebAssembly backend. Nothing is downloaded:
// the .wasm binaries and the weights are read from node_modules, located at run time with
// require.resolve so this works the same from src/ (tsx) and from the compiled dist/.
//
// The backend is initialised once per process; the weights are loaded once and shared by every
// detector (concurrent createFaceDetector calls wait on the same load) and disposed when the
// last detector is released. Inference runs on the calling thread (tfjs-wasm has no threads in
// Node): one detect() takes a few hundred ms of CPU on the event loop, whatever the input size,
// because the image is first box-filtered down to MAX_SIDE and the network runs at 512x512.
import { createRequire } from 'node:module';
import path from 'node:path';

/** A face, in the input image's pixels (integers, clipped to the image). */
export interface FaceBox {
  left: number;
  top: number;
  width: number;
  height: number;
  score: number;
}

export interface FaceDetector {
  /** Faces in a packed RGB (3 bytes/pixel, row-major) image, largest first. Empty array when none. */
  detect(rgb: Uint8Array, width: number, height: number): Promise<FaceBox[]>;
  release(): Promise<void>;
}

export interface FaceDetectorOptions {
  /**
   * Lowest score kept, strictly between 0 and 1. Default 0.5 (face-api's own default). On the rembg fixtures the clear
   * frontal face in cloth-1 scores 0.94 while the best spurious box on plants-1 (foliage) scores
   * 0.09 and on anime-girl-1 0.17; the one box between them is a real but tiny (11x16 px),
   * half-hidden face in car-1 at 0.48 — useless for a crop anyway.
   */
  minScore?: number;
}

/** Long side the image is box-filtered down to before detection (the network itself runs at 512). */
export const MAX_SIDE = 640;
/** Images with a side shorter than this cannot hold a detectable face: detect() returns [] at once. */
const MIN_SIDE = 8;
const DEFAULT_MIN_SCORE = 0.5;

// Narrow views of the CommonJS modules (face-api's bundled .d.ts declares its own copy of the tf
// types, which do not match @tensorflow/tfjs's, so we only describe what we call).
type Tf = typeof import('@tensorflow/tfjs');
type TfTensor = import('@tensorflow/tfjs').Tensor3D;
interface WasmBackendModule {
  setWasmPaths(prefix: string, usePlatformFetch?: boolean): void;
}
interface FaceApiDetection {
  score: number;
  box: { x: number; y: number; width: number; height: number };
}
interface SsdNet {
  loadFromDisk(dir: string): Promise<void>;
  locateFaces(input: TfTensor, options: { minConfidence?: number; maxResults?: number }): Promise<FaceApiDetection[]>;
  dispose(throwOnRedispose?: boolean): void;
}
interface FaceApiModule {
  SsdMobilenetv1: new () => SsdNet;
}

const require = createRequire(import.meta.url);
const packageDir = (name: string) => path.dirname(require.resolve(`${name}/package.json`));

let backend: Promise<{ tf: Tf; faceapi: FaceApiModule }> | undefined;
let weights: Promise<SsdNet> | undefined;
let users = 0;

/** Once per process: the wasm backend (binaries from the package's dist/, read from disk). */
function initBackend() {
  backend ??= (async () => {
    const tf = require('@tensorflow/tfjs') as Tf;
    const wasm = require('@tensorflow/tfjs-backend-wasm') as WasmBackendModule;
    // face-api's node-wasm build requires the same two packages, so it shares this tf engine.
    const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js') as FaceApiModule;
    // In Node the Emscripten loader reads the .wasm with fs, so a plain directory path works; the
    // trailing separator matters (the file name is appended to the prefix as is).
    wasm.setWasmPaths(path.join(packageDir('@tensorflow/tfjs-backend-wasm'), 'dist') + path.sep);
    // Skips tfjs's debug-only checks and deprecation warnings. This process has no other tfjs user.
    tf.enableProdMode();
    if (!(await tf.setBackend('wasm'))) throw new Error('TensorFlow.js: the wasm backend failed to initialise');
    await tf.ready();
    return { tf, faceapi };
  })().catch((err: unknown) => {
    backend = undefined;
    throw err;
  });
  return backend;
}

/** The SSD MobileNet v1 weights, shared by every live detector. */
function loadWeights() {
  weights ??= (async () => {
    const { tf, faceapi } = await initBackend();
    const net = new faceapi.SsdMobilenetv1();
    // loadFromDisk reads ssd_mobilenetv1_model-weights_manifest.json and its .bin with fs.
    await net.loadFromDisk(path.join(packageDir('@vladmandic/face-api'), 'model'));
    // Warm-up: the first inference allocates and is ~2x slower; pay it here, not in a job.
    const blank = tf.zeros([64, 64, 3], 'int32') as TfTensor;
    try {
      await net.locateFaces(blank, { minConfidence: 0.99 });
    } finally {
      blank.dispose();
    }
    return net;
  })().catch((err: unknown) => {
    weights = undefined;
    throw err;
  });
  return weights;
}

export async function createFaceDetector(opts: FaceDetectorOptions = {}): Promise<FaceDetector> {
  const minScore = opts.minScore ?? DEFAULT_MIN_SCORE;
  // face-api's own check: strictly between 0 and 1 (a 0 would silently become its 0.5).
  if (!(minScore > 0 && minScore < 1)) throw new RangeError(`minScore must be between 0 and 1 (exclusive), got ${minScore}`);
  users++; // before the await, so a release meanwhile cannot dispose the weights we wait for
  let tf: Tf;
  let net: SsdNet;
  try {
    [{ tf }, net] = await Promise.all([initBackend(), loadWeights()]);
  } catch (err) {
    users--;
    throw err;
  }

  let released = false;
  const inFlight = new Set<Promise<unknown>>();

  async function run(rgb: Uint8Array, width: number, height: number): Promise<FaceBox[]> {
    const scale = Math.min(1, MAX_SIDE / Math.max(width, height));
    const w = Math.max(1, Math.round(width * scale));
    const h = Math.max(1, Math.round(height * scale));
    const pixels = scale < 1 ? boxDownscale(rgb, width, height, w, h) : rgb.subarray(0, width * height * 3);
    const input = tf.tensor3d(pixels, [h, w, 3], 'int32');
    let found: FaceApiDetection[];
    try {
      found = await net.locateFaces(input, { minConfidence: minScore, maxResults: 100 });
    } finally {
      input.dispose();
    }
    const sx = width / w;
    const sy = height / h;
    return found
      .filter((d) => d.score >= minScore)
      .map((d) => toPixels(d, sx, sy, width, height))
      .filter((b) => b.width > 0 && b.height > 0)
      .sort((a, b) => b.width * b.height - a.width * a.height || b.score - a.score);
  }

  return {
    async detect(rgb, width, height) {
      if (released) throw new Error('face detector already released');
      if (!Number.isInteger(width) || !Number.isInteger(height) || width < 0 || height < 0) {
        throw new RangeError(`image size must be non-negative integers, got ${width}x${height}`);
      }
      if (rgb.length < width * height * 3) {
        throw new RangeError(`${width}x${height} RGB needs ${width * height * 3} bytes, got ${rgb.length}`);
      }
      if (Math.min(width, height) < MIN_SIDE) return [];
      const job = run(rgb, width, height);
      inFlight.add(job);
      try {
        return await job;
      } finally {
        inFlight.delete(job);
      }
    },
    async release() {
      if (released) return;
      released = true;
      await Promise.allSettled([...inFlight]);
      if (--users === 0) {
        // Last user: free the weights (about 6 MB of tensors); the backend stays for the process.
        weights = undefined;
        net.dispose();
      }
    },
  };
}

function toPixels(d: FaceApiDetection, sx: number, sy: number, width: number, height: number): FaceBox {
  const left = clamp(Math.floor(d.box.x * sx), 0, width);
  const top = clamp(Math.floor(d.box.y * sy), 0, height);
  const right = clamp(Math.ceil((d.box.x + d.box.width) * sx), 0, width);
  const bottom = clamp(Math.ceil((d.box.y + d.box.height) * sy), 0, height);
  return { left, top, width: right - left, height: bottom - top, score: d.score };
}

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

/**
 * Area-average downscale of packed RGB to `ow`x`oh` (both ≤ the source): every source pixel
 * lands in exactly one output pixel (column and row bands partition the image), so one pass
 * over the source does it. Returns int32 samples, ready for a tf int32 tensor.
 */
export function boxDownscale(rgb: Uint8Array, width: number, height: number, ow: number, oh: number): Int32Array {
  const out = new Int32Array(ow * oh * 3);
  const colOf = new Uint32Array(width); // source column → output column
  const colCount = new Uint32Array(ow);
  for (let ox = 0, x = 0; ox < ow; ox++) {
    const xEnd = ox === ow - 1 ? width : Math.floor(((ox + 1) * width) / ow);
    colCount[ox] = xEnd - x;
    for (; x < xEnd; x++) colOf[x] = ox;
  }
  const acc = new Float64Array(ow * 3);
  let y = 0;
  for (let oy = 0; oy < oh; oy++) {
    const yEnd = oy === oh - 1 ? height : Math.floor(((oy + 1) * height) / oh);
    acc.fill(0);
    const rows = yEnd - y;
    for (; y < yEnd; y++) {
      let i = y * width * 3;
      for (let x = 0; x < width; x++, i += 3) {
        const o = colOf[x]! * 3;
        acc[o]! += rgb[i]!;
        acc[o + 1]! += rgb[i + 1]!;
        acc[o + 2]! += rgb[i + 2]!;
      }
    }
    const base = oy * ow * 3;
    for (let ox = 0; ox < ow; ox++) {
      const n = colCount[ox]! * rows;
      const o = ox * 3;
      out[base + o] = Math.round(acc[o]! / n);
      out[base + o + 1] = Math.round(acc[o + 1]! / n);
      out[base + o + 2] = Math.round(acc[o + 2]! / n);
    }
  }
  return out;
}
