// Foreground colour estimation by blur fusion (Forte & Pitié, "Approximate Fast Foreground Colour
// Estimation", ICIP 2021; the method Photoroom publishes as fast foreground estimation): the
// subject's colour F and the background's B are estimated as alpha-weighted box blurs, at a large
// radius and then a small one, and each edge pixel's colour is corrected so that
// α·F + (1 − α)·B explains what the camera saw. Pure functions on planar floats (0..1).
import { FloatPool } from './float-pool.js';
import { localBoxMeans, poolFor, type BoxMeans, type Planes } from './guided.js';

/** The blurred estimates of F and B after the two passes: 3 planes each. */
export interface ForegroundEstimate {
  width: number;
  height: number;
  f: Float32Array[];
  b: Float32Array[];
}

/** One pass: alpha-weighted blurs of F and B; returns the corrected F and the blurred F and B (planes of `pool`). */
async function pass(image: Planes, f: Float32Array[], b: Float32Array[], alpha: Float32Array, r: number, boxes: BoxMeans, pool: FloatPool) {
  const { width: w, height: h } = image;
  const n = w * h;
  // Channel c's weighted planes, F·α and B·(1 − α), boxed (after `extra`) and handed back: a
  // channel at a time, so that they and their shared copies (pixel-threads.ts) are alive for one
  // pass, not all six at once.
  const boxWeighted = async (c: number, extra: Float32Array[] = []): Promise<Float32Array[]> => {
    const fc = f[c]!;
    const bc = b[c]!;
    const fa = pool.take();
    const bna = pool.take();
    for (let i = 0; i < n; i++) {
      fa[i] = fc[i]! * alpha[i]!;
      bna[i] = bc[i]! * (1 - alpha[i]!);
    }
    const means = await boxes([...extra, fa, bna], w, h, r, pool);
    pool.give(fa, bna);
    return means;
  };
  // α's mean with the first channel's.
  const [ba, ...blurred] = (await boxWeighted(0, [alpha])) as [Float32Array, ...Float32Array[]];
  for (let c = 1; c < 3; c++) blurred.push(...(await boxWeighted(c)));
  const fOut: Float32Array[] = [];
  const fBlur: Float32Array[] = [];
  const bBlur: Float32Array[] = [];
  for (let c = 0; c < 3; c++) {
    const img = image.planes[c]!;
    const bf = blurred[2 * c]!;
    const bb = blurred[2 * c + 1]!;
    const out = pool.take();
    for (let i = 0; i < n; i++) {
      const fb = (bf[i] = bf[i]! / (ba[i]! + 1e-5));
      const bk = (bb[i] = bb[i]! / (1 - ba[i]! + 1e-5));
      const a = alpha[i]!;
      out[i] = Math.min(1, Math.max(0, fb + a * (img[i]! - a * fb - (1 - a) * bk)));
    }
    fOut.push(out);
    fBlur.push(bf);
    bBlur.push(bb);
  }
  pool.give(ba);
  return { f: fOut, fBlur, bBlur };
}

/**
 * The two-pass blur-fusion estimate (radii: `large`, then `small`). Apply it per pixel with
 * `foregroundAt`: F = F̄ + α(I − αF̄ − (1 − α)B̄), which may use a full-resolution I and α.
 */
export async function estimateForeground(
  image: Planes,
  alpha: Float32Array,
  large: number,
  small: number,
  boxes: BoxMeans = localBoxMeans,
  given?: FloatPool,
): Promise<ForegroundEstimate> {
  const pool = poolFor(given, image.width * image.height) ?? new FloatPool(image.width * image.height);
  const first = await pass(image, image.planes, image.planes, alpha, large, boxes, pool);
  const second = await pass(image, first.f, first.bBlur, alpha, small, boxes, pool);
  pool.give(...first.f, ...first.fBlur, ...first.bBlur, ...second.f);
  return { width: image.width, height: image.height, f: second.fBlur, b: second.bBlur };
}

/** The corrected foreground colour (0..1) of one channel, from the pixel's colour, its alpha and the blurred F and B there. */
export const foregroundAt = (i: number, a: number, fb: number, bb: number): number =>
  Math.min(1, Math.max(0, fb + a * (i - a * fb - (1 - a) * bb)));
