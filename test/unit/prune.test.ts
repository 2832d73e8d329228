// prune.ts: a model cut down to its first output before onnxruntime loads it. Tiny generated
// models with a side output (its nodes first in the file, its weight also listed as a graph input)
// give the same first output pruned, and lose the side's nodes and weight; a model with one output,
// or with a subgraph, is left as it is. The real ISNet pruned gives rembg's masks: `npm run eval`'s parity.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createSession } from '../../src/cutout/session.js';
import { pruneToFirstOutput } from '../../src/cutout/prune.js';
import { mulModel, runModelBytes, twoOutputModel } from '../helpers/tiny-onnx.js';

const SIZE = 4;
const input = Float32Array.from({ length: 3 * SIZE * SIZE }, (_, i) => i * 0.25 - 3);

const outputsOf = (bytes: Uint8Array) => runModelBytes(bytes, input, SIZE);

describe('prune: the graph cut down to its first output', () => {
  let dir: string;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cutout-prune-'));
  });
  after(() => fs.rm(dir, { recursive: true, force: true }));

  it('keeps what the first output needs, and gives it to the bit', async () => {
    const model = twoOutputModel(SIZE, 3, 5);
    const pruned = pruneToFirstOutput(model)!;
    assert.ok(pruned);
    assert.deepEqual([pruned.nodes, pruned.kept], [3, 1]);
    const [full, cut] = [await outputsOf(model), await outputsOf(pruned.model)];
    assert.deepEqual(full.names, ['output', 'side']);
    assert.deepEqual(cut.names, ['output']);
    assert.deepEqual(cut.first, full.first);
    assert.deepEqual(cut.first, [...input].map((v) => Math.fround(v * 3)));
    // The side's weight is gone, as an initializer and as a graph input; k stays.
    const text = Buffer.from(pruned.model).toString('latin1');
    assert.ok(!/k2/.test(text) && !/side/.test(text) && /\bk\b/.test(text));
    assert.equal(pruneToFirstOutput(pruned.model), null); // nothing more to cut
  });

  it('leaves a model with one output, or with a subgraph, as it is', () => {
    assert.equal(pruneToFirstOutput(mulModel(SIZE, 2)), null);
    assert.equal(pruneToFirstOutput(twoOutputModel(SIZE, 3, 5, { subgraph: true })), null);
    assert.throws(() => pruneToFirstOutput(twoOutputModel(SIZE, 3, 5).subarray(0, 40)), /truncated/);
  });

  it('createSession runs the pruned graph and says so', async () => {
    const file = path.join(dir, 'two.onnx');
    await fs.writeFile(file, twoOutputModel(SIZE, 3, 5));
    const session = await createSession(file, { threads: 1 });
    try {
      assert.equal(session.weights, 'as stored; graph cut to its first output (1 of 3 nodes)');
      assert.deepEqual([...(await session.run(input, SIZE))], [...input].map((v) => Math.fround(v * 3)));
    } finally {
      await session.release();
    }
  });
});
