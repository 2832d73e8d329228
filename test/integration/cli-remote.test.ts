// `cutout --server URL folder/`: the folder goes to a running service as a batch, the CLI follows
// it and writes each result; a file the service refuses is reported and the exit code says so.
// Real api, worker and Redis (a stand-in model: the CLI's transport is the point).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { ROOT } from '../helpers/fixtures.js';
import { subjectOnBackground } from '../helpers/images.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { standInCutter } from '../helpers/stand-in.js';
import { resultName } from '../../src/vocabulary.js';

const run = promisify(execFile);

function cutout(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? '' }, timeout: 60_000 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }),
  );
}

describe('cutout --server (remote mode)', { timeout: 120_000 }, () => {
  let stack: Stack;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cutout-remote-'));
  const shoot = path.join(dir, 'shoot');
  const out = path.join(dir, 'out');
  before(async () => {
    stack = await startStack({ workers: 1, cutter: await standInCutter() });
    fs.mkdirSync(shoot);
    fs.writeFileSync(path.join(shoot, 'one.jpg'), await subjectOnBackground(64, 48));
    fs.writeFileSync(path.join(shoot, 'two.png'), await subjectOnBackground(48, 64, 'png'));
    fs.writeFileSync(path.join(shoot, 'notes.jpg'), 'this is not an image');
  });
  after(async () => {
    await stack?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('sends the folder as a batch with its options, writes every result, and reports the file the service refused', async () => {
    const { code, stdout, stderr } = await cutout(['--server', stack.baseUrl, shoot, '-o', out, '--format', 'webp']);
    assert.equal(code, 1, `one file failed, so the exit code is 1\n${stdout}\n${stderr}`);
    assert.match(stderr, /notes\.jpg: This file is not a supported image/);
    assert.match(stderr, /1 of 3 images failed/);
    const written = fs.readdirSync(out).sort();
    assert.equal(written.length, 2, written.join(', '));
    for (const name of ['one.jpg', 'two.png']) {
      const file = written.find((w) => w.startsWith(name.replace(/\.[^.]+$/, '')));
      assert.ok(file, `${name} has a result`);
      assert.match(stdout, new RegExp(`${name} → `));
    }
    // The results are the service's: the batch's jobs ran with the options given as flags.
    const jobs = await stack.queue.counts();
    assert.ok((jobs.completed ?? 0) >= 2);
    const line = stdout.split('\n').find((l) => l.includes('one.jpg → '))!;
    const target = line.split(' → ')[1]!.split(' (')[0]!;
    assert.equal(path.basename(target), resultName('one.jpg', 'png')); // the stand-in model answers PNG
  });

  it('says when the service cannot be reached, and refuses a bad option before uploading anything', async () => {
    const down = await cutout(['--server', 'http://127.0.0.1:9', shoot, '-o', out]);
    assert.equal(down.code, 1);
    assert.match(down.stderr, /cannot reach http:\/\/127\.0\.0\.1:9/);
    const bad = await cutout(['--server', stack.baseUrl, shoot, '--format', 'gif']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /Format must be one of/);
    const notUrl = await cutout(['--server', 'cutout.internal', shoot]);
    assert.equal(notUrl.code, 2);
  });
});
