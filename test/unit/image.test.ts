import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { inspectImage, sniffFormat } from '../../src/cutout/image.js';
import { toHttpError } from '../../src/api/http-errors.js';
import { CutoutError } from '../../src/errors.js';
import { subjectOnBackground } from '../helpers/images.js';

const rejects = (p: Promise<unknown>, status: number, code: RegExp) =>
  assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof CutoutError, String(err));
    assert.equal(toHttpError(err)?.statusCode, status);
    assert.match(err.code, code);
    assert.ok(err.message.length > 10 && /[.]$/.test(err.message), `a sentence: ${err.message}`);
    return true;
  });

describe('image validation', () => {
  it('recognises formats by their bytes, not their names', async () => {
    assert.equal(sniffFormat(await subjectOnBackground(32, 32, 'jpeg')), 'jpeg');
    assert.equal(sniffFormat(await subjectOnBackground(32, 32, 'png')), 'png');
    assert.equal(sniffFormat(await subjectOnBackground(32, 32, 'webp')), 'webp');
    assert.equal(sniffFormat(Buffer.from('GIF89a......')), 'gif');
    assert.equal(sniffFormat(Buffer.from('<html><body>hi</body></html>')), null);
    assert.equal(sniffFormat(Buffer.from('%PDF-1.7')), null);
    assert.equal(sniffFormat(Buffer.alloc(0)), null);
  });

  it('reads size after EXIF orientation', async () => {
    const rotated = await sharp(await subjectOnBackground(300, 100)).withMetadata({ orientation: 6 }).jpeg().toBuffer();
    const info = await inspectImage(rotated, 50e6);
    assert.deepEqual([info.format, info.width, info.height], ['jpeg', 100, 300]);
  });

  it('rejects empty, non-image, truncated and oversized files with clear 4xx errors', async () => {
    await rejects(inspectImage(Buffer.alloc(0), 50e6), 400, /empty/);
    await rejects(inspectImage(Buffer.from('just some text, named .png'), 50e6), 415, /unsupported/);
    const jpeg = await subjectOnBackground(400, 300, 'jpeg');
    await rejects(inspectImage(jpeg.subarray(0, Math.floor(jpeg.length * 0.6)), 50e6), 422, /truncated/);
    const png = await subjectOnBackground(400, 300, 'png');
    await rejects(inspectImage(png.subarray(0, Math.floor(png.length * 0.6)), 50e6), 422, /truncated/);
    await rejects(inspectImage(jpeg, 100 * 100), 413, /too_large/);
  });

  it('rejects a header claiming 60000x60000 pixels without decoding it', async () => {
    const png = Buffer.from(await subjectOnBackground(8, 8, 'png'));
    png.writeUInt32BE(60000, 16); // IHDR width
    png.writeUInt32BE(60000, 20); // IHDR height
    png.writeUInt32BE(crc32(png.subarray(12, 29)), 29); // a valid chunk checksum: a real bomb has one
    await rejects(inspectImage(png, 50e6), 413, /too_large/);
  });
});
