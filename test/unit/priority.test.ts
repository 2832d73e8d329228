// WORKER_NICE: the worker lowers every thread it has at start-up (Node's own among them), and the
// threads it starts afterwards (the inference thread, onnxruntime's and libvips' threads) run at
// that priority too. Checked in a fresh process, as the worker does it.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config.js';

const priorityModule = new URL('../../src/worker/priority.ts', import.meta.url).href;

/** Runs lowerPriority(nice) in a fresh process; returns the priorities of its main thread and of a thread started after. */
function inFreshProcess(nice: number): { main: number; thread: number; all: number[] } {
  const script = `
    import os from 'node:os';
    import { Worker } from 'node:worker_threads';
    const { lowerPriority } = await import(${JSON.stringify(priorityModule)});
    lowerPriority(${nice});
    const thread = await new Promise((resolve, reject) => {
      const w = new Worker("Promise.all([import('node:worker_threads'), import('node:os')]).then(([t, o]) => t.parentPort.postMessage(o.getPriority()))", { eval: true });
      w.once('message', resolve);
      w.once('error', reject);
    });
    const fs = await import('node:fs');
    const all = fs.readdirSync('/proc/self/task').map((tid) => os.getPriority(Number(tid)));
    console.log(JSON.stringify({ main: os.getPriority(), thread, all: [...new Set(all)] }));`;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').at(-1)!) as { main: number; thread: number; all: number[] };
}

describe('WORKER_NICE', () => {
  it('is 10 by default and takes 0 to 19', () => {
    assert.equal(loadConfig({}).WORKER_NICE, 10);
    assert.equal(loadConfig({ WORKER_NICE: '0' }).WORKER_NICE, 0);
    assert.equal(loadConfig({ WORKER_NICE: '19' }).WORKER_NICE, 19);
  });

  it('lowers every thread of the worker, and the threads it starts afterwards', { skip: process.platform !== 'linux' && 'nice values per thread are checked on Linux' }, () => {
    const start = inFreshProcess(0).main; // what this machine gives a new process
    const nice = Math.min(19, start + 7);
    // Every thread: Node's own (started before any JavaScript ran), and one started afterwards.
    assert.deepEqual(inFreshProcess(nice), { main: nice, thread: nice, all: [nice] });
    // 0 leaves the process as it was.
    assert.deepEqual(inFreshProcess(0), { main: start, thread: start, all: [start] });
  });
});
