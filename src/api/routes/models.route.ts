// GET /models: the model catalogue as this service sees it. Every model Cutout knows, with its
// family's input size, its licence (and whether commercial use is allowed), the checksum its file
// must have, whether it is loaded here (in MODELS: a job may ask for it), the default, and how many
// live workers serve it now (their advertisements: src/jobs/lanes.ts).
import type { FastifyInstance } from 'fastify';
import path from 'node:path';
import { CATALOGUE, checksumText } from '../../cutout/catalogue.js';
import { modelFilePath, resolveModel } from '../../cutout/models.js';
import type { Config } from '../../config.js';
import { response } from '../schemas.js';

export interface ModelView {
  name: string;
  family: string;
  description: string;
  input_size: number;
  licence: string;
  commercial_use: boolean;
  loaded: boolean;
  /** Live workers that have it loaded now (absent when Redis could not be asked). */
  workers?: number;
  /** Some live worker serves it: a job asking for it is processed as soon as one is free. */
  available?: boolean;
  default: boolean;
  checksum: string;
  file: string;
}

type ModelsConfig = Pick<Config, 'MODELS' | 'MODEL_DIR' | 'MODEL_PATH' | 'MODEL_SHA256'>;

/** The body of GET /models: loaded models first, in MODELS order, then the rest of the catalogue. */
export function modelsBody(config: ModelsConfig): { default: string; models: ModelView[] } {
  const loaded = new Set(config.MODELS);
  const names = [...config.MODELS, ...Object.keys(CATALOGUE).filter((n) => !loaded.has(n))];
  const models = names.map((name): ModelView => {
    const model = resolveModel(name, { path: config.MODEL_PATH, sha256: config.MODEL_SHA256 });
    const entry = CATALOGUE[name];
    return {
      name,
      family: model.spec.family,
      description: model.spec.description,
      input_size: model.spec.size,
      licence: entry?.licence ?? 'as its owner states (a custom file)',
      commercial_use: entry?.commercialUse ?? false,
      loaded: loaded.has(name),
      default: name === config.MODELS[0],
      checksum: checksumText(model.weights.checksum),
      file: path.basename(modelFilePath(model, config.MODEL_DIR)),
    };
  });
  return { default: config.MODELS[0]!, models };
}

const str = (description: string) => ({ type: 'string', description });

const MODEL_SCHEMA = {
  type: 'object',
  required: ['name', 'family', 'description', 'input_size', 'licence', 'commercial_use', 'loaded', 'default', 'checksum', 'file'],
  properties: {
    name: str('What a job sends as `model`.'),
    family: { type: 'string', enum: ['isnet', 'isnet-anime', 'u2net', 'birefnet', 'bria'], description: 'Decides the input size, normalisation and output handling.' },
    description: str('What it is good at.'),
    input_size: { type: 'integer', description: 'The side of the square the photo is resized to for the model.' },
    licence: str('The licence of the weights.'),
    commercial_use: { type: 'boolean', description: 'False when the licence forbids commercial use (BRIA RMBG: CC BY-NC 4.0).' },
    loaded: { type: 'boolean', description: 'In this service\'s `MODELS`: jobs may ask for it. Others need their file in `MODEL_DIR` and a restart.' },
    workers: { type: 'integer', description: 'Live workers that have it loaded now (from their advertisements, renewed every 10 s; up to 5 s old). Absent when Redis could not be asked.' },
    available: {
      type: 'boolean',
      description: 'Some live worker serves it. A loaded model no live worker serves yet (a cold start, its workers down) is still accepted: its jobs wait in line until one is up.',
    },
    default: { type: 'boolean', description: 'Used when a job does not name a model.' },
    checksum: str('`sha256:<hex>` or `md5:<hex>` (what rembg publishes): the file must match it, or workers refuse to start.'),
    file: str('The file name workers read in `MODEL_DIR`.'),
  },
};

/** GET /models; `liveWorkers(model)` counts the live workers serving a model. */
export function modelsRoute(app: FastifyInstance, config: ModelsConfig, liveWorkers: (model: string) => Promise<number>) {
  const body = modelsBody(config);
  app.get(
    '/models',
    {
      schema: {
        summary: 'The models: which are loaded, their input size and licence',
        description:
          'Every model Cutout knows by name (the catalogue), loaded ones first. A job asks for one with the option `model`; ' +
          'one that is not loaded is a 400 `invalid_model`; one that is loaded but that no live worker serves right now (`available`: false) is accepted and waits in line. ' +
          'Several licences forbid commercial use: see `commercial_use`.',
        operationId: 'getModels',
        tags: ['uploads'],
        response: {
          200: response(
            'The models',
            { type: 'object', required: ['default', 'models'], properties: { default: str('The default model\'s name.'), models: { type: 'array', items: MODEL_SCHEMA } } },
            { default: body.default, models: body.models.slice(0, 2) },
          ),
        },
      },
      logLevel: 'warn',
    },
    async () => {
      const counts = await Promise.all(config.MODELS.map((name) => liveWorkers(name).catch(() => undefined)));
      const live = new Map(config.MODELS.map((name, i) => [name, counts[i]]));
      const models = body.models.map((m) => {
        const workers = m.loaded ? live.get(m.name) : 0;
        return workers === undefined ? m : { ...m, workers, available: workers > 0 };
      });
      return { ...body, models };
    },
  );
}
