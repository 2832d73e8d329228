// The image work shared between threads (pixel-threads.ts) gives exactly the single-thread bytes:
// the exact Lanczos resizes by output rows, the refinement's box means by planes. Real threads.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { loadConfig, pipelineOptions } from '../../src/config.js';
import { boxMean } from '../../src/cutout/guided.js';
import { PixelThreads } from '../../src/cutout/pixel-threads.js';
import { refineEdges, REFINE_DEFAULTS } from '../../src/cutout/refine.js';
import { resizeLanczos } from '../../src/cutout/resample.js';
import { collectYoung } from '../../src/cutout/young-gc.js';

/** A deterministic photo-like image: gradients, a disc and noise. */
function picture(width: number, height: number, channels: number): Uint8Array {
  const data = new Uint8Array(width * height * channels);
  let seed = 7;
  const noise = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 24) - 128;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const inside = (x - width / 2) ** 2 + (y - height / 2) ** 2 < (Math.min(width, height) / 3) ** 2;
      for (let c = 0; c < channels; c++) {
        const v = inside ? 200 - c * 40 : ((x * 255) / width + (y * 90) / height + c * 30) % 256;
        data[(y * width + x) * channels + c] = Math.max(0, Math.min(255, v + noise() / 8));
      }
    }
  }
  return data;
}

const threads = [new PixelThreads(1), new PixelThreads(2)];
after(() => Promise.all(threads.map((t) => t.release())));

describe('pixel threads', () => {
  it('resize a photo down to the model\'s square, row bands on each thread, to the same bytes', async () => {
    const src = { data: picture(997, 641, 4), width: 997, height: 641, channels: 4 };
    const one = resizeLanczos(src, 512, 512, 3);
    for (const t of threads) {
      const out = await t.resizeLanczos(src, 512, 512, 3);
      assert.deepEqual(out, one, `${t.threads} pixel threads`);
      assert.ok(!(out.buffer instanceof SharedArrayBuffer), 'no shared buffer outlives its pass');
    }
  });

  it('enlarge a mask back to the photo, and resize one way only, to the same bytes', async () => {
    const mask = { data: picture(256, 256, 1), width: 256, height: 256, channels: 1 };
    for (const [w, h] of [[1231, 817], [256, 900], [700, 256]] as const) {
      const one = resizeLanczos(mask, w, h, 1);
      for (const t of threads) assert.deepEqual(await t.resizeLanczos(mask, w, h, 1), one, `${w}×${h}, ${t.threads} pixel threads`);
    }
  });

  it('refuse what a resize on one thread refuses', async () => {
    const grey = { data: picture(600, 400, 1), width: 600, height: 400, channels: 1 };
    await assert.rejects(threads[0]!.resizeLanczos(grey, 512, 512, 3), /cannot read 3 channels from a 1-channel image/);
    await assert.rejects(threads[0]!.resizeLanczos({ ...grey, height: 401 }, 512, 512, 1), /pixel buffer does not match its size/);
  });

  it('keep a small resize on the calling thread', async () => {
    const src = { data: picture(40, 30, 3), width: 40, height: 30, channels: 3 };
    assert.deepEqual(await threads[0]!.resizeLanczos(src, 64, 48, 3), resizeLanczos(src, 64, 48, 3));
  });

  it('compute box means plane by plane, to the same floats', async () => {
    const [w, h] = [613, 409];
    const planes = [0, 1, 2, 3, 4, 5, 6].map((k) => Float32Array.from(picture(w, h, 1), (v) => (v + k) / 262));
    const one = planes.map((p) => boxMean(p, w, h, 9));
    for (const t of threads) assert.deepEqual(await t.boxMeans(planes, w, h, 9), one, `${t.threads} pixel threads`);
  });

  it('compute box means right when passes overlap (two jobs at once) and when a later pass is larger than the kept shared planes', async () => {
    const [w, h] = [301, 207];
    const small = [0, 1, 2, 3].map((k) => Float32Array.from(picture(w, h, 1), (v) => (v + k) / 262));
    const large = [0, 1, 2, 3, 4, 5].map((k) => Float32Array.from(picture(w + 40, h, 1), (v) => (v * 3 + k) / 800));
    for (const t of threads) {
      const [a, b, c] = await Promise.all([t.boxMeans(small, w, h, 4), t.boxMeans(small, w, h, 7), t.boxMeans(large, w + 40, h, 5)]);
      assert.deepEqual(a, small.map((p) => boxMean(p, w, h, 4)), `${t.threads} pixel threads, first pass`);
      assert.deepEqual(b, small.map((p) => boxMean(p, w, h, 7)), `${t.threads} pixel threads, overlapping pass`);
      assert.deepEqual(c, large.map((p) => boxMean(p, w + 40, h, 5)), `${t.threads} pixel threads, larger pass`);
      assert.deepEqual(await t.boxMeans(small, w, h, 3), small.map((p) => boxMean(p, w, h, 3)), `${t.threads} pixel threads, the kept planes again`);
    }
  });

  it('have a collector for the shared memory (without one, every pass would stay on the calling thread)', () => {
    assert.equal(typeof collectYoung, 'function', 'v8.setFlagsFromString("--expose-gc") no longer gives a gc function');
  });

  it('do their shares themselves (none fell back to the calling thread)', () => {
    for (const t of threads) assert.equal(t.fallbacks, 0, `${t.threads} pixel threads`);
  });

  it('refine edges to the same alpha and colours as on one thread', async () => {
    const [w, h] = [900, 700];
    const rgba = picture(w, h, 4);
    const mask = Uint8Array.from({ length: w * h }, (_, p) => {
      const d = Math.hypot((p % w) - w / 2, Math.floor(p / w) - h / 2) - h / 3;
      return Math.max(0, Math.min(255, Math.round(128 - d * 12)));
    });
    const alone = { rgba: rgba.slice(), mask: mask.slice() };
    const touched = await refineEdges(alone.rgba, alone.mask, w, h);
    assert.ok(touched > 0);
    const shared = { rgba: rgba.slice(), mask: mask.slice() };
    assert.equal(await refineEdges(shared.rgba, shared.mask, w, h, REFINE_DEFAULTS, threads[0]!.boxMeans), touched);
    assert.deepEqual(shared.mask, alone.mask);
    assert.deepEqual(shared.rgba, alone.rgba);
  });

  it('compute a failed thread\'s share on the calling thread, to the same bytes', async () => {
    const broken = new PixelThreads(1, 'no-such-pixel-thread');
    try {
      const src = { data: picture(800, 600, 4), width: 800, height: 600, channels: 4 };
      assert.deepEqual(await broken.resizeLanczos(src, 512, 512, 3), resizeLanczos(src, 512, 512, 3));
      const planes = [1, 2, 3].map((k) => Float32Array.from(picture(400, 300, 1), (v) => (v * k) / 800));
      assert.deepEqual(await broken.boxMeans(planes, 400, 300, 5), planes.map((p) => boxMean(p, 400, 300, 5)));
      assert.equal(broken.fallbacks, 2);
    } finally {
      await broken.release();
    }
  });
});

describe('PIXEL_THREADS', () => {
  it('follows INFERENCE_THREADS (one less, at most 3) unless set', () => {
    const threads = (env: Record<string, string>) => pipelineOptions(loadConfig(env)).pixelThreads;
    assert.equal(threads({ INFERENCE_THREADS: '1' }), 0);
    assert.equal(threads({ INFERENCE_THREADS: '2' }), 1);
    assert.equal(threads({ INFERENCE_THREADS: '16' }), 3);
    assert.equal(threads({ INFERENCE_THREADS: '2', PIXEL_THREADS: '0' }), 0);
    assert.equal(threads({ INFERENCE_THREADS: '2', PIXEL_THREADS: '4' }), 4);
  });
});
