// The model's square (scale.ts): Pillow's Lanczos exactly up to LARGE_PHOTO_PIXELS, libvips' past
// it, and for large photos straight from the file (shrink-on-load, EXIF orientation applied).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { InvalidImageError } from '../../src/errors.js';
import { resizeLanczos } from '../../src/cutout/resample.js';
import { LARGE_PHOTO_PIXELS, modelSquareFromFile, toModelSquare } from '../../src/cutout/scale.js';
import { decode } from '../../src/cutout/stages.js';

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

  it('straight from a large JPEG (stored turned, EXIF orientation 6): the decoded photo’s square within a few levels', async () => {
    const upright = picture(3600, 2400);
    assert.ok(upright.width * upright.height > LARGE_PHOTO_PIXELS);
    // Stored turned a quarter anticlockwise, with the orientation that turns it back.
    const file = await sharp(upright.rgba, { raw: { width: 3600, height: 2400, channels: 4 } })
      .removeAlpha()
      .rotate(270)
      .withMetadata({ orientation: 6 })
      .jpeg({ quality: 95 })
      .toBuffer();
    const direct = await modelSquareFromFile(file, 256, 50_000_000);
    assert.ok(direct, 'a large photo gets its square from the file');
    assert.deepEqual([direct.width, direct.height], [3600, 2400], 'the size it shows, upright');
    const viaDecode = await toModelSquare(await decode(file, 50_000_000), 256);
    let sum = 0;
    for (let i = 0; i < viaDecode.length; i++) sum += Math.abs(direct.rgb[i]! - viaDecode[i]!);
    assert.ok(sum / viaDecode.length < 3, `mean difference ${sum / viaDecode.length} levels`);
    // Upright: the disc's red is in the middle, the green gradient runs top to bottom.
    const at = (x: number, y: number, c: number) => direct.rgb[(y * 256 + x) * 3 + c]!;
    assert.ok(at(128, 128, 0) > 180 && at(128, 128, 1) < 90, 'the disc in the middle');
    assert.ok(at(10, 250, 1) - at(10, 5, 1) > 150, 'green grows downwards');
  });

  it('leaves photos up to the limit to the exact path, and names a damaged file', async () => {
    const small = await sharp({ create: { width: 1200, height: 800, channels: 3, background: '#808080' } }).jpeg().toBuffer();
    assert.equal(await modelSquareFromFile(small, 256, 50_000_000), null);
    await assert.rejects(modelSquareFromFile(Buffer.from('not an image at all'), 256, 50_000_000), InvalidImageError);
  });
});
