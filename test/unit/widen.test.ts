// widen.ts: a float16 model loaded as float32 on the CPU. Tiny generated models with float16 in
// the places the rewrite looks (an initializer of one value per channel, a Constant's tensor, an
// If's subgraphs, Cast's `to`, a value_info) run in onnxruntime widened: they compute in float32
// exactly. A model with float16 where the rewrite does not look (a model-local function) is
// loaded as it is. The real ISNet's widened copy is compared in `npm run eval`.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createSession } from '../../src/cutout/session.js';
import { halfTable, hasHalfWeights, widenHalfModel } from '../../src/cutout/widen.js';
import { halfModel, mulModel, runModelBytes, type HalfModelOptions } from '../helpers/tiny-onnx.js';

const SIZE = 8;
const K = [0x3e00, 0x4000, 0xb800] as const; // 1.5, 2, -0.5: one per channel
const KV = [1.5, 2, -0.5];
const C = 0x3400; // 0.25
const input = Float32Array.from({ length: 3 * SIZE * SIZE }, (_, i) => 0.1 + i * 0.0137);
const inFloat32 = (x: number, i: number) => Math.fround(Math.fround(x * KV[Math.floor(i / (SIZE * SIZE))]!) + 0.25);
const expected = [...input].map(inFloat32);
const model = (opts: HalfModelOptions = {}) => halfModel(SIZE, K, C, opts);

const runBytes = async (bytes: Uint8Array): Promise<number[]> => (await runModelBytes(bytes, input, SIZE)).first;

describe('widen: float16 models as float32', () => {
  let dir: string;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cutout-widen-'));
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

  for (const c of ['constant', 'if'] as const) {
    it(`rewrites every float16 the model has (c from ${c === 'if' ? "an If's subgraphs" : 'a Constant'}), and onnxruntime computes it in float32`, async () => {
      const widened = widenHalfModel(model({ c }))!;
      assert.ok(widened);
      assert.equal(hasHalfWeights(widened), false);
      assert.equal(widenHalfModel(widened), null);
      assert.deepEqual(await runBytes(widened), expected);
    });
  }

  it('reads float16 data at any offset in the file', async () => {
    const bytes = model();
    const shifted = Buffer.alloc(bytes.length + 1);
    bytes.copy(shifted, 1);
    const odd = shifted.subarray(1); // every raw_data now starts at an odd address
    assert.equal(odd.byteOffset % 2, 1);
    assert.deepEqual(await runBytes(widenHalfModel(odd)!), expected);
  });

  it('createSession widens on the CPU by default, and keeps float16 when told to', async () => {
    // A model that takes and gives float16: widened it takes the pipeline's float32 tensor.
    const file = path.join(dir, 'half-io.onnx');
    await fs.writeFile(file, model({ io: 'float16' }));
    const widened = await createSession(file, { threads: 1 });
    try {
      assert.equal(widened.weights, 'float32 (widened from float16)');
      assert.deepEqual([...(await widened.run(input, SIZE))], expected);
    } finally {
      await widened.release();
    }
    const kept = await createSession(file, { threads: 1, widenHalf: false });
    try {
      assert.equal(kept.weights, 'as stored');
      await assert.rejects(kept.run(input, SIZE), /float16|type/i);
    } finally {
      await kept.release();
    }
  });

  it('loads a model as it is when onnxruntime refuses its widened form (float16 in a model-local function)', async () => {
    const bytes = model({ c: 'function' });
    await assert.rejects(runBytes(widenHalfModel(bytes)!), /type|float16|float/i);
    const file = path.join(dir, 'half-function.onnx');
    await fs.writeFile(file, bytes);
    const session = await createSession(file, { threads: 1 });
    try {
      assert.match(session.weights, /^as stored \(onnxruntime refused the widened model: /);
      const out = await session.run(input, SIZE);
      out.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) < 4e-3, `${v} vs ${expected[i]}`)); // in float16
    } finally {
      await session.release();
    }
  });

  it('refuses what it cannot rewrite: a float16 tensor kept outside the file, out-of-range bits, a damaged file', async () => {
    assert.throws(() => widenHalfModel(model({ externalK: true })), /outside the model file/);
    // c's bits as int32_data: 0x13400 is no float16 (onnxruntime refuses it too).
    assert.throws(() => widenHalfModel(halfModel(SIZE, K, 0x13400)), /out of range/);
    const bytes = model();
    assert.throws(() => widenHalfModel(bytes.subarray(0, bytes.length - 3)), /truncated/);
    // A file that cannot be widened is loaded as it is, and the reason is kept for the log.
    const file = path.join(dir, 'external.onnx');
    await fs.writeFile(file, model({ externalK: true }));
    await assert.rejects(createSession(file, { threads: 1 })); // onnxruntime cannot find k's data either
  });
});
