// Hostile and odd files, generated (never downloaded): each with what the service must do.
// `npm run corpus` writes them to test-output/corpus for a look or a manual curl.
import { randomBytes } from 'node:crypto';
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';

export type Expect =
  | { kind: 'reject'; status: number } // a 4xx at upload
  | { kind: 'works'; width: number; height: number } // a correct cutout of this size
  | { kind: 'reject-or-fail' } // a 4xx at upload or a failed job, with a readable message
  | { kind: 'no-subject' }; // accepted, then failed with unknown_foreground: there is nothing to cut out

export interface CorpusFile {
  name: string;
  bytes: Buffer;
  expect: Expect;
}

const scene = (w: number, h: number) =>
  sharp(
    Buffer.from(
      `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}"><rect width="100%" height="100%" fill="#e8ecf2"/>` +
        `<ellipse cx="${w / 2}" cy="${h / 2}" rx="${w / 4}" ry="${h / 3}" fill="#2f6f3e"/></svg>`,
    ),
  );

/** A PNG with one chunk's checksum broken. */
function breakPngCrc(png: Buffer): Buffer {
  const out = Buffer.from(png);
  const idat = out.indexOf('IDAT', 0, 'latin1');
  const len = out.readUInt32BE(idat - 4);
  out.writeUInt32BE((out.readUInt32BE(idat + 4 + len) ^ 0xdeadbeef) >>> 0, idat + 4 + len);
  return out;
}

/** A JPEG whose frame header claims width x height (the data stays small). */
function claimJpegSize(jpeg: Buffer, width: number, height: number): Buffer {
  const out = Buffer.from(jpeg);
  for (let i = 2; i < out.length - 9; ) {
    if (out[i] !== 0xff) break;
    const marker = out[i + 1]!;
    const len = out.readUInt16BE(i + 2);
    if (marker >= 0xc0 && marker <= 0xc2) {
      out.writeUInt16BE(height, i + 5);
      out.writeUInt16BE(width, i + 7);
      return out;
    }
    i += 2 + len;
  }
  throw new Error('no SOF marker');
}

/** A minimal valid ZIP (one stored empty file). */
function tinyZip(): Buffer {
  const name = Buffer.from('a.txt');
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(name.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(name.length, 28);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(46 + name.length, 12);
  end.writeUInt32LE(30 + name.length, 16);
  return Buffer.concat([local, name, central, name, end]);
}

/** A 16-bit RGB PNG written by hand (sharp would down-convert). */
function png16(w: number, h: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(td));
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 16; // bit depth
  ihdr[9] = 2; // RGB
  const rows: Buffer[] = [];
  for (let y = 0; y < h; y++) {
    const row = Buffer.alloc(1 + w * 6);
    for (let x = 0; x < w; x++) {
      const inside = (x - w / 2) ** 2 / (w / 4) ** 2 + (y - h / 2) ** 2 / (h / 3) ** 2 < 1;
      const [r, g, b] = inside ? [0x2f2f, 0x6f6f, 0x3e3e] : [0xe8e8, 0xecec, 0xf2f2];
      row.writeUInt16BE(r, 1 + x * 6);
      row.writeUInt16BE(g, 3 + x * 6);
      row.writeUInt16BE(b, 5 + x * 6);
    }
    rows.push(row);
  }
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([sig, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.concat(rows))), chunk('IEND', Buffer.alloc(0))]);
}

export async function hostileCorpus(maxUploadBytes: number): Promise<CorpusFile[]> {
  const W = 240;
  const H = 160;
  const jpeg = await scene(W, H).jpeg().toBuffer();
  const png = await scene(W, H).png().toBuffer();
  const files: CorpusFile[] = [
    { name: 'zero-bytes.png', bytes: Buffer.alloc(0), expect: { kind: 'reject', status: 400 } },
    { name: 'random.jpg', bytes: randomBytes(4096), expect: { kind: 'reject', status: 415 } },
    { name: 'text.png', bytes: Buffer.from('Hello, this is plain text.\n'), expect: { kind: 'reject', status: 415 } },
    { name: 'page.png', bytes: Buffer.from('<!doctype html><html><body><img src=x onerror=alert(1)></body></html>'), expect: { kind: 'reject', status: 415 } },
    { name: 'vector.png', bytes: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'), expect: { kind: 'reject', status: 415 } },
    { name: 'data.png', bytes: Buffer.from('{"not":"an image"}'), expect: { kind: 'reject', status: 415 } },
    { name: 'document.pdf', bytes: Buffer.from('%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n'), expect: { kind: 'reject', status: 415 } },
    { name: 'archive.zip', bytes: tinyZip(), expect: { kind: 'reject', status: 415 } },
    { name: 'truncated.jpg', bytes: jpeg.subarray(0, Math.floor(jpeg.length * 0.6)), expect: { kind: 'reject', status: 422 } },
    { name: 'truncated.png', bytes: png.subarray(0, Math.floor(png.length * 0.6)), expect: { kind: 'reject', status: 422 } },
    { name: 'bad-crc.png', bytes: breakPngCrc(png), expect: { kind: 'reject-or-fail' } },
    { name: 'bomb-60000x60000.jpg', bytes: claimJpegSize(jpeg, 60000, 60000), expect: { kind: 'reject', status: 413 } },
    { name: 'over-limit.jpg', bytes: Buffer.concat([jpeg, randomBytes(maxUploadBytes)]), expect: { kind: 'reject', status: 413 } },
    // odd but real: these must work
    // one flat pixel: a real image, but no subject in it (remove.bg answers unknown_foreground too)
    { name: 'one-pixel.png', bytes: await sharp({ create: { width: 1, height: 1, channels: 3, background: '#123456' } }).png().toBuffer(), expect: { kind: 'no-subject' } },
    { name: 'strip-10000x100.jpg', bytes: await scene(10000, 100).jpeg().toBuffer(), expect: { kind: 'works', width: 10000, height: 100 } },
    { name: 'grayscale.jpg', bytes: await scene(W, H).grayscale().jpeg().toBuffer(), expect: { kind: 'works', width: W, height: H } },
    { name: 'cmyk.jpg', bytes: await scene(W, H).toColourspace('cmyk').jpeg().toBuffer(), expect: { kind: 'works', width: W, height: H } },
    { name: '16-bit.png', bytes: png16(W, H), expect: { kind: 'works', width: W, height: H } },
    { name: 'alpha.png', bytes: await scene(W, H).ensureAlpha(0.6).png().toBuffer(), expect: { kind: 'works', width: W, height: H } },
    { name: 'palette.png', bytes: await scene(W, H).png({ palette: true, colours: 16 }).toBuffer(), expect: { kind: 'works', width: W, height: H } },
    { name: 'progressive.jpg', bytes: await scene(W, H).jpeg({ progressive: true }).toBuffer(), expect: { kind: 'works', width: W, height: H } },
    { name: 'image.webp', bytes: await scene(W, H).webp().toBuffer(), expect: { kind: 'works', width: W, height: H } },
    { name: 'image.avif', bytes: await scene(W, H).avif({ effort: 0 }).toBuffer(), expect: { kind: 'works', width: W, height: H } },
    { name: 'image.tiff', bytes: await scene(W, H).tiff().toBuffer(), expect: { kind: 'works', width: W, height: H } },
    {
      name: 'animated.gif',
      bytes: await sharp([await scene(W, H).png().toBuffer(), await scene(W, H).negate().png().toBuffer()], { join: { animated: true } }).gif().toBuffer(),
      expect: { kind: 'works', width: W, height: H },
    },
  ];
  for (let o = 1; o <= 8; o++) {
    const bytes = await scene(W, H).jpeg().withMetadata({ orientation: o }).toBuffer();
    files.push({ name: `exif-orientation-${o}.jpg`, bytes, expect: { kind: 'works', width: o >= 5 ? H : W, height: o >= 5 ? W : H } });
  }
  return files;
}
