// Edge measures for `npm run eval`: the band around a true edge, the alpha error in it, and the
// halo test (a subject composited on a strongly coloured background, cut out, put on a second
// background, compared with the true composite). Also a rank correlation.
import sharp from 'sharp';
import { boxMean } from '../../src/cutout/guided.js';

export interface Raw {
  data: Uint8Array;
  width: number;
  height: number;
}

/** Strong backgrounds: the first for the composite the model sees, the second for the result. */
export const BACKGROUNDS: readonly (readonly [number, number, number])[] = [
  [0, 255, 0],
  [255, 0, 255],
  [0, 64, 255],
  [255, 128, 0],
  [0, 255, 255],
  [255, 0, 0],
];

/** Pixels within `radius` px (a square) of the true edge: both subject and background lie that near. 1 = in the band. */
export function edgeBand(truth: Raw, radius = 10): Uint8Array {
  const { width: w, height: h, data } = truth;
  const fg = new Float32Array(w * h);
  const bg = new Float32Array(w * h);
  for (let i = 0; i < fg.length; i++) (data[i]! >= 128 ? fg : bg)[i] = 1;
  const nearFg = boxMean(fg, w, h, radius);
  const nearBg = boxMean(bg, w, h, radius);
  const band = new Uint8Array(w * h);
  for (let i = 0; i < band.length; i++) band[i] = nearFg[i]! > 1e-6 && nearBg[i]! > 1e-6 ? 1 : 0;
  return band;
}

/** Mean absolute alpha error (0..1) inside the band; null when the band is empty. */
export function boundaryError(alpha: Uint8Array, truth: Raw, band: Uint8Array): number | null {
  let sum = 0;
  let n = 0;
  for (let i = 0; i < band.length; i++) {
    if (!band[i]) continue;
    sum += Math.abs(alpha[i]! - truth.data[i]!);
    n++;
  }
  return n ? sum / n / 255 : null;
}

/** The photo's subject (alpha = the true mask) over a flat colour: packed RGB. */
export function compositeOver(photo: Raw, truth: Raw, colour: readonly number[]): Uint8Array {
  const out = new Uint8Array(truth.width * truth.height * 3);
  for (let p = 0; p < truth.data.length; p++) {
    const a = truth.data[p]! / 255;
    for (let c = 0; c < 3; c++) out[p * 3 + c] = Math.round(photo.data[p * 3 + c]! * a + colour[c]! * (1 - a));
  }
  return out;
}

/**
 * The halo: the cut-out (packed RGBA) over `colour`, against the true composite of the photo's
 * subject over the same colour; mean absolute colour error (0..255, per channel) inside the band.
 */
export function haloError(cutout: Uint8Array, photo: Raw, truth: Raw, colour: readonly number[], band: Uint8Array): number | null {
  const expected = compositeOver(photo, truth, colour);
  let sum = 0;
  let n = 0;
  for (let p = 0; p < band.length; p++) {
    if (!band[p]) continue;
    const a = cutout[p * 4 + 3]! / 255;
    for (let c = 0; c < 3; c++) sum += Math.abs(cutout[p * 4 + c]! * a + colour[c]! * (1 - a) - expected[p * 3 + c]!);
    n += 3;
  }
  return n ? sum / n : null;
}

/** Packed RGB(A) pixels of an image file. */
export async function readPixels(file: string | Buffer, channels: 3 | 4): Promise<Raw> {
  const img = sharp(file).toColourspace('srgb');
  const { data, info } = await (channels === 4 ? img.ensureAlpha() : img.removeAlpha()).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

const ranks = (xs: number[]): number[] => {
  const order = xs.map((x, i) => [x, i] as const).sort((a, b) => a[0] - b[0]);
  const r = new Array<number>(xs.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && order[j + 1]![0] === order[i]![0]) j++;
    for (let k = i; k <= j; k++) r[order[k]![1]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return r;
};

/** Spearman's rank correlation (ties get their mean rank). */
export function spearman(xs: number[], ys: number[]): number {
  const rx = ranks(xs);
  const ry = ranks(ys);
  const mean = (a: number[]) => a.reduce((s, x) => s + x, 0) / a.length;
  const mx = mean(rx);
  const my = mean(ry);
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < rx.length; i++) {
    sxy += (rx[i]! - mx) * (ry[i]! - my);
    sxx += (rx[i]! - mx) ** 2;
    syy += (ry[i]! - my) ** 2;
  }
  return sxx && syy ? sxy / Math.sqrt(sxx * syy) : 0;
}

export const mean = (a: number[]) => (a.length ? a.reduce((s, x) => s + x, 0) / a.length : 0);
