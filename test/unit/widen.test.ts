// widen.ts: a float16 model loaded as float32 on the CPU. A tiny generated model with float16 in
// every place the rewrite looks (an initializer, a Constant's tensor, Cast's `to`, a value_info)
// runs in onnxruntime both ways: widened it computes in float32 exactly, as it is it rounds to
// float16 between operators. The real ISNet's widened copy is compared in `npm run eval`.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { createSession } from '../../src/cutout/session.js';
import { halfTable, hasHalfWeights, widenHalfModel } from '../../src/cutout/widen.js';
import { halfModel, mulModel } from '../helpers/tiny-onnx.js';

const SIZE = 8;
const K = 0x3e00; // 1.5
const C = 0x3400; // 0.25
const input = Float32Array.from({ length: 3 * SIZE * SIZE }, (_, i) => 0.1 + i * 0.0137);
const inFloat32 = (x: number) => Math.fround(Math.fround(x * 1.5) + 0.25);

describe('widen: float16 models as float32', () => {
  let dir: string;
  let file: string;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cutout-widen-'));
    file = path.join(dir, 'half.onnx');
    await fs.writeFile(file, halfModel(SIZE, K, C));
  });
  after(() => fs.rm(dir, { recursive: true, force: true }));

  it('knows every float16 value', () => {
    const t = halfTable();
    assert.equal(t[0x3c00], 1);
    assert.equal(t[0xc000], -2);
    assert.equal(t[0x3555], 0.333251953125);
    assert.equal(t[0x7bff], 65504);
    assert.equal(t[0x0001], 2 ** -24); // the smallest subnormal
    assert.equal(t[0x03ff], 1023 * 2 ** -24); // the largest subnormal
    assert.ok(Object.is(t[0x8000], -0));
    assert.equal(t[0x7c00], Infinity);
    assert.equal(t[0xfc00], -Infinity);
    assert.ok(Number.isNaN(t[0x7e00]));
  });

  it('leaves a model without float16 weights alone', () => {
    const plain = mulModel(SIZE, 2);
    assert.equal(hasHalfWeights(plain), false);
    assert.equal(widenHalfModel(plain), null);
  });

  it('rewrites every float16 the model has, and onnxruntime computes it in float32', async () => {
    const widened = widenHalfModel(halfModel(SIZE, K, C))!;
    assert.ok(widened);
    assert.equal(hasHalfWeights(widened), false);
    assert.equal(widenHalfModel(widened), null);
    const session = await ort.InferenceSession.create(widened);
    try {
      const out = await session.run({ input: new ort.Tensor('float32', input, [1, 3, SIZE, SIZE]) });
      assert.deepEqual([...(out.output!.data as Float32Array)], [...input].map(inFloat32));
    } finally {
      await session.release();
    }
  });

  it('createSession widens on the CPU by default, and keeps float16 when told to', async () => {
    // A model that takes and gives float16: widened it takes the pipeline's float32 tensor.
    const halfIo = path.join(dir, 'half-io.onnx');
    await fs.writeFile(halfIo, halfModel(SIZE, K, C, 'float16'));
    const widened = await createSession(halfIo, { threads: 1 });
    try {
      assert.deepEqual([...(await widened.run(input, SIZE))], [...input].map(inFloat32));
    } finally {
      await widened.release();
    }
    const kept = await createSession(halfIo, { threads: 1, widenHalf: false });
    try {
      await assert.rejects(kept.run(input, SIZE), /float16|type/i);
    } finally {
      await kept.release();
    }
  });

  it('refuses what it cannot rewrite: a float16 tensor kept outside the model file, a damaged file', () => {
    assert.throws(() => widenHalfModel(halfModel(SIZE, K, C, 'float32', true)), /outside the model file/);
    const bytes = halfModel(SIZE, K, C);
    assert.throws(() => widenHalfModel(bytes.subarray(0, bytes.length - 3)), /truncated/);
  });
});
