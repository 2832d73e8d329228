// Box means and the guided filter (He, Sun & Tang, "Guided Image Filtering", 2013) with a colour
// guide, on planar Float32Array images. Pure functions, unit-tested on small synthetic images.
import { FloatPool } from './float-pool.js';

/** An image as planes of `width` × `height` floats (values 0..1). */
export interface Planes {
  width: number;
  height: number;
  planes: Float32Array[];
}

/**
 * The mean of `src` over a (2r+1)² window clipped to the image, by running sums (O(1) per pixel
 * whatever the radius), in one pass down the image: each column's sum over the window's rows is
 * kept (doubles) and slid a row at a time, and each output row is a running sum across those. No
 * intermediate plane: 1.40 ms at 768 × 512 (any radius), where a horizontal pass into a scratch
 * plane and a vertical pass over it took 2.0 ms. `out` may be given to reuse memory; it may not be `src`.
 */
export function boxMean(src: Float32Array, width: number, height: number, r: number, out?: Float32Array): Float32Array {
  const dst = out ?? new Float32Array(width * height);
  const cols = new Float64Array(width);
  for (let y = 0; y <= Math.min(r, height - 1); y++) for (let x = 0, i = y * width; x < width; x++, i++) cols[x]! += src[i]!;
  for (let y = 0; y < height; y++) {
    meanAcross(cols, dst, y * width, width, r, 1 / (Math.min(height - 1, y + r) - Math.max(0, y - r) + 1));
    const add = (y + r + 1) * width;
    const sub = (y - r) * width;
    if (y + r + 1 < height && y - r >= 0) {
      for (let x = 0; x < width; x++) cols[x] = cols[x]! + src[add + x]! - src[sub + x]!;
      continue;
    }
    if (y + r + 1 < height) for (let x = 0; x < width; x++) cols[x]! += src[add + x]!;
    if (y - r >= 0) for (let x = 0; x < width; x++) cols[x]! -= src[sub + x]!;
  }
  return dst;
}

/**
 * One output row: the running mean across the column sums, each divided by the window's rows
 * (`perRow` = 1 / their number). The clipped ends apart, the middle is one add, one subtract and
 * one multiply a pixel, in two halves stepped side by side, each with its own running sum: two
 * independent chains of additions instead of one (this loop ~15% faster at 768 × 512).
 */
function meanAcross(cols: Float64Array, dst: Float32Array, row: number, width: number, r: number, perRow: number): void {
  let sum = 0;
  for (let x = 0; x <= Math.min(r, width - 1); x++) sum += cols[x]!;
  const lead = Math.min(width, r + 1);
  const tail = Math.max(lead, width - r - 1);
  let x = 0;
  for (; x < lead; x++) {
    dst[row + x] = (sum * perRow) / (Math.min(width - 1, x + r) + 1);
    if (x + r + 1 < width) sum += cols[x + r + 1]!;
    if (x - r >= 0) sum -= cols[x - r]!;
  }
  const k = perRow / (2 * r + 1);
  const half = (tail - x) >> 1;
  if (half > 0) {
    // The second half's window summed afresh where it starts; after the loop it is the window at x + 2·half.
    const mid = x + half;
    let second = 0;
    for (let j = mid - r; j <= mid + r; j++) second += cols[j]!;
    for (let a = x, b = mid; a < mid; a++, b++) {
      dst[row + a] = sum * k;
      dst[row + b] = second * k;
      sum += cols[a + r + 1]! - cols[a - r]!;
      second += cols[b + r + 1]! - cols[b - r]!;
    }
    x = mid + half;
    sum = second;
  }
  for (; x < tail; x++) {
    dst[row + x] = sum * k;
    sum += cols[x + r + 1]! - cols[x - r]!;
  }
  for (; x < width; x++) {
    dst[row + x] = (sum * perRow) / (width - 1 - Math.max(0, x - r) + 1);
    if (x - r >= 0) sum -= cols[x - r]!;
  }
}

/**
 * Box means of several planes of one size and radius. The pipeline passes one that shares them
 * out between threads (pixel-threads.ts); each plane's mean is computed exactly as boxMean does.
 * With `pool` (of that size), the means are taken from it.
 */
export type BoxMeans = (planes: Float32Array[], width: number, height: number, r: number, pool?: FloatPool) => Promise<Float32Array[]>;

/** The pool when it holds planes of `n` values, else none. */
export const poolFor = (pool: FloatPool | undefined, n: number): FloatPool | undefined => (pool?.n === n ? pool : undefined);

/** BoxMeans on this thread. */
export const localBoxMeans: BoxMeans = async (planes, width, height, r, pool) => {
  const own = poolFor(pool, width * height);
  return planes.map((p) => boxMean(p, width, height, r, own?.take()));
};

const product = (a: Float32Array, b: Float32Array, pool: FloatPool) => {
  const out = pool.take();
  for (let i = 0; i < a.length; i++) out[i] = a[i]! * b[i]!;
  return out;
};

/**
 * The guided filter's smoothed linear coefficients: q = A·I + B, where I is the colour guide
 * (3 planes) and A (3 planes), B (1 plane) are the box means of the per-window least-squares fit
 * of `p` against I, regularised by `eps`. Returned rather than q so that they can be computed on a
 * small copy and applied to the full-resolution guide (the "fast guided filter", He & Sun 2015).
 */
export async function guidedCoefficients(
  guide: Planes,
  p: Float32Array,
  r: number,
  eps: number,
  boxes: BoxMeans = localBoxMeans,
  given?: FloatPool,
): Promise<Planes> {
  const { width: w, height: h } = guide;
  const n = w * h;
  const pool = poolFor(given, n) ?? new FloatPool(n);
  const [ir, ig, ib] = guide.planes as [Float32Array, Float32Array, Float32Array];
  // The thirteen means in three passes: the guide and p, then the nine products in two passes,
  // each product made just before its pass and handed back after it, so that the products and
  // their shared copies (pixel-threads.ts) are alive a pass at a time, not all nine at once.
  const products = async (...pairs: [Float32Array, Float32Array][]) => {
    const planes = pairs.map(([a, b]) => product(a, b, pool));
    const means = await boxes(planes, w, h, r, pool);
    pool.give(...planes);
    return means;
  };
  const means = [
    ...(await boxes([ir, ig, ib, p], w, h, r, pool)),
    ...(await products([ir, p], [ig, p], [ib, p], [ir, ir])),
    ...(await products([ir, ig], [ir, ib], [ig, ig], [ig, ib], [ib, ib])),
  ];
  const [mr, mg, mb, mp, cr, cg, cb, vrr, vrg, vrb, vgg, vgb, vbb] = means as [
    Float32Array, Float32Array, Float32Array, Float32Array, Float32Array, Float32Array, Float32Array,
    Float32Array, Float32Array, Float32Array, Float32Array, Float32Array, Float32Array,
  ];
  const ar = pool.take();
  const ag = pool.take();
  const ab = pool.take();
  const b = pool.take();
  for (let i = 0; i < n; i++) {
    const r0 = mr[i]!, g0 = mg[i]!, b0 = mb[i]!, p0 = mp[i]!;
    const xr = cr[i]! - r0 * p0, xg = cg[i]! - g0 * p0, xb = cb[i]! - b0 * p0;
    // Σ + eps·U, symmetric 3×3, inverted by its adjugate.
    const srr = vrr[i]! - r0 * r0 + eps, srg = vrg[i]! - r0 * g0, srb = vrb[i]! - r0 * b0;
    const sgg = vgg[i]! - g0 * g0 + eps, sgb = vgb[i]! - g0 * b0, sbb = vbb[i]! - b0 * b0 + eps;
    const krr = sgg * sbb - sgb * sgb, krg = srb * sgb - srg * sbb, krb = srg * sgb - srb * sgg;
    const kgg = srr * sbb - srb * srb, kgb = srb * srg - srr * sgb, kbb = srr * sgg - srg * srg;
    const det = srr * krr + srg * krg + srb * krb;
    const inv = det > 1e-12 ? 1 / det : 0;
    const a1 = (krr * xr + krg * xg + krb * xb) * inv;
    const a2 = (krg * xr + kgg * xg + kgb * xb) * inv;
    const a3 = (krb * xr + kgb * xg + kbb * xb) * inv;
    ar[i] = a1;
    ag[i] = a2;
    ab[i] = a3;
    b[i] = p0 - a1 * r0 - a2 * g0 - a3 * b0;
  }
  pool.give(...means);
  const smoothed = await boxes([ar, ag, ab, b], w, h, r, pool);
  pool.give(ar, ag, ab, b);
  return { width: w, height: h, planes: smoothed };
}

/** The guided filter itself, at the guide's own resolution: q = A·I + B, clamped to 0..1. */
export async function guidedFilter(guide: Planes, p: Float32Array, r: number, eps: number): Promise<Float32Array> {
  const [ar, ag, ab, b] = (await guidedCoefficients(guide, p, r, eps)).planes as [Float32Array, Float32Array, Float32Array, Float32Array];
  const [ir, ig, ib] = guide.planes as [Float32Array, Float32Array, Float32Array];
  const q = new Float32Array(p.length);
  for (let i = 0; i < q.length; i++) q[i] = Math.min(1, Math.max(0, ar[i]! * ir[i]! + ag[i]! * ig[i]! + ab[i]! * ib[i]! + b[i]!));
  return q;
}
