// The worker's glibc allocator settings: set by everything that starts a worker, checked by the worker.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { allocatorAdvice, WORKER_GLIBC_TUNABLES, workerEnvironment } from '../../src/worker/glibc-tunables.js';
import { readDockerfile } from '../helpers/dockerfile.js';
import { loadConfig } from '../../src/config.js';
import { ROOT } from '../helpers/fixtures.js';

describe('worker GLIBC_TUNABLES', () => {
  it('is added to a worker environment, unless the operator set it (even empty)', () => {
    assert.equal(workerEnvironment({ A: '1' }).GLIBC_TUNABLES, WORKER_GLIBC_TUNABLES);
    assert.equal(workerEnvironment({ A: '1' }).A, '1');
    assert.equal(workerEnvironment({ GLIBC_TUNABLES: 'glibc.malloc.arena_max=1' }).GLIBC_TUNABLES, 'glibc.malloc.arena_max=1');
    assert.equal(workerEnvironment({ GLIBC_TUNABLES: '' }).GLIBC_TUNABLES, '');
  });

  it('the worker warns at start-up only when no mmap threshold is set, and only on Linux', () => {
    assert.equal(allocatorAdvice(WORKER_GLIBC_TUNABLES, 'linux'), null);
    assert.equal(allocatorAdvice('glibc.malloc.arena_max=1:glibc.malloc.mmap_threshold=65536', 'linux'), null);
    assert.match(allocatorAdvice(undefined, 'linux')!, new RegExp(`GLIBC_TUNABLES=${WORKER_GLIBC_TUNABLES}`));
    assert.match(allocatorAdvice('glibc.malloc.hugetlb=1', 'linux')!, /does not set glibc\.malloc\.mmap_threshold/);
    assert.equal(allocatorAdvice(undefined, 'darwin'), null);
  });

  it('the worker image sets it, and the api image does not need it', () => {
    const stages = readDockerfile(path.join(ROOT, 'Dockerfile'));
    assert.equal(stages.get('worker')!.env.GLIBC_TUNABLES, WORKER_GLIBC_TUNABLES);
    assert.equal(stages.get('api')!.env.GLIBC_TUNABLES, undefined);
    assert.doesNotThrow(() => loadConfig(stages.get('worker')!.env), 'the worker image\'s environment is a valid config');
  });

  it('npm run start:worker sets it when the environment does not, and keeps an operator\'s value', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    const script = pkg.scripts['start:worker']!;
    assert.match(script, /node dist\/worker\/main\.js$/);
    // The script's assignment, run by sh as npm runs it, printing what the worker would get.
    const assignment = script.replace(/ node dist\/worker\/main\.js$/, '');
    const run = (env: Record<string, string>) =>
      execFileSync('sh', ['-c', `${assignment} sh -c 'printf %s "$GLIBC_TUNABLES"'`], { env: { PATH: process.env.PATH!, ...env }, encoding: 'utf8' });
    assert.equal(run({}), WORKER_GLIBC_TUNABLES);
    assert.equal(run({ GLIBC_TUNABLES: 'glibc.malloc.arena_max=1' }), 'glibc.malloc.arena_max=1');
  });

  it('glibc applies it: a process started with it reports the fixed threshold', (t) => {
    // `ld.so --list-tunables` (glibc ≥ 2.33) prints each tunable's value as a process started so would have it.
    const ldso = ['/lib64/ld-linux-x86-64.so.2', '/lib/ld-linux-aarch64.so.1'].find((f) => fs.existsSync(f));
    if (!ldso) {
      t.skip('no glibc dynamic loader here');
      return;
    }
    const out = execFileSync(ldso, ['--list-tunables'], { env: { GLIBC_TUNABLES: WORKER_GLIBC_TUNABLES }, encoding: 'utf8' });
    assert.match(out, /glibc\.malloc\.mmap_threshold: 0x20000 /);
    assert.match(out, /glibc\.malloc\.hugetlb: 0x1 /);
  });
});
