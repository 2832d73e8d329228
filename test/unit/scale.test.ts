// The model's square (scale.ts): Pillow's Lanczos exactly up to LARGE_PHOTO_PIXELS, libvips' past it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resizeLanczos } from '../../src/cutout/resample.js';
import { LARGE_PHOTO_PIXELS, toModelSquare } from '../../src/cutout/scale.js';

/** A photo-like RGBA picture: smooth gradients and a hard-edged disc. */
function picture(width: number, height: number) {
  const rgba = new Uint8Array(width * height * 4);
  for (let y = 0, j = 0; y < height; y++) {
    for (let x = 0; x < width; x++, j += 4) {
      const inDisc = (x - width / 2) ** 2 + (y - height / 2) ** 2 < (height / 3) ** 2;
      rgba[j] = inDisc ? 220 : (x * 255) / width;
      rgba[j + 1] = inDisc ? 40 : (y * 255) / height;
      rgba[j + 2] = (x + y) % 256;
      rgba[j + 3] = 255;
    }
  }
  return { rgba, width, height, hasAlpha: false };
}

describe('model square', () => {
  it('is rembg’s exact Lanczos up to the large-photo limit', async () => {
    const d = picture(1600, 1200);
    assert.ok(d.width * d.height <= LARGE_PHOTO_PIXELS);
    assert.deepEqual(await toModelSquare(d, 256), resizeLanczos({ data: d.rgba, width: d.width, height: d.height, channels: 4 }, 256, 256, 3));
  });

  it('past the limit, is libvips’ Lanczos: the same picture within a few levels', async () => {
    const d = picture(3600, 2400);
    assert.ok(d.width * d.height > LARGE_PHOTO_PIXELS);
    const fast = await toModelSquare(d, 256);
    const exact = resizeLanczos({ data: d.rgba, width: d.width, height: d.height, channels: 4 }, 256, 256, 3);
    assert.equal(fast.length, exact.length);
    let sum = 0;
    let differ = 0;
    for (let i = 0; i < fast.length; i++) {
      sum += Math.abs(fast[i]! - exact[i]!);
      if (fast[i] !== exact[i]) differ++;
    }
    assert.ok(differ > 0, 'a different resampler: not bit for bit');
    assert.ok(sum / fast.length < 2, `mean difference ${sum / fast.length} levels`);
  });
});
