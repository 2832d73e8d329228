// Pillow's Lanczos resampling (`Image.resize(size, Image.LANCZOS)`), bit for bit, for 8-bit pixels.
// rembg resizes the photo to the model's square and the mask back to the photo with it; libvips'
// lanczos3 differs (it upsamples with a bicubic affine and quantises its kernel), which alone cost
// up to 0.09 alpha IoU against rembg. A port of Pillow's src/libImaging/Resample.c: the kernel is
// Lanczos a=3 widened by the downscale factor (antialiasing), weights normalised per output pixel
// and quantised to 22-bit fixed point, a horizontal pass into an 8-bit intermediate (rounded and
// clamped), then a vertical pass. Only the rows the vertical pass needs are resampled horizontally.
import { clip8, coefficients, HALF, type Coefficients } from './lanczos-kernel.js';

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** A packed 8-bit image: `channels` bytes per pixel, rows without padding. */
export interface Pixels {
  data: Uint8Array;
  width: number;
  height: number;
  channels: number;
}

/**
 * Some consecutive rows of a packed image (`data` holds rows [top, top + data.length / row
 * length)): what one thread needs to make some of the output rows (resizeLanczosRows).
 */
export interface RowBand extends Pixels {
  /** The image's row that `data` starts with. */
  top: number;
}

/** Horizontal pass over rows [y0, y1) of `src`, the first `bands` channels of each pixel. */
function horizontal(src: RowBand, outWidth: number, y0: number, y1: number, bands: 1 | 3): Pixels {
  const c = coefficients(src.width, outWidth);
  const out = new Uint8Array(outWidth * (y1 - y0) * bands);
  if (bands === 1) horizontal1(src, c, y0, y1, out);
  else if (LITTLE_ENDIAN && src.channels === 4 && src.data.byteOffset % 4 === 0) horizontalRgba(src, c, y0, y1, out);
  else horizontal3(src, c, y0, y1, out);
  return { data: out, width: outWidth, height: y1 - y0, channels: bands };
}

/** horizontal for one channel; where a pixel's taps all hold one value v it is clip8(HALF + v·Σw) without the sum (the same byte). */
function horizontal1(src: RowBand, c: Coefficients, y0: number, y1: number, out: Uint8Array): void {
  const { ksize, first, count, weights, sums } = c;
  const { data, width, channels } = src;
  const outWidth = first.length;
  // runStart[x]: where the run of equal values that x is in starts, in this row.
  const runStart = new Int32Array(width);
  let o = 0;
  for (let y = y0; y < y1; y++) {
    const row = (y - src.top) * width * channels;
    for (let x = 1; x < width; x++) runStart[x] = data[row + x * channels] === data[row + (x - 1) * channels] ? runStart[x - 1]! : x;
    for (let xx = 0, kb = 0; xx < outWidth; xx++, kb += ksize) {
      const n = count[xx]!;
      const f = first[xx]!;
      if (runStart[f + n - 1]! <= f) {
        out[o++] = clip8(HALF + data[row + f * channels]! * sums[xx]!);
        continue;
      }
      let p = row + f * channels;
      let s0 = HALF;
      for (let x = 0; x < n; x++, p += channels) s0 += data[p]! * weights[kb + x]!;
      out[o++] = clip8(s0);
    }
  }
}

/** horizontal3 for RGBA, one 32-bit load per pixel (little-endian: R is the low byte). */
function horizontalRgba(src: RowBand, c: Coefficients, y0: number, y1: number, out: Uint8Array): void {
  const { ksize, first, count, weights } = c;
  const { data, width } = src;
  const px = new Uint32Array(data.buffer, data.byteOffset, data.length >> 2);
  const outWidth = first.length;
  let o = 0;
  for (let y = y0; y < y1; y++) {
    const row = (y - src.top) * width;
    for (let xx = 0, kb = 0; xx < outWidth; xx++, kb += ksize) {
      const end = kb + count[xx]!;
      let p = row + first[xx]!;
      let s0 = HALF;
      let s1 = HALF;
      let s2 = HALF;
      for (let k = kb; k < end; k++, p++) {
        const w = weights[k]!;
        const v = px[p]!;
        s0 += (v & 0xff) * w;
        s1 += ((v >>> 8) & 0xff) * w;
        s2 += ((v >>> 16) & 0xff) * w;
      }
      out[o++] = clip8(s0);
      out[o++] = clip8(s1);
      out[o++] = clip8(s2);
    }
  }
}

function horizontal3(src: RowBand, c: Coefficients, y0: number, y1: number, out: Uint8Array): void {
  const { ksize, first, count, weights } = c;
  const { data, width, channels } = src;
  const outWidth = first.length;
  let o = 0;
  for (let y = y0; y < y1; y++) {
    const row = (y - src.top) * width * channels;
    for (let xx = 0, kb = 0; xx < outWidth; xx++, kb += ksize) {
      const end = kb + count[xx]!;
      let p = row + first[xx]! * channels;
      let s0 = HALF;
      let s1 = HALF;
      let s2 = HALF;
      for (let k = kb; k < end; k++, p += channels) {
        const w = weights[k]!;
        s0 += data[p]! * w;
        s1 += data[p + 1]! * w;
        s2 += data[p + 2]! * w;
      }
      out[o++] = clip8(s0);
      out[o++] = clip8(s1);
      out[o++] = clip8(s2);
    }
  }
}

/** Output rows the vertical pass takes at a time: they share one look at which columns are flat. */
const BLOCK_ROWS = 16;
/** Flat columns this close together are summed with their neighbours (one span, not many short ones). */
const SPAN_GAP = 32;

/**
 * Vertical pass, output rows [yy0, yy1): row yy reads rows first[yy] - offset … of `src` (all its
 * channels). On one channel (a mask), a column whose source rows hold one value v for a whole
 * block of output rows is written as the sum would come out, clip8(HALF + v·Σw), without reading
 * them again: a mask is 0 or 255 almost everywhere but at the subject's edge, so most of its
 * enlargement is such columns. The other columns are summed in spans; every byte is the one the
 * full sums give.
 */
function vertical(src: Pixels, c: Coefficients, offset: number, yy0: number, yy1: number, out: Uint8Array): Uint8Array {
  const { ksize, first, count, weights } = c;
  const rowLength = src.width * src.channels;
  // Sums stay exact in doubles (they fit 32 bits, as in Pillow), in any order; two rows a step.
  const acc = new Float64Array(rowLength);
  if (src.channels !== 1) {
    // A photo (the way to the model's square) has few flat columns: looking for them cost 30%.
    for (let yy = yy0; yy < yy1; yy++) sumColumns(src.data, weights, yy * ksize, count[yy]!, (first[yy]! - offset) * rowLength, rowLength, 0, rowLength, acc, out, (yy - yy0) * rowLength);
    return out;
  }
  const lo = new Uint8Array(rowLength);
  const hi = new Uint8Array(rowLength);
  const flat = new Uint8Array(256);
  const spans: number[] = [];
  const data = src.data;
  for (let yb = yy0; yb < yy1; yb += BLOCK_ROWS) {
    const ye = Math.min(yy1, yb + BLOCK_ROWS);
    // The block's source rows (first and first + count only grow with yy): each column's range.
    const r0 = first[yb]! - offset;
    const r1 = first[ye - 1]! + count[ye - 1]! - offset;
    lo.set(data.subarray(r0 * rowLength, (r0 + 1) * rowLength));
    hi.set(lo);
    for (let r = r0 + 1; r < r1; r++) {
      for (let i = 0, j = r * rowLength; i < rowLength; i++, j++) {
        const v = data[j]!;
        if (v < lo[i]!) lo[i] = v;
        else if (v > hi[i]!) hi[i] = v;
      }
    }
    spans.length = 0;
    for (let i = 0, start = -1, last = -1; i <= rowLength; i++) {
      if (i < rowLength && lo[i] === hi[i]) continue;
      if (start >= 0 && i < rowLength && i - last <= SPAN_GAP) {
        last = i;
        continue;
      }
      if (start >= 0) spans.push(start, last + 1);
      start = i;
      last = i;
    }
    for (let yy = yb; yy < ye; yy++) {
      const kb = yy * ksize;
      const n = count[yy]!;
      const top = (first[yy]! - offset) * rowLength;
      const o = (yy - yy0) * rowLength;
      for (let v = 0; v < 256; v++) flat[v] = clip8(HALF + v * c.sums[yy]!);
      for (let i = 0; i < rowLength; i++) out[o + i] = flat[lo[i]!]!;
      for (let s = 0; s < spans.length; s += 2) sumColumns(data, weights, kb, n, top, rowLength, spans[s]!, spans[s + 1]!, acc, out, o);
    }
  }
  return out;
}

/** Output row `o`'s columns [a, b) of the vertical pass, summed over its n source rows from `top`. */
function sumColumns(data: Uint8Array, weights: Int32Array, kb: number, n: number, top: number, rowLength: number, a: number, b: number, acc: Float64Array, out: Uint8Array, o: number): void {
  acc.fill(HALF, a, b);
  let y = 0;
  for (; y + 1 < n; y += 2) {
    const w0 = weights[kb + y]!;
    const w1 = weights[kb + y + 1]!;
    const r0 = top + y * rowLength;
    const r1 = r0 + rowLength;
    for (let i = a; i < b; i++) acc[i]! += data[r0 + i]! * w0 + data[r1 + i]! * w1;
  }
  if (y < n) {
    const w = weights[kb + y]!;
    const r = top + y * rowLength;
    for (let i = a; i < b; i++) acc[i]! += data[r + i]! * w;
  }
  for (let i = a; i < b; i++) out[o + i] = clip8(acc[i]!);
}

/**
 * Resizes like Pillow's `Image.resize((outWidth, outHeight), Image.LANCZOS)` on an "L" (bands 1)
 * or "RGB" (bands 3) image: the result is packed with `bands` channels. `bands` 3 on a 4-channel
 * input reads RGB and ignores alpha, as rembg's `convert("RGB")` does.
 */
export function resizeLanczos(src: Pixels, outWidth: number, outHeight: number, bands: 1 | 3): Uint8Array {
  checkResize(src, bands);
  return resizeLanczosRows({ ...src, top: 0 }, outWidth, outHeight, bands, 0, outHeight);
}

/** What resizeLanczos refuses, however its rows are then shared out: channels it cannot read, a buffer of the wrong size. */
export function checkResize(src: Pixels, bands: 1 | 3): void {
  if (bands > src.channels) throw new Error(`cannot read ${bands} channels from a ${src.channels}-channel image`);
  if (src.data.length !== src.width * src.height * src.channels) throw new Error('pixel buffer does not match its size');
}

/**
 * The source rows [from, to) that output rows [yy0, yy1) of resizeLanczos read: a thread making
 * those rows needs only these (sourceRows → RowBand → resizeLanczosRows).
 */
export function sourceRows(inHeight: number, outHeight: number, yy0: number, yy1: number): { from: number; to: number } {
  return rowsRead(outHeight === inHeight ? null : coefficients(inHeight, outHeight), yy0, yy1);
}

/** sourceRows from the vertical pass's coefficients (null: no vertical pass, each row reads itself). */
function rowsRead(vert: Coefficients | null, yy0: number, yy1: number): { from: number; to: number } {
  if (!vert) return { from: yy0, to: yy1 };
  return { from: vert.first[yy0]!, to: vert.first[yy1 - 1]! + vert.count[yy1 - 1]! };
}

/**
 * Output rows [yy0, yy1) of resizeLanczos(src, …), from a band holding at least the source rows
 * they read (sourceRows): the same bytes as those rows of the whole resize, so threads can each
 * make some rows of one image. Written into `out` (just those rows) when given, else returned new.
 */
export function resizeLanczosRows(src: RowBand, outWidth: number, outHeight: number, bands: 1 | 3, yy0: number, yy1: number, out?: Uint8Array): Uint8Array {
  // The vertical pass's coefficients, made once: they also say which source rows are read.
  const vert = outHeight !== src.height ? coefficients(src.height, outHeight) : null;
  const { from: y0, to: y1 } = rowsRead(vert, yy0, yy1);
  if (y0 < src.top || (y1 - src.top) * src.width * src.channels > src.data.length) throw new Error('the band does not hold the rows these output rows read');
  const length = outWidth * bands * (yy1 - yy0);
  if (out && out.length !== length) throw new Error(`the output holds ${out.length} bytes, not ${length}`);
  const img: Pixels =
    outWidth !== src.width
      ? horizontal(src, outWidth, y0, y1, bands)
      : { ...pick(src, bands, y0, y1), width: src.width, height: y1 - y0, channels: bands };
  if (vert) return vertical(img, vert, y0, yy0, yy1, out ?? new Uint8Array(length));
  if (!out) return img.data;
  out.set(img.data);
  return out;
}

/** Rows [y0, y1) of the first `bands` channels, without resampling. */
function pick(src: RowBand, bands: number, y0: number, y1: number): { data: Uint8Array } {
  const { data, width, channels } = src;
  const start = (y0 - src.top) * width * channels;
  if (bands === channels) return { data: data.subarray(start, (y1 - src.top) * width * channels) };
  const out = new Uint8Array(width * (y1 - y0) * bands);
  for (let p = start, o = 0; o < out.length; p += channels) {
    for (let c = 0; c < bands; c++) out[o++] = data[p + c]!;
  }
  return { data: out };
}
