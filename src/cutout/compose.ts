// Pixel arithmetic around the model, as rembg does it (each family's mean, std and output
// handling: catalogue.ts). Pure functions on typed arrays, so they are unit-tested without the model.
import type { OutputHandling } from './catalogue.js';

/**
 * Packed RGB (HWC, uint8) → planar NCHW float32: each value divided by the image's maximum, then
 * (v - mean) / std per channel.
 */
export function toModelInput(
  rgb: Uint8Array,
  size: number,
  mean: readonly [number, number, number],
  std: readonly [number, number, number],
): Float32Array {
  const plane = size * size;
  if (rgb.length !== plane * 3) throw new Error(`expected ${plane * 3} bytes of RGB, got ${rgb.length}`);
  let max = 0;
  for (let i = 0; i < rgb.length && max < 255; i++) if (rgb[i]! > max) max = rgb[i]!;
  const scale = 1 / Math.max(max, 1e-6);
  // Each channel's 256 possible values, computed once (the same float32 values as per pixel, in
  // half the time of computing them for each of the 3 million).
  const lut = new Float32Array(3 * 256);
  for (let c = 0; c < 3; c++) {
    const m = mean[c]!;
    const s = 1 / std[c]!;
    for (let v = 0; v < 256; v++) lut[c * 256 + v] = (v * scale - m) * s;
  }
  const out = new Float32Array(plane * 3);
  for (let p = 0, j = 0; p < plane; p++, j += 3) {
    out[p] = lut[rgb[j]!]!;
    out[plane + p] = lut[256 + rgb[j + 1]!]!;
    out[2 * plane + p] = lut[512 + rgb[j + 2]!]!;
  }
  return out;
}

/**
 * The model's first output plane as a mask: min-max normalised to 0..255 (truncated, like
 * numpy's astype), after a sigmoid when the family's output is logits (BiRefNet).
 */
export function toMask(pred: Float32Array, plane: number, output: OutputHandling = 'minmax'): Uint8Array {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < plane; i++) {
    const v = pred[i]!;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const out = new Uint8Array(plane);
  // The sigmoid keeps the order: its extremes are those of the input.
  const [flo, fhi] = output === 'sigmoid' ? [sigmoid(lo), sigmoid(hi)] : [lo, hi];
  const range = fhi - flo;
  if (!(range > 0)) return out; // a flat prediction: nothing is foreground
  const k = 255 / range;
  if (output === 'sigmoid') for (let i = 0; i < plane; i++) out[i] = Math.floor((sigmoid(pred[i]!) - flo) * k);
  else for (let i = 0; i < plane; i++) out[i] = Math.floor((pred[i]! - flo) * k);
  return out;
}

const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));

/**
 * Writes the mask into the alpha channel of packed RGBA pixels, in place (pixels [from, to) only,
 * when given). Where the input already had transparency, the result keeps it: alpha = mask ×
 * original alpha.
 */
export function applyMask(rgba: Uint8Array, mask: Uint8Array, inputHadAlpha: boolean, from = 0, to = mask.length): Uint8Array {
  const n = mask.length;
  if (rgba.length !== n * 4) throw new Error(`mask has ${n} pixels, image has ${rgba.length / 4}`);
  if (inputHadAlpha) {
    for (let i = from, j = from * 4 + 3; i < to; i++, j += 4) rgba[j] = Math.round((mask[i]! * rgba[j]!) / 255);
  } else {
    for (let i = from, j = from * 4 + 3; i < to; i++, j += 4) rgba[j] = mask[i]!;
  }
  return rgba;
}
