// The parallel PNG writer (src/cutout/png.ts): its files decode, by sharp and by a strict reader of
// our own (chunk CRCs and zlib's Adler-32 checked), to exactly the pixels given, across sizes that
// make one slice or many, odd widths, pixels that are not 4-byte aligned, and every compression
// level's header.
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { adler32, adlerZeros, encodePngRgba, PngWriter } from '../../src/cutout/png.js';

/** Pixels with structure (gradients, a hard edge, transparency) and some noise, deterministic. */
function pixels(width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height * 4);
  let seed = width * 31 + height;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      const i = (y * width + x) * 4;
      out[i] = (x * 255) / Math.max(1, width - 1);
      out[i + 1] = (y * 255) / Math.max(1, height - 1);
      out[i + 2] = (seed >>> 24) & 0xff;
      out[i + 3] = x < width / 3 ? 0 : x < width / 2 ? (seed >>> 16) & 0xff : 255;
    }
  }
  return out;
}

/** What the file holds: the pixels with the colour of every fully transparent one cleared to 0. */
function stored(rgba: Uint8Array): Buffer {
  const out = Buffer.from(rgba);
  for (let i = 0; i < out.length; i += 4) if (out[i + 3] === 0) out.fill(0, i, i + 3);
  return out;
}

/** Reads a PNG as the specification says, checking every CRC and the zlib stream's checksum. */
function strictRead(png: Buffer): { width: number; height: number; rgba: Buffer; chunks: string[] } {
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const chunks: string[] = [];
  const idat: Buffer[] = [];
  let width = 0;
  let height = 0;
  for (let o = 8; o < png.length; ) {
    const n = png.readUInt32BE(o);
    const type = png.toString('latin1', o + 4, o + 8);
    const data = png.subarray(o + 8, o + 8 + n);
    assert.equal(png.readUInt32BE(o + 8 + n), zlib.crc32(png.subarray(o + 4, o + 8 + n)), `CRC of ${type}`);
    chunks.push(type);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      assert.deepEqual([...data.subarray(8)], [8, 6, 0, 0, 0]);
    }
    if (type === 'IDAT') idat.push(data);
    o += 12 + n;
  }
  const scanlines = zlib.inflateSync(Buffer.concat(idat)); // throws on a wrong Adler-32
  const stride = width * 4;
  assert.equal(scanlines.length, height * (stride + 1));
  const rgba = Buffer.alloc(height * stride);
  for (let y = 0; y < height; y++) {
    assert.equal(scanlines[y * (stride + 1)], 2, 'filter type Up');
    for (let x = 0; x < stride; x++) rgba[y * stride + x] = (scanlines[y * (stride + 1) + 1 + x]! + (y > 0 ? rgba[(y - 1) * stride + x]! : 0)) & 0xff;
  }
  return { width, height, rgba, chunks };
}

describe('encodePngRgba', () => {
  for (const [width, height] of [[1, 1], [7, 3], [1189, 841], [2101, 2099]] as const) {
    it(`${width}×${height}: sharp and a strict reader get the very pixels back (transparent ones as transparent black)`, async () => {
      const given = pixels(width, height);
      const rgba = stored(given);
      const png = await encodePngRgba(given, width, height, 6);
      assert.ok(Buffer.from(given).equals(Buffer.from(pixels(width, height))), 'the caller\'s pixels are left as they were');
      const strict = strictRead(png);
      assert.equal(strict.chunks[0], 'IHDR');
      assert.equal(strict.chunks.at(-1), 'IEND');
      assert.deepEqual([strict.width, strict.height], [width, height]);
      assert.ok(strict.rgba.equals(rgba), 'strict reader: same pixels');
      const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
      assert.deepEqual([info.width, info.height, info.channels], [width, height, 4]);
      assert.ok(data.equals(rgba), 'sharp: same pixels');
    });
  }

  it('writes a valid stream at every level, compressed above level 0', async () => {
    const rgba = stored(pixels(640, 480));
    const sizes: number[] = [];
    for (const level of [0, 1, 4, 6, 9]) {
      const png = await encodePngRgba(rgba, 640, 480, level);
      assert.ok(strictRead(png).rgba.equals(rgba), `level ${level}`);
      sizes.push(png.length);
    }
    assert.ok(sizes.slice(1).every((s) => s < sizes[0]! * 0.9), `level 0 stores, the others compress: ${sizes.join(', ')}`);
  });

  it('writes the same file when told of its rows a few at a time as when given them all, rows not yet final left unread', async () => {
    const [width, height] = [2101, 2099]; // five slices
    const given = pixels(width, height);
    const whole = await encodePngRgba(given, width, height, 6);
    // The rows arrive as a refinement would finish them: below the rows told, they are still noise.
    const growing = new Uint8Array(given.length).fill(77);
    const writer = new PngWriter(growing, width, height, 6);
    for (let y = 0; y < height; ) {
      const next = Math.min(height, y + 37);
      growing.set(given.subarray(y * width * 4, next * width * 4), y * width * 4);
      await writer.ready(next);
      y = next;
    }
    const streamed = await writer.finish();
    assert.ok(streamed.equals(whole), 'identical files');
    const busy = new PngWriter(given, width, height, 6);
    const first = busy.ready(height);
    await assert.rejects(busy.ready(height), /one call at a time/);
    await first;
    assert.ok((await busy.finish()).equals(whole));
  });

  it('reads pixels that do not start on a 4-byte boundary', async () => {
    const [width, height] = [301, 203];
    const given = pixels(width, height);
    const backing = new Uint8Array(given.length + 3);
    const shifted = backing.subarray(3);
    shifted.set(given);
    const png = await encodePngRgba(shifted, width, height, 6);
    assert.ok(strictRead(png).rgba.equals(stored(given)));
    assert.ok(png.equals(await encodePngRgba(given, width, height, 6)), 'the same file as from aligned pixels');
  });

  it("stores a photo's smooth colours in far fewer bytes than unfiltered rows (libvips' adaptiveFiltering: false)", async () => {
    const [width, height] = [640, 480];
    const rgba = new Uint8Array(width * height * 4);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) rgba.set([(x * 3 + y) % 256, (y * 2 + (x >> 2)) % 256, (x + y) >> 3, x < 100 ? 0 : 255], (y * width + x) * 4);
    }
    const ours = await encodePngRgba(rgba, width, height, 6);
    const unfiltered = await sharp(stored(rgba), { raw: { width, height, channels: 4 } }).png({ compressionLevel: 6, adaptiveFiltering: false }).toBuffer();
    assert.ok(strictRead(ours).rgba.equals(stored(rgba)));
    assert.ok(ours.length < unfiltered.length * 0.5, `${ours.length} bytes vs ${unfiltered.length} unfiltered`);
  });

  it('refuses a buffer that is not width × height RGBA', async () => {
    await assert.rejects(encodePngRgba(new Uint8Array(10), 2, 2, 6), /expected 16 bytes/);
  });

  it("computes Adler-32 as zlib does, whole or continued across any cut", () => {
    const zlibAdler = (b: Uint8Array) => {
      const stored = zlib.deflateSync(b, { level: 0 });
      return stored.readUInt32BE(stored.length - 4);
    };
    const whole = Buffer.from(pixels(300, 200));
    whole.fill(255, 1000, 60_000); // long runs of the largest byte: the sums' worst case
    assert.equal(adler32(whole), zlibAdler(whole));
    assert.equal(adler32(new Uint8Array(0)), 1);
    for (const cut of [1, 3, 5551, 5552, 100_001, whole.length - 1]) {
      assert.equal(adler32(whole.subarray(cut), adler32(whole.subarray(0, cut))), zlibAdler(whole), `cut at ${cut}`);
      assert.equal(adler32(whole, adler32(whole, 1, 0, cut), cut), zlibAdler(whole), `range cut at ${cut}`);
    }
    // Runs of zeros skipped by their length alone, short and longer than the modulus.
    for (const n of [1, 7, 5552, 65521, 200_000]) {
      const zeros = Buffer.concat([whole.subarray(0, 999), Buffer.alloc(n), whole.subarray(999, 2000)]);
      const skipped = adler32(zeros, adlerZeros(adler32(zeros, 1, 0, 999), n), 999 + n);
      assert.equal(skipped, zlibAdler(zeros), `${n} zeros`);
    }
  });
});
