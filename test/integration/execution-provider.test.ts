// EXECUTION_PROVIDER=cuda on a machine without a usable CUDA (this one: no GPU, and onnxruntime-node
// installed without its CUDA files): the worker stops at start-up, non-zero, with a sentence that
// names what is missing. The CUDA path itself cannot run here (README: Configuration).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { localCudaHost, missingForCuda } from '../../src/cutout/execution-provider.js';
import { startProcess, type Proc } from '../helpers/procs.js';
import { startTestRedis } from '../helpers/redis.js';

const missing = missingForCuda(localCudaHost());

describe('EXECUTION_PROVIDER=cuda without CUDA', { timeout: 120_000, skip: missing.length === 0 && 'this machine has CUDA' }, () => {
  let redis: Awaited<ReturnType<typeof startTestRedis>>;
  let root: string;
  const procs: Proc[] = [];
  before(async () => {
    redis = await startTestRedis();
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'cutout-cuda-'));
  });
  after(async () => {
    for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await redis?.cleanup();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('stops the worker at start-up with a non-zero exit and says what is missing', async () => {
    const worker = startProcess('worker', { REDIS_URL: redis.url, DATA_DIR: root, MODELS: 'isnet-quint8', EXECUTION_PROVIDER: 'cuda' });
    procs.push(worker);
    const sentence = /EXECUTION_PROVIDER=cuda: onnxruntime could not load the CUDA execution provider \((.+)\) — install CUDA 12 and cuDNN 9, or set EXECUTION_PROVIDER=cpu/;
    const lines: string[] = [];
    worker.child.stdout!.on('data', (d: Buffer) => lines.push(d.toString()));
    const code = await Promise.race([worker.exited, new Promise<'running'>((r) => setTimeout(() => r('running'), 90_000).unref())]);
    const out = lines.join('');
    assert.notEqual(code, 'running', `the worker kept running with EXECUTION_PROVIDER=cuda\n${out}`);
    assert.ok(typeof code === 'number' && code !== 0, `exit code ${code}`);
    const said = out.match(sentence);
    assert.ok(said, `the worker's log has the sentence:\n${out}`);
    // Named as this machine lacks it: the first thing found missing, word for word.
    assert.ok(said[1]!.includes(missing[0]!), `${said[1]} names ${missing[0]}`);
    assert.doesNotMatch(out, /worker ready/);
  });
});
