// How sure the mask looks, from the mask alone (the model's, at its own size): a clean subject is
// one solid region with a thin soft edge; a doubtful one is fragmented, or has a wide band of
// alpha that is neither subject nor background. No subject at all is an error (unknown_foreground).
import { UnknownForegroundError } from '../errors.js';

/** The subject is alpha ≥ this (of 255). */
const SUBJECT = 128;
/** Alpha in [UNSURE_LO, UNSURE_HI) is neither subject nor background. */
const UNSURE_LO = 16;
const UNSURE_HI = 240;
/** Below this share of the image, there is no subject (at the model's 1024 px: about 0.03%, 300 px). */
export const MIN_SUBJECT_SHARE = 3e-4;
/**
 * Above this many uncertain pixels per subject pixel, nothing stands out: the model's output is
 * min-max normalised, so a plain white or grey photo still gives a faint blob (4 to 7 uncertain
 * pixels per subject pixel); on ECSSD's 40 photos and their composites the most is 1.6.
 */
export const MAX_UNCERTAIN = 4;

export interface MaskStats {
  /** Share of the image that is subject. */
  subject: number;
  /** Uncertain pixels (alpha neither near 0 nor near 1) per pixel of subject. */
  uncertain: number;
  /** Share of the subject in its largest connected region (1 = one piece). */
  largest: number;
}

/** `a` copied into a longer array. */
function grown(a: Int32Array, length: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(length);
  b.set(a);
  return b;
}

/** The root of run `i` (path halving). */
function root(parent: Int32Array, i: number): number {
  while (parent[i] !== i) i = parent[i] = parent[parent[i]!]!;
  return i;
}

/**
 * The stats in one pass over the mask. The subject's 4-connected regions are found by runs: each
 * row's runs of subject pixels are joined (union-find) to the runs they touch in the row above,
 * so the work per pixel is one comparison, not a flood fill's visit of every neighbour.
 */
export function maskStats(mask: Uint8Array, w: number, h: number): MaskStats {
  if (mask.length !== w * h) throw new Error(`mask has ${mask.length} pixels, not ${w}×${h}`);
  // Runs: [start, end) columns, their size and their union-find parent, in 4 planes of `room`
  // (a few runs a row for a real subject; doubled when a noisy mask needs more).
  let room = Math.max(64, h * 4);
  let starts = new Int32Array(room);
  let ends = new Int32Array(room);
  let parent = new Int32Array(room);
  let size = new Int32Array(room);
  let runs = 0;
  let above = 0; // the first run of the row above
  let area = 0;
  let unsure = 0;
  for (let y = 0, p = 0; y < h; y++) {
    const first = runs;
    let k = above; // runs of the row above not yet passed
    for (let x = 0; x < w; ) {
      const v = mask[p]!;
      if (v < SUBJECT) {
        if (v >= UNSURE_LO) unsure++;
        x++;
        p++;
        continue;
      }
      const x0 = x;
      for (; x < w && mask[p]! >= SUBJECT; x++, p++) if (mask[p]! < UNSURE_HI) unsure++;
      if (runs === room) {
        room *= 2;
        [starts, ends, parent, size] = [grown(starts, room), grown(ends, room), grown(parent, room), grown(size, room)];
      }
      const id = runs++;
      starts[id] = x0;
      ends[id] = x;
      parent[id] = id;
      size[id] = x - x0;
      area += x - x0;
      // Runs above that share a column with [x0, x): skip those ending before it, join the rest.
      while (k < first && ends[k]! <= x0) k++;
      for (let j = k; j < first && starts[j]! < x; j++) {
        const a = root(parent, j);
        const b = root(parent, id);
        if (a === b) continue;
        parent[b] = a;
        size[a]! += size[b]!;
      }
    }
    above = first;
  }
  let best = 0;
  for (let i = 0; i < runs; i++) if (parent[i] === i && size[i]! > best) best = size[i]!;
  return { subject: area / mask.length, uncertain: unsure / Math.max(1, area), largest: area ? best / area : 0 };
}

/** The uncertain share at which confidence halves. */
const HALF_UNCERTAIN = 0.25;

/**
 * 0..1 from the stats: a subject with a thin soft edge (few uncertain pixels for its size) is near
 * 1; a wide uncertain band lowers it most; being in pieces lowers it a little (many real subjects
 * are in several pieces).
 */
export function confidenceOf(s: MaskStats): number {
  const edge = 1 / (1 + (s.uncertain / HALF_UNCERTAIN) ** 2);
  return Math.round(edge * s.largest ** 0.25 * 1000) / 1000;
}

/**
 * The confidence of a mask (one byte per pixel), or an UnknownForegroundError when it holds no
 * subject (less than MIN_SUBJECT_SHARE of the image, or a blob that is mostly uncertain).
 */
export function maskConfidence(mask: Uint8Array, w: number, h: number): number {
  const s = maskStats(mask, w, h);
  if (s.subject < MIN_SUBJECT_SHARE || s.uncertain > MAX_UNCERTAIN) throw new UnknownForegroundError();
  return confidenceOf(s);
}
