// The one place the worker chooses what makes its masks (ENGINE): the model, loaded here, or an
// external remove.bg-compatible API (no model loaded). Either way a Cutter, so jobs, progress,
// options, retries and errors go through the same processor.
import sharp from 'sharp';
import type { Config } from '../config.js';
import { pipelineOptions } from '../config.js';
import { CutoutPipeline, type Cutter } from '../cutout/pipeline.js';
import { RemoteCutter } from '../cutout/remote-cutter.js';
import { engineBaseUrl, RemoveBgClient } from '../cutout/removebg-client.js';
import type { Logger } from '../logger.js';

export interface Engine {
  /** `local` or `removebg` (ENGINE). */
  name: Config['ENGINE'];
  cutter: Cutter;
  /** Why the engine cannot take jobs now, or null when it can. */
  problem(): Promise<string | null>;
}

/** How long the external API's answer to the account probe is trusted by /ready. */
const PROBE_TTL_MS = 60_000;

/** The real models (every one in MODELS, each checked against its checksum), as the configuration sets them up. */
export async function loadModelCutter(config: Config, logger: Logger): Promise<Cutter> {
  const started = performance.now();
  const pipeline = await CutoutPipeline.create(pipelineOptions(config));
  const weights = pipeline.weights;
  logger.info({ models: pipeline.modelNames, default: pipeline.modelName, weights, threads: config.INFERENCE_THREADS, executionProvider: config.EXECUTION_PROVIDER, ms: Math.round(performance.now() - started) }, 'models loaded');
  // A float16 model that could not be loaded as float32 (INFERENCE_FLOAT16=widen) runs, with ~290 MB more: said once.
  for (const [model, how] of Object.entries(weights)) if (how.startsWith('as stored (')) logger.warn({ model, weights: how }, 'model weights loaded as stored');
  await warmUp(pipeline, logger);
  return pipeline;
}

/**
 * One small photo through every model before the worker takes jobs (its /ready says `loading the
 * model` meanwhile): a session's first run, onnxruntime's arena growing and V8 compiling the image
 * work, is much slower than the next, and would otherwise fall on the first job a new worker takes.
 * Best effort: a failure is logged, and the worker starts anyway.
 */
export async function warmUp(cutter: Cutter, logger: Logger): Promise<void> {
  const started = performance.now();
  const photo = await warmUpPhoto();
  for (const model of cutter.modelNames ?? [cutter.modelName]) {
    try {
      await cutter.process(photo, undefined, { model });
    } catch (err) {
      logger.warn({ err, model }, 'warm-up failed: the first job will be slower');
    }
  }
  logger.info({ ms: Math.round(performance.now() - started) }, 'models warmed up');
}

/** A 320 × 240 JPEG of a subject a model finds: a dark disc with a soft edge on a light gradient. */
export function warmUpPhoto(): Promise<Buffer> {
  const [w, h] = [320, 240];
  const rgb = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const inside = Math.min(1, Math.max(0, 70 - Math.hypot(x - w / 2, y - h / 2)) / 4);
      const bg = 200 + (x * 40) / w;
      const i = (y * w + x) * 3;
      rgb[i] = Math.round(bg * (1 - inside) + 180 * inside);
      rgb[i + 1] = Math.round(bg * (1 - inside) + 40 * inside);
      rgb[i + 2] = Math.round(bg * (1 - inside) + 50 * inside);
    }
  }
  return sharp(rgb, { raw: { width: w, height: h, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();
}

/** The external engine's client, as the configuration sets it up. */
export function removeBgClient(config: Config): RemoveBgClient {
  return new RemoveBgClient({
    baseUrl: config.REMOVEBG_API_URL,
    apiKey: config.REMOVEBG_API_KEY,
    timeoutMs: config.REMOVEBG_TIMEOUT_SECONDS * 1000,
    // An RGBA PNG of the largest photo accepted, and room for its headers.
    maxBytes: config.MAX_IMAGE_PIXELS * 4 + 1024 * 1024,
  });
}

function externalEngine(config: Config, logger: Logger): Engine {
  const client = removeBgClient(config);
  const cutter = new RemoteCutter(client, { name: 'removebg', maxPixels: config.MAX_IMAGE_PIXELS, pngCompressionLevel: config.PNG_COMPRESSION_LEVEL });
  // The base URL is logged, the key never is.
  logger.info({ engine: 'removebg', url: engineBaseUrl(config.REMOVEBG_API_URL), timeoutSeconds: config.REMOVEBG_TIMEOUT_SECONDS }, 'external engine configured: no model loaded');
  let probed: { at: number; problem: Promise<string | null> } | undefined;
  return {
    name: 'removebg',
    cutter,
    problem() {
      if (!probed || Date.now() - probed.at > PROBE_TTL_MS) {
        const problem = client.accountProblem();
        probed = { at: Date.now(), problem };
        void problem.then((p) => p && logger.warn({ engine: 'removebg', reason: p }, 'external engine not usable'));
      }
      return probed.problem;
    },
  };
}

/** The engine the configuration asks for; `cutter` (tests) stands in for the model when ENGINE=local. */
export async function createEngine(config: Config, logger: Logger, cutter?: Cutter): Promise<Engine> {
  if (config.ENGINE === 'removebg') return externalEngine(config, logger);
  return { name: 'local', cutter: cutter ?? (await loadModelCutter(config, logger)), problem: () => Promise.resolve(null) };
}
