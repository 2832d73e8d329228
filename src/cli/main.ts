#!/usr/bin/env node
// `npx cutout <input...> [-o out] [--crop] [--format webp] …`: the service's pipeline in-process,
// no Redis needed. The per-job options are the api's (one table), as flags: option-flags.ts.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfigOrExit, pipelineOptions } from '../config.js';
import { MODEL_NAMES } from '../cutout/catalogue.js';
import { INPUT_FORMATS, RESULT_SUFFIX, resultName } from '../vocabulary.js';
import { CutoutPipeline, type CutoutRequest } from '../cutout/pipeline.js';
import { CutoutError } from '../errors.js';
import { parseOptions, type JobOptions } from '../options/options.js';
import { givenOptions, OPTION_FLAGS, optionsUsage, withDefaultValues, wrap } from './option-flags.js';
import { runRemote } from './remote.js';

const USAGE = `Usage: cutout <image|folder>... [-o <file.ext|folder>] [options]

Removes the background of each image and writes ${resultName('<name>', '<format>')} (a transparent PNG by default).
  -o, --output <path>   output file (one input) or folder (default: beside each input); a file's
                        extension (.png, .webp, .jpg) sets --format when it is not given
  -m, --model <name>    ${wrap(`the model (default: the first in MODELS, isnet-general-use): ${MODEL_NAMES.join(' | ')}; any but the shipped isnet-general-use and isnet-quint8 must be in MODEL_DIR (README, Models)`, 24)}
  -t, --threads <n>     inference threads (default: CPU cores)
  -s, --server <url>    send the images to a running Cutout service (as batches) instead of running
                        the model here; results are written as they finish (-o is then a folder)
      --api-key <key>   the service's API key, with --server
  -h, --help            this help

Options of the result (the API's per-job options, with - for _):
${optionsUsage()}

Example: cutout shoe.jpg --crop --crop-margin 5% --canvas 2000x2000 --bg-color white --format jpg
         cutout --server http://cutout.internal:8000 ./shoot/ -o ./cutouts/ --format webp
Exit code: 0 when every image worked, 1 when some failed (the others are still written), 2 on bad usage.`;

const IMAGE_EXT = /\.(jpe?g|png|webp|gif|avif|tiff?)$/i;
/** An output file's extension → the format it names. */
const OUTPUT_EXT: Record<string, string> = { png: 'png', webp: 'webp', jpg: 'jpg', jpeg: 'jpg' };
const extensionOf = (file: string) => path.extname(file).slice(1).toLowerCase();
/** Earlier results in a folder are not inputs: `shoe-cutout.webp`. */
const isResult = (name: string) => name.replace(/\.[^.]*$/, '').endsWith(RESULT_SUFFIX);

async function expand(inputs: string[]): Promise<string[]> {
  const files: string[] = [];
  for (const input of inputs) {
    const stat = await fs.stat(input).catch(() => null);
    if (stat?.isDirectory()) {
      for (const name of (await fs.readdir(input)).sort()) if (IMAGE_EXT.test(name) && !isResult(name)) files.push(path.join(input, name));
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
async function cutAll(pipeline: CutoutPipeline, files: string[], out: string | undefined, single: boolean, request: CutoutRequest): Promise<number> {
  const showBar = files.length > 1 && process.stderr.isTTY;
  let failed = 0;
  for (const [i, file] of files.entries()) {
    if (showBar) process.stderr.write(bar(i, files.length, path.basename(file)));
    try {
      const result = await pipeline.process(await fs.readFile(file), undefined, request);
      const target = single ? out! : path.join(out ?? path.dirname(file), resultName(path.basename(file), result.format));
      await fs.writeFile(target, result.bytes);
      if (!showBar) process.stdout.write(`${file} → ${target} (${result.format}, ${result.width}x${result.height})\n`);
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
      args: withDefaultValues(process.argv.slice(2)),
      allowPositionals: true,
      options: {
        ...OPTION_FLAGS,
        output: { type: 'string', short: 'o' },
        model: { type: 'string', short: 'm' },
        threads: { type: 'string', short: 't' },
        server: { type: 'string', short: 's' },
        'api-key': { type: 'string' },
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
  const out = args.values.output;
  const outExt = out ? OUTPUT_EXT[extensionOf(out)] : undefined;
  const request = await jobRequest(args.values as Record<string, unknown>, outExt);
  if (typeof request === 'string') {
    process.stderr.write(`${request}\n`);
    return 2;
  }
  if (args.values.server !== undefined) return remote(args.values.server, args.values['api-key'], args.positionals, out, outExt, args.values as Record<string, unknown>);
  const config = loadConfigOrExit();
  const model = typeof request.options?.model === 'string' ? request.options.model : config.MODELS[0]!;
  if (!MODEL_NAMES.includes(model)) {
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
  const single = files.length === 1 && outExt !== undefined;
  if (out && !single) await fs.mkdir(out, { recursive: true });

  let pipeline: CutoutPipeline;
  try {
    pipeline = await CutoutPipeline.create(pipelineOptions(config, { models: [model], threads }));
  } catch (err) {
    process.stderr.write(`The model ${model} cannot be loaded: ${(err as Error).message}\n`);
    return 1;
  }
  request.model = model;
  const failed = await cutAll(pipeline, files, out, single, request);
  await pipeline.release();
  if (failed) process.stderr.write(`${failed} of ${files.length} images failed.${os.EOL}`);
  return failed ? 1 : 0;
}

/** --server: the images go to a running service; its answers say what went wrong, if anything. */
async function remote(server: string, apiKey: string | undefined, inputs: string[], out: string | undefined, outExt: string | undefined, values: Record<string, unknown>): Promise<number> {
  if (!/^https?:\/\/[^/]/.test(server)) {
    process.stderr.write(`--server must be the service's http(s) URL, such as http://127.0.0.1:8000 (got "${server}").\n`);
    return 2;
  }
  if (outExt) {
    process.stderr.write('With --server, -o is a folder (the results keep their names); use --format to choose the format.\n');
    return 2;
  }
  const request = await jobRequest(values, undefined); // checked here first: a typo is caught before any upload
  if (typeof request === 'string') {
    process.stderr.write(`${request}\n`);
    return 2;
  }
  const { given, files: fileOptions } = givenOptions(values);
  const files = await expand(inputs);
  if (files.length === 0) {
    process.stderr.write(`No images found (${INPUT_FORMATS.join(', ')}).\n`);
    return 1;
  }
  const showBar = files.length > 1 && process.stderr.isTTY;
  let failed: number;
  try {
    failed = await runRemote({
      server,
      apiKey,
      files,
      fields: given,
      background: fileOptions.bg_image && request.background ? { name: path.basename(fileOptions.bg_image), bytes: request.background } : undefined,
      out,
      progress: (done, total, label) => showBar && process.stderr.write(bar(done, total, label)),
      report: (line, failed) => (failed || showBar ? process.stderr.write(`${showBar ? '\n' : ''}${line}\n`) : process.stdout.write(`${line}\n`)),
    });
  } catch (err) {
    process.stderr.write(`${showBar ? '\n' : ''}${(err as Error).message}\n`);
    return 1;
  }
  if (showBar) process.stderr.write('\n');
  if (failed) process.stderr.write(`${failed} of ${files.length} images failed.${os.EOL}`);
  return failed ? 1 : 0;
}

/**
 * The flags as the pipeline's request: options checked by the api's own rules, the background
 * image read (its sha256 is the option's value). A string: the sentence saying what is wrong.
 */
async function jobRequest(values: Record<string, unknown>, outExt: string | undefined): Promise<CutoutRequest | string> {
  const { given, files } = givenOptions(values);
  // `-o shoe.webp` asks for WebP, unless --format says otherwise (then the two must agree).
  if (outExt && given.format === undefined) given.format = outExt;
  let background: Buffer | undefined;
  if (files.bg_image !== undefined) {
    try {
      background = await fs.readFile(files.bg_image);
    } catch {
      return `--bg-image: cannot read "${files.bg_image}".`;
    }
    given.bg_image = createHash('sha256').update(background).digest('hex');
  }
  let options: JobOptions;
  try {
    options = parseOptions(given);
  } catch (err) {
    if (err instanceof CutoutError) return err.message;
    throw err;
  }
  if (outExt && options.format !== 'auto' && options.format !== outExt) {
    return `The output file's extension (.${outExt}) and --format ${String(options.format)} disagree: change one of them.`;
  }
  return { options, background };
}

process.exitCode = await main();
