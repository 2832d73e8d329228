// Pillow's Lanczos kernel in its fixed point (src/libImaging/Resample.c): each output pixel's
// weights, normalised and quantised to 22 bits, and the rounding of a sum back to a byte. The
// passes that use them are in resample.ts.

const PRECISION_BITS = 32 - 8 - 2;
/** Added to every sum before it is shifted back: rounds it. */
export const HALF = 1 << (PRECISION_BITS - 1);
const SCALE = 1 << PRECISION_BITS;
const SUPPORT = 3;

function sinc(x: number): number {
  if (x === 0) return 1;
  const px = x * Math.PI;
  return Math.sin(px) / px;
}

function lanczos(x: number): number {
  return x >= -SUPPORT && x < SUPPORT ? sinc(x) * sinc(x / SUPPORT) : 0;
}

/** Per output pixel: the first input pixel, how many it reads, its fixed-point weights and their sum. */
export interface Coefficients {
  ksize: number;
  first: Int32Array;
  count: Int32Array;
  weights: Int32Array;
  /** Σw of each output pixel's quantised weights: a run of one value v sums to HALF + v·Σw exactly. */
  sums: Float64Array;
}

/** Pillow's precompute_coeffs + normalize_coeffs_8bpc, for the box [0, inSize). */
export function coefficients(inSize: number, outSize: number): Coefficients {
  const scale = inSize / outSize;
  const filterscale = Math.max(scale, 1);
  const support = SUPPORT * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const first = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Int32Array(outSize * ksize);
  const sums = new Float64Array(outSize);
  const k = new Float64Array(ksize);
  const ss = 1 / filterscale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const xmin = Math.max(0, Math.trunc(center - support + 0.5));
    const xmax = Math.min(inSize, Math.trunc(center + support + 0.5)) - xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const w = lanczos((x + xmin - center + 0.5) * ss);
      k[x] = w;
      ww += w;
    }
    for (let x = 0; x < xmax; x++) {
      const w = ww !== 0 ? k[x]! / ww : k[x]!;
      weights[xx * ksize + x] = Math.trunc(w < 0 ? -0.5 + w * SCALE : 0.5 + w * SCALE);
      sums[xx]! += weights[xx * ksize + x]!;
    }
    first[xx] = xmin;
    count[xx] = xmax;
  }
  return { ksize, first, count, weights, sums };
}

/** Pillow's clip8: the accumulated sum back to 0..255 (the HALF added at the start rounds it). */
export function clip8(ss: number): number {
  const v = ss >> PRECISION_BITS;
  return v < 0 ? 0 : v > 255 ? 255 : v;
}
