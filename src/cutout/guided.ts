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
 * The mean of `src` over a (2r+1)² window clipped to the image, by separable running sums
 * (O(1) per pixel whatever the radius). `out` may be given to reuse memory, and `scratch` (at
 * least as long) for the horizontal pass; neither may be `src`.
 */
export function boxMean(src: Float32Array, width: number, height: number, r: number, out?: Float32Array, scratch?: Float32Array): Float32Array {
  const n = width * height;
  const tmp = scratch && scratch.length >= n ? scratch : new Float32Array(n);
  const dst = out ?? new Float32Array(n);
  for (let y = 0; y < height; y++) horizontalMean(src, tmp, y * width, width, r);
  // Vertically, row by row: one running sum per column, kept in `acc`.
  const acc = new Float64Array(width);
  for (let y = 0; y <= Math.min(r, height - 1); y++) for (let x = 0, i = y * width; x < width; x++, i++) acc[x]! += tmp[i]!;
  for (let y = 0; y < height; y++) {
    const k = 1 / (Math.min(height - 1, y + r) - Math.max(0, y - r) + 1);
    const row = y * width;
    const add = (y + r + 1) * width;
    const sub = (y - r) * width;
    if (y + r + 1 < height && y - r >= 0) {
      for (let x = 0; x < width; x++) {
        const v = acc[x]!;
        dst[row + x] = v * k;
        acc[x] = v + tmp[add + x]! - tmp[sub + x]!;
      }
      continue;
    }
    for (let x = 0; x < width; x++) dst[row + x] = acc[x]! * k;
    if (y + r + 1 < height) for (let x = 0; x < width; x++) acc[x]! += tmp[add + x]!;
    if (y - r >= 0) for (let x = 0; x < width; x++) acc[x]! -= tmp[sub + x]!;
  }
  return dst;
}

/** One row's running mean: the clipped ends apart, so the middle is one add, one subtract, one multiply. */
function horizontalMean(src: Float32Array, dst: Float32Array, row: number, width: number, r: number): void {
  let sum = 0;
  for (let x = 0; x <= Math.min(r, width - 1); x++) sum += src[row + x]!;
  const k = 1 / (2 * r + 1);
  const lead = Math.min(width, r + 1);
  const tail = Math.max(lead, width - r - 1);
  let x = 0;
  for (; x < lead; x++) {
    dst[row + x] = sum / (Math.min(width - 1, x + r) + 1);
    if (x + r + 1 < width) sum += src[row + x + r + 1]!;
    if (x - r >= 0) sum -= src[row + x - r]!;
  }
  for (let i = row + x; x < tail; x++, i++) {
    dst[i] = sum * k;
    sum += src[i + r + 1]! - src[i - r]!;
  }
  for (; x < width; x++) {
    dst[row + x] = sum / (width - 1 - Math.max(0, x - r) + 1);
    if (x - r >= 0) sum -= src[row + x - r]!;
  }
}

/**
 * Box means of several planes of one size and radius. The pipeline passes one that shares them
 * out between threads (pixel-threads.ts); each plane's mean is computed exactly as boxMean does.
 * With `pool` (of that size), the means and any scratch plane are taken from it.
 */
export type BoxMeans = (planes: Float32Array[], width: number, height: number, r: number, pool?: FloatPool) => Promise<Float32Array[]>;

/** The pool when it holds planes of `n` values, else none. */
export const poolFor = (pool: FloatPool | undefined, n: number): FloatPool | undefined => (pool?.n === n ? pool : undefined);

/** BoxMeans on this thread. */
export const localBoxMeans: BoxMeans = async (planes, width, height, r, pool) => {
  const own = poolFor(pool, width * height);
  const scratch = own?.take() ?? new Float32Array(width * height);
  const means = planes.map((p) => boxMean(p, width, height, r, own?.take(), scratch));
  own?.give(scratch);
  return means;
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
