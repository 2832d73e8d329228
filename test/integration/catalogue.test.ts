// The model catalogue on tiny ONNX models the test writes (test/helpers/tiny-onnx.ts): what each
// family feeds its network (rembg's size, mean and std), what it does with the output (min-max,
// or a sigmoid first for BiRefNet), and the checksum check that refuses a file that is not the
// one catalogued. No Redis; onnxruntime runs the tiny models for real.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { CATALOGUE, type FamilyName } from '../../src/cutout/catalogue.js';
import { toModelInput } from '../../src/cutout/compose.js';
import { ensureModelFile, resolveModel } from '../../src/cutout/models.js';
import { CutoutPipeline } from '../../src/cutout/pipeline.js';
import { createSession } from '../../src/cutout/session.js';
import { parseOptions } from '../../src/options/options.js';
import { tinyModel } from '../helpers/tiny-onnx.js';

const IMAGENET_MEAN = [0.485, 0.456, 0.406];
const IMAGENET_STD = [0.229, 0.224, 0.225];
/** rembg's sessions, written out again here (rembg/sessions/*.py): model → [size, mean, std]. */
const REMBG: Record<string, [number, number[], number[]]> = {
  'isnet-general-use': [1024, [0.5, 0.5, 0.5], [1, 1, 1]],
  'isnet-anime': [1024, IMAGENET_MEAN, [1, 1, 1]],
  u2net: [320, IMAGENET_MEAN, IMAGENET_STD],
  u2netp: [320, IMAGENET_MEAN, IMAGENET_STD],
  u2net_human_seg: [320, IMAGENET_MEAN, IMAGENET_STD],
  silueta: [320, IMAGENET_MEAN, IMAGENET_STD],
  'birefnet-general': [1024, IMAGENET_MEAN, IMAGENET_STD],
  'bria-rmbg': [1024, IMAGENET_MEAN, IMAGENET_STD],
};

describe('model catalogue on tiny models', { timeout: 120_000 }, () => {
  let dir: string;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cutout-tiny-'));
  });
  after(() => fs.rm(dir, { recursive: true, force: true }));

  for (const [name, [size, mean, std]] of Object.entries(REMBG)) {
    it(`${name}: the network gets rembg's ${size}×${size} tensor, (v / max − mean) / std per channel`, async () => {
      const { spec } = resolveModel(name);
      assert.equal(spec.size, size);
      // One colour: each channel divided by the image's maximum (200) → 1, 0.5, 0.25.
      const rgb = new Uint8Array(size * size * 3);
      for (let i = 0; i < rgb.length; i += 3) rgb.set([200, 100, 50], i);
      const tiny = await tinyModel(dir, `${name}-identity`, spec.family);
      const session = await createSession(tiny.weights.kind === 'file' ? tiny.weights.file : '', { threads: 1 });
      try {
        const out = await session.run(toModelInput(rgb, spec.size, spec.mean, spec.std), spec.size);
        assert.equal(out.length, 3 * size * size);
        const plane = size * size;
        [1, 0.5, 0.25].forEach((v, c) => {
          const want = (v - mean[c]!) / std[c]!;
          for (const p of [0, plane >> 1, plane - 1]) assert.ok(Math.abs(out[c * plane + p]! - want) < 1e-5, `${name} channel ${c}: ${out[c * plane + p]} vs ${want}`);
        });
      } finally {
        await session.release();
      }
    });
  }

  it('every catalogued model has a family, a licence and a checksum; BRIA is marked non-commercial', () => {
    for (const [name, e] of Object.entries(CATALOGUE)) {
      assert.ok(e.licence && e.description, name);
      assert.match(e.weights.checksum.hex, e.weights.checksum.algorithm === 'md5' ? /^[0-9a-f]{32}$/ : /^[0-9a-f]{64}$/, name);
    }
    assert.equal(CATALOGUE['bria-rmbg']!.commercialUse, false);
    assert.equal(CATALOGUE['birefnet-general']!.licence, 'MIT');
    assert.equal(CATALOGUE.u2net!.licence, 'Apache-2.0');
  });

  /** The mask at three bands of red (0, 128, 255) made by a tiny model of `family` whose output is 10 × its input. */
  async function bandMask(family: FamilyName): Promise<number[]> {
    const photo = await sharp({ create: { width: 300, height: 100, channels: 3, background: '#000000' } })
      .composite([
        { input: { create: { width: 100, height: 100, channels: 3, background: '#800000' } }, left: 100, top: 0 },
        { input: { create: { width: 100, height: 100, channels: 3, background: '#ff0000' } }, left: 200, top: 0 },
      ])
      .png()
      .toBuffer();
    const model = await tinyModel(dir, `${family}-times-10`, family, 10);
    const pipeline = await CutoutPipeline.create({ models: [model], modelDir: dir, threads: 1, maxPixels: 1e7, pngCompressionLevel: 1 });
    try {
      const out = await pipeline.process(photo, undefined, { options: parseOptions({ channels: 'alpha', refine: 'none' }) });
      const { data, info } = await sharp(out.bytes).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
      return [50, 150, 250].map((x) => data[50 * info.width + x]!);
    } finally {
      await pipeline.release();
    }
  }

  it('U²-Net: the output is min-max normalised (the middle band is half way)', async () => {
    const [lo, mid, hi] = await bandMask('u2net');
    assert.ok(lo! <= 2 && hi! >= 253, `ends ${lo} and ${hi}`);
    assert.ok(Math.abs(mid! - 128) <= 3, `middle ${mid}`);
  });

  it('BiRefNet: a sigmoid comes first (logits of 0.74 → 0.68 of the way)', async () => {
    // (128/255 − 0.485) / 0.229 × 10 = 0.74; sigmoid 0.677 between the ends' ~0 and ~1 → 172.
    const [lo, mid, hi] = await bandMask('birefnet');
    assert.ok(lo! <= 2 && hi! >= 253, `ends ${lo} and ${hi}`);
    assert.ok(Math.abs(mid! - 172) <= 4, `middle ${mid}`);
  });

  it('refuses a file whose checksum is not the catalogued one, naming the file and both checksums', async () => {
    const model = await tinyModel(dir, 'u2netp-tampered', 'u2net');
    const wrong = { ...model, weights: { ...model.weights, checksum: { algorithm: 'sha256' as const, hex: 'a'.repeat(64) } } };
    await assert.rejects(
      CutoutPipeline.create({ models: [wrong], modelDir: dir, threads: 1, maxPixels: 1e7, pngCompressionLevel: 1 }),
      (err: Error) => {
        assert.match(err.message, /u2netp-tampered\.onnx/);
        assert.match(err.message, new RegExp(`has sha256 [0-9a-f]{64}, expected sha256:${'a'.repeat(64)}`));
        return true;
      },
    );
  });

  it('a catalogue model is read from MODEL_DIR under its name and checked with what rembg publishes (md5)', async () => {
    const modelDir = path.join(dir, 'model-dir');
    await fs.mkdir(modelDir, { recursive: true });
    await assert.rejects(ensureModelFile(resolveModel('u2netp'), modelDir), /u2netp\.onnx cannot be read: ENOENT \(rembg publishes it at https:\/\/github\.com\/danielgatis\/rembg\/releases\/download\/v0\.0\.0\/u2netp\.onnx/);
    const impostor = Buffer.from('not u2netp');
    await fs.writeFile(path.join(modelDir, 'u2netp.onnx'), impostor);
    const md5 = createHash('md5').update(impostor).digest('hex');
    await assert.rejects(ensureModelFile(resolveModel('u2netp'), modelDir), new RegExp(`has md5 ${md5}, expected md5:8e83ca70e441ab06c318d82300c84806`));
  });
});
