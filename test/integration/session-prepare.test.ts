// The session's optimise-ahead (session.ts): the model is optimised once into a temporary file,
// that copy is loaded and the file deleted; where no temporary file can be written, the model is
// loaded as it is. Same output either way. Tiny generated models: the model is not the point here.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig, pipelineOptions } from '../../src/config.js';
import { createSession } from '../../src/cutout/session.js';
import { tinyModel } from '../helpers/tiny-onnx.js';

describe('session: optimise ahead', { timeout: 60_000 }, () => {
  let dir: string;
  let model: string;
  const savedTmp = process.env.TMPDIR;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cutout-prepare-'));
    const tiny = await tinyModel(dir, 'prepare-identity', 'u2net');
    assert.equal(tiny.weights.kind, 'file');
    model = tiny.weights.kind === 'file' ? tiny.weights.file : '';
  });
  after(async () => {
    if (savedTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = savedTmp;
    await fs.rm(dir, { recursive: true, force: true });
  });

  const run = async (optimizeAhead: boolean, cpuArena = true) => {
    const session = await createSession(model, { threads: 1, optimizeAhead, cpuArena });
    try {
      const input = Float32Array.from({ length: 3 * 320 * 320 }, (_, i) => ((i * 31) % 97) / 97 - 0.5);
      return await session.run(input, 320);
    } finally {
      await session.release();
    }
  };

  it('gives the same output as the model loaded as it is, and leaves no temporary file', async () => {
    const tmp = path.join(dir, 'tmp');
    await fs.mkdir(tmp);
    process.env.TMPDIR = tmp;
    const ahead = await run(true);
    assert.deepEqual((await fs.readdir(tmp)).filter((f) => f.startsWith('cutout-ort-')), [], 'the optimised copy is deleted once loaded');
    const plain = await run(false);
    assert.equal(ahead.length, plain.length);
    assert.deepEqual(ahead, plain);
  });

  it('loads the model as it is when no temporary file can be written', async () => {
    process.env.TMPDIR = path.join(dir, 'does-not-exist');
    const out = await run(true);
    assert.equal(out.length, 3 * 320 * 320);
  });

  it('INFERENCE_MEMORY=lean (the CPU arena off) gives the same output', async () => {
    delete process.env.TMPDIR;
    const fast = await run(true, true);
    const lean = await run(true, false);
    assert.deepEqual(lean, fast);
    assert.deepEqual(pipelineOptions(loadConfig({ INFERENCE_MEMORY: 'lean' })).cpuArena, false);
    assert.deepEqual(pipelineOptions(loadConfig({})).cpuArena, true);
    assert.throws(() => loadConfig({ INFERENCE_MEMORY: 'small' }), /INFERENCE_MEMORY=/);
  });

  it('INFERENCE_FLOAT16: widen (the default) or keep, as the pipeline is told', () => {
    assert.equal(pipelineOptions(loadConfig({})).widenHalf, true);
    assert.equal(pipelineOptions(loadConfig({ INFERENCE_FLOAT16: 'keep' })).widenHalf, false);
    assert.throws(() => loadConfig({ INFERENCE_FLOAT16: 'half' }), /INFERENCE_FLOAT16=/);
  });
});
