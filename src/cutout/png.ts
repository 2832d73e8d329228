// The cut-out's PNG, compressed on every core. libvips writes a PNG with one zlib stream on one
// thread (1.0–1.4 s for a 24 MP RGBA at level 6 here); this writes the same kind of file (8-bit
// RGBA, every row with PNG's "Up" filter, at the zlib level asked for) with the rows cut into
// slices that Node's zlib compresses at once on its thread pool. Each slice starts with the
// previous slice's last 32 KB as its dictionary and all but the last end on a sync flush, so
// together they are one ordinary deflate stream that any PNG reader decodes.
import zlib from 'node:zlib';
import { ALPHA_SHIFT, pixelWords } from './words.js';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** The deflate window: what a slice may refer back to. */
const WINDOW = 32 * 1024;
/** Raw bytes per slice: at most 4 MB, at least 256 KB (the sync flushes then cost nothing measurable), so that a 1 MP photo still makes 4. */
const sliceBytes = (total: number) => Math.min(4 << 20, Math.max(256 << 10, Math.ceil(total / 4)));
/** Slices being compressed at once: the pool's threads, so that few unfiltered copies exist at a time. */
const IN_FLIGHT = 4;

/**
 * PNG bytes of packed RGBA pixels (8 bits per channel; a pixel of alpha 0 stored as 0, 0, 0, 0),
 * compressed at zlib `level` (0–9). The file is written into one buffer as large as it could ever
 * be, slice by slice as each is compressed: only the pages written become memory, and no slice
 * outlives its copy into the file (not held twice, as parts and as their concatenation).
 */
export async function encodePngRgba(rgba: Uint8Array, width: number, height: number, level: number): Promise<Buffer> {
  return new PngWriter(rgba, width, height, level).finish();
}

interface Slice {
  first: number;
  rows: number;
}

/**
 * The same file, written while the pixels are still being made: `ready(y)` says rows [0, y) are
 * final, and every slice within them is handed to zlib at once, so that compressing the top of a
 * photo on the pool overlaps finishing its bottom on this thread. `finish()` writes the rest.
 * Calls are awaited one at a time; the caller must not change a row once it said it was ready.
 */
export class PngWriter {
  private readonly stride: number;
  private readonly rowsPerSlice: number;
  private readonly slices: Slice[] = [];
  private readonly file: FileWriter;
  private readonly pending: { compressed: Promise<Buffer>; buffer: Buffer }[] = [];
  // Each slice's scanlines go into a buffer handed back once zlib is done with it (IN_FLIGHT + 1
  // at most): fresh 4 MB buffers for every slice cost page faults and, as external memory, V8
  // collections.
  private readonly free: Buffer[] = [];
  private previous: Buffer | null = null;
  /** The row above the next one, as stored (transparent pixels cleared): zeros above the first. */
  private readonly above: Uint32Array;
  /** One row's stored bytes (its differences from the row above), before they are copied after its filter byte. */
  private readonly diff: Uint32Array;
  private unaligned?: Uint32Array;
  private started = 0;
  private adler = 1;
  private busy = false;

  constructor(
    private readonly rgba: Uint8Array,
    width: number,
    private readonly height: number,
    private readonly level: number,
  ) {
    if (rgba.length !== width * height * 4) throw new Error(`expected ${width * height * 4} bytes of RGBA, got ${rgba.length}`);
    this.stride = width * 4;
    this.above = new Uint32Array(width);
    this.diff = new Uint32Array(width);
    this.rowsPerSlice = Math.max(1, Math.floor(sliceBytes(height * (this.stride + 1)) / (this.stride + 1)));
    for (let y = 0; y < height; y += this.rowsPerSlice) this.slices.push({ first: y, rows: Math.min(this.rowsPerSlice, height - y) });
    const header = Buffer.alloc(13);
    header.writeUInt32BE(width, 0);
    header.writeUInt32BE(height, 4);
    header.set([8, 6, 0, 0, 0], 8); // 8 bits, RGBA, deflate, no filtering method beyond 0, not interlaced
    this.file = new FileWriter(SIGNATURE.length + 25 + 14 + this.slices.reduce((n, sl) => n + 12 + deflateBound(sl.rows * (this.stride + 1)), 0) + 16 + 12);
    this.file.write(SIGNATURE);
    this.file.chunk('IHDR', header);
    this.file.chunk('IDAT', Buffer.from([0x78, zlibLevelFlag(level)]));
  }

  /** Rows [0, y) are final: every slice within them goes to zlib. */
  async ready(y: number): Promise<void> {
    if (this.busy) throw new Error('PngWriter: one call at a time');
    this.busy = true;
    try {
      for (let sl = this.slices[this.started]; sl && sl.first + sl.rows <= y; sl = this.slices[++this.started]) {
        if (this.pending.length >= IN_FLIGHT) await this.settle();
        const buffer = this.free.pop() ?? Buffer.allocUnsafe(this.rowsPerSlice * (this.stride + 1));
        const raw = this.scanlines(sl, buffer);
        const last = this.started === this.slices.length - 1;
        // One output chunk as large as the input: the whole slice is one task on the pool.
        const options: zlib.ZlibOptions = { level: this.level, chunkSize: raw.length + 1024, finishFlush: last ? zlib.constants.Z_FINISH : zlib.constants.Z_SYNC_FLUSH };
        if (this.previous) options.dictionary = this.previous.subarray(Math.max(0, this.previous.length - WINDOW));
        const compressed = zlibTask(zlib.deflateRaw, raw, options);
        compressed.catch(() => undefined); // awaited in turn; never an unhandled rejection meanwhile
        this.pending.push({ compressed, buffer });
        this.previous = raw; // its window is copied as the next slice's dictionary when that one starts
      }
    } finally {
      this.busy = false;
    }
  }

  /** The whole file, once every row is final. */
  async finish(): Promise<Buffer> {
    await this.ready(this.height);
    while (this.pending.length > 0) await this.settle();
    const trailer = Buffer.alloc(4);
    trailer.writeUInt32BE(this.adler >>> 0, 0);
    this.file.chunk('IDAT', trailer);
    this.file.chunk('IEND', Buffer.alloc(0));
    return this.file.bytes();
  }

  /** The oldest slice's compressed bytes into the file, its scanlines buffer back to the free list. */
  private async settle(): Promise<void> {
    const done = this.pending.shift()!;
    this.file.chunk('IDAT', await done.compressed);
    this.free.push(done.buffer);
  }

  // The scanlines of a slice: each row after its filter-type byte, 2 ("Up": every byte stored as
  // its difference from the byte above, which makes a photo's rows far more alike for zlib), and
  // every fully transparent pixel as transparent black. Colour under alpha 0 is never seen; left
  // as the photo had it, it is most of what zlib has to compress (a 24 MP cut-out, 79%
  // transparent: 25.2 MB in 634–797 ms, cleared 6.5 MB in 301–315 ms). WebP's encoder does the
  // same unless told `exact`. With the Up filter, four 24 MP cut-outs take 3.92–6.67 MB in
  // 144–232 ms of zlib at level 2, where unfiltered rows at level 6 took 6.46–10.64 MB in 347–491
  // ms (the README's table of what was tried).
  // A pixel is one 32-bit word here, the difference taken byte by byte within it. The stream's
  // Adler-32 is carried through in the same pass: a run of n zero bytes only adds n·a to its
  // second sum, so the runs where nothing changes from the row above cost almost nothing.
  private scanlines({ first, rows }: Slice, buffer: Buffer): Buffer {
    const { stride, above, diff } = this;
    const width = above.length;
    const out = buffer.subarray(0, rows * (stride + 1));
    const diffBytes = new Uint8Array(diff.buffer, 0, stride);
    let adler = this.adler;
    for (let r = 0; r < rows; r++) {
      const o = r * (stride + 1) + 1;
      const row = this.row(first + r);
      out[o - 1] = 2;
      adler = adler32(out, adler, o - 1, o);
      for (let x = 0; x < width; ) {
        const same = x;
        for (; x < width; x++) {
          let p = row[x]!;
          if ((p >>> ALPHA_SHIFT & 0xff) === 0) p = 0;
          const q = above[x]!;
          if (p !== q) break;
          diff[x] = 0;
        }
        if (x > same) adler = adlerZeros(adler, (x - same) * 4);
        const changed = x;
        for (; x < width; x++) {
          let p = row[x]!;
          if ((p >>> ALPHA_SHIFT & 0xff) === 0) p = 0;
          const q = above[x]!;
          if (p === q) break;
          above[x] = p;
          // p − q in each byte, no borrow between bytes.
          diff[x] = ((p | 0x80808080) - (q & 0x7f7f7f7f)) ^ ((p ^ ~q) & 0x80808080);
        }
        if (x > changed) adler = adler32(diffBytes, adler, changed * 4, x * 4);
      }
      out.set(diffBytes, o);
    }
    this.adler = adler;
    return out;
  }

  /** Row y's pixels as 32-bit words: a view of the pixels when they are 4-byte aligned, else a copy. */
  private row(y: number): Uint32Array {
    const { rgba, stride } = this;
    const view = pixelWords(rgba, (y * stride) / 4, stride / 4);
    if (view) return view;
    this.unaligned ??= new Uint32Array(stride / 4);
    new Uint8Array(this.unaligned.buffer).set(rgba.subarray(y * stride, (y + 1) * stride));
    return this.unaligned;
  }
}

type ZlibCall = (buf: Buffer, options: zlib.ZlibOptions, callback: (err: Error | null, out: Buffer) => void) => void;

function zlibTask(call: ZlibCall, raw: Buffer, options: zlib.ZlibOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => call(raw, options, (err, out) => (err ? reject(err) : resolve(out))));
}

/** zlib's deflateBound for the default window and memory level, plus a sync flush's marker. */
const deflateBound = (n: number) => n + (n >>> 12) + (n >>> 14) + (n >>> 25) + 13 + 6 + 5;

/** The file, written into a buffer sized for the worst case (a copy into a larger one if ever outgrown). */
class FileWriter {
  private buf: Buffer;
  private at = 0;
  constructor(bound: number) {
    this.buf = Buffer.allocUnsafe(bound);
  }
  write(data: Uint8Array): void {
    if (this.at + data.length > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.at + data.length));
      this.buf.copy(grown, 0, 0, this.at);
      this.buf = grown;
    }
    this.buf.set(data, this.at);
    this.at += data.length;
  }
  /** A chunk: its length and type, its data, the CRC of type and data (zlib.crc32: Node 20.15 and later, hence package.json's engines). */
  chunk(type: string, data: Buffer): void {
    const head = Buffer.allocUnsafe(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, 'latin1');
    const crc = Buffer.allocUnsafe(4);
    crc.writeUInt32BE(zlib.crc32(data, zlib.crc32(head.subarray(4))), 0);
    this.write(head);
    this.write(data);
    this.write(crc);
  }
  bytes(): Buffer {
    return this.buf.subarray(0, this.at);
  }
}

const ADLER_BASE = 65521;

/**
 * Adler-32 of `data` (bytes [from, to)) continuing from `start` (1 for a new stream), four bytes
 * a step, on the main thread while the pool compresses (zlib's own on the pool needed a stored
 * copy of every slice).
 */
export function adler32(data: Uint8Array, start = 1, from = 0, to = data.length): number {
  let a = start & 0xffff;
  let b = start >>> 16;
  let i = from;
  while (i < to) {
    // 5552 bytes: the most before b can pass 2^53 (it stays far below; zlib's bound for 32 bits).
    const end = Math.min(to, i + 5552);
    for (; i + 3 < end; i += 4) {
      const x0 = data[i]!, x1 = data[i + 1]!, x2 = data[i + 2]!, x3 = data[i + 3]!;
      b += 4 * a + 4 * x0 + 3 * x1 + 2 * x2 + x3;
      a += x0 + x1 + x2 + x3;
    }
    for (; i < end; i++) {
      a += data[i]!;
      b += a;
    }
    a %= ADLER_BASE;
    b %= ADLER_BASE;
  }
  return ((b << 16) | a) >>> 0;
}

/** Adler-32 continued over `n` zero bytes: the first sum stays, the second gains n times it. */
export function adlerZeros(start: number, n: number): number {
  const a = start & 0xffff;
  const b = ((start >>> 16) + (n % ADLER_BASE) * a) % ADLER_BASE;
  return ((b << 16) | a) >>> 0;
}

/** The zlib header's second byte for a level (its FLEVEL bits; the check bits make 0x78xx a multiple of 31). */
function zlibLevelFlag(level: number): number {
  if (level <= 1) return 0x01;
  if (level <= 5) return 0x5e;
  if (level === 6) return 0x9c;
  return 0xda;
}
