#!/usr/bin/env node
// `npx cutout <input...> [-o out]`: the service's pipeline in-process, no Redis needed.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfigOrExit, pipelineOptions } from '../config.js';
import { MODEL_NAMES } from '../cutout/models.js';
import { INPUT_FORMATS, RESULT_SUFFIX, resultName } from '../vocabulary.js';
import { CutoutPipeline } from '../cutout/pipeline.js';
import { CutoutError } from '../errors.js';

const USAGE = `Usage: cutout <image|folder>... [-o <file.png|folder>] [options]

Removes the background of each image and writes ${resultName("<name>")} (RGBA).
  -o, --output <path>   output file (one input) or folder (default: beside each input)
  -m, --model <name>    ${MODEL_NAMES.filter((m) => m !== 'custom').join(' | ')} (default: MODEL or isnet-general-use)
  -t, --threads <n>     inference threads (default: CPU cores)
  -h, --help            this help
Exit code: 0 when every image worked, 1 when some failed (the others are still written), 2 on bad usage.`;

const IMAGE_EXT = /\.(jpe?g|png|webp|gif|avif|tiff?)$/i;

async function expand(inputs: string[]): Promise<string[]> {
  const files: string[] = [];
  for (const input of inputs) {
    const stat = await fs.stat(input).catch(() => null);
    if (stat?.isDirectory()) {
      for (const name of (await fs.readdir(input)).sort()) if (IMAGE_EXT.test(name) && !name.endsWith(`${RESULT_SUFFIX}.png`)) files.push(path.join(input, name));
    } else {
      files.push(input); // a missing file is reported when it is read
    }
  }
  return files;
}

function bar(done: number, total: number, label: string): string {
  const width = 24;
  const filled = Math.round((done / total) * width);
  return `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${label.slice(0, 40).padEnd(40)}`;
}

/** Cuts out each file in turn and writes the results; returns how many failed (the others are written). */
async function cutAll(pipeline: CutoutPipeline, files: string[], out: string | undefined, single: boolean): Promise<number> {
  const showBar = files.length > 1 && process.stderr.isTTY;
  let failed = 0;
  for (const [i, file] of files.entries()) {
    if (showBar) process.stderr.write(bar(i, files.length, path.basename(file)));
    const target = single ? out! : path.join(out ?? path.dirname(file), resultName(path.basename(file)));
    try {
      const result = await pipeline.process(await fs.readFile(file));
      await fs.writeFile(target, result.bytes);
      if (!showBar) process.stdout.write(`${file} → ${target} (${result.width}x${result.height})\n`);
    } catch (err) {
      failed++;
      const e = err as NodeJS.ErrnoException;
      const why = err instanceof CutoutError ? err.message : e.code === 'ENOENT' ? 'no such file.' : e.code === 'EISDIR' ? 'is a folder.' : e.message;
      process.stderr.write(`${showBar ? '\n' : ''}${file}: ${why}\n`);
    }
  }
  if (showBar) process.stderr.write(`${bar(files.length, files.length, 'done')}\n`);
  return failed;
}

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({
      allowPositionals: true,
      options: {
        output: { type: 'string', short: 'o' },
        model: { type: 'string', short: 'm' },
        threads: { type: 'string', short: 't' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (args.values.help || args.positionals.length === 0) {
    process.stdout.write(`${USAGE}\n`);
    return args.values.help ? 0 : 2;
  }
  const config = loadConfigOrExit();
  const model = args.values.model ?? config.MODEL;
  if (!(MODEL_NAMES as readonly string[]).includes(model)) {
    process.stderr.write(`Unknown model "${model}". Known: ${MODEL_NAMES.join(', ')}\n`);
    return 2;
  }
  const threads = args.values.threads ? Number(args.values.threads) : config.INFERENCE_THREADS;
  if (!Number.isInteger(threads) || threads < 1) {
    process.stderr.write(`--threads must be a whole number >= 1\n`);
    return 2;
  }
  const files = await expand(args.positionals);
  if (files.length === 0) {
    process.stderr.write(`No images found (${INPUT_FORMATS.join(', ')}).\n`);
    return 1;
  }
  const out = args.values.output;
  const single = files.length === 1 && out?.toLowerCase().endsWith('.png');
  if (out && !single) await fs.mkdir(out, { recursive: true });

  const pipeline = await CutoutPipeline.create(pipelineOptions(config, { model, threads }));
  const failed = await cutAll(pipeline, files, out, Boolean(single));
  await pipeline.release();
  if (failed) process.stderr.write(`${failed} of ${files.length} images failed.${os.EOL}`);
  return failed ? 1 : 0;
}

process.exitCode = await main();
