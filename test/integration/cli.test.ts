// `cutout` on the command line: the per-job options as flags, the real model, files on disk.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { fixturesSkip, REMBG, ROOT } from '../helpers/fixtures.js';
import { TEST_MODEL_DIR } from '../helpers/stack.js';
import { InvalidOptionError } from '../../src/errors.js';
import { parseOptions } from '../../src/options/options.js';
import { resultName } from '../../src/vocabulary.js';

const run = promisify(execFile);
const CLI = ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts')];

function cutout(args: string[], modelDir = TEST_MODEL_DIR): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { PATH: process.env.PATH ?? '', MODEL_DIR: modelDir, INFERENCE_THREADS: String(os.availableParallelism()) };
  return run(process.execPath, [...CLI, ...args], { cwd: ROOT, env, timeout: 120_000 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }),
  );
}

describe('cutout CLI', { skip: fixturesSkip }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cutout-cli-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes a cropped preview-size WebP named for its format', async () => {
    const { code, stdout, stderr } = await cutout([path.join(REMBG, 'car-1.jpg'), '--crop', '--format', 'webp', '--size', 'preview', '-o', dir]);
    assert.equal(code, 0, stderr);
    const out = path.join(dir, resultName('car-1.jpg', 'webp'));
    assert.match(stdout, new RegExp(`→ ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(webp, `));
    const meta = await sharp(out).metadata();
    assert.equal(meta.format, 'webp');
    assert.ok(meta.width! * meta.height! <= 250_000, `${meta.width}x${meta.height} is at most 0.25 MP`);
    const original = await sharp(path.join(REMBG, 'car-1.jpg')).metadata();
    assert.ok(meta.width! / meta.height! !== original.width! / original.height!, 'cropped to the subject');
  });

  it('refuses a bad value with the api\'s sentence and exit code 2', async () => {
    const { code, stderr } = await cutout([path.join(REMBG, 'car-1.jpg'), '--format', 'gif']);
    assert.equal(code, 2);
    const expected = (() => {
      try {
        parseOptions({ format: 'gif' });
      } catch (err) {
        assert.ok(err instanceof InvalidOptionError && err.code === 'invalid_format');
        return err.message;
      }
      assert.fail('gif was accepted');
    })();
    assert.equal(stderr.trim(), expected);
  });

  it('--model: a catalogue model whose file is not in MODEL_DIR is named, with where rembg publishes it', async () => {
    const empty = fs.mkdtempSync(path.join(dir, 'models-'));
    const { code, stderr } = await cutout([path.join(REMBG, 'car-1.jpg'), '--model', 'u2netp'], empty);
    assert.equal(code, 1);
    assert.match(stderr, /^The model u2netp cannot be loaded: .*u2netp\.onnx cannot be read: ENOENT \(rembg publishes it at https:\/\/github\.com\/danielgatis\/rembg\/releases\/download\/v0\.0\.0\/u2netp\.onnx/);
    const unknown = await cutout([path.join(REMBG, 'car-1.jpg'), '--model', 'banana'], empty);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /Unknown model "banana"/);
  });
});
