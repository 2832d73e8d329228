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

/** Sizes of the 4-connected regions of `on`, by a flood fill with an explicit stack. */
function largestRegion(on: Uint8Array, w: number): number {
  const seen = new Uint8Array(on.length);
  const stack = new Int32Array(on.length);
  let best = 0;
  for (let start = 0; start < on.length; start++) {
    if (!on[start] || seen[start]) continue;
    let top = 0;
    let size = 0;
    stack[top++] = start;
    seen[start] = 1;
    const visit = (q: number) => {
      if (on[q] && !seen[q]) {
        seen[q] = 1;
        stack[top++] = q;
      }
    };
    while (top > 0) {
      const p = stack[--top]!;
      size++;
      const x = p % w;
      if (x > 0) visit(p - 1);
      if (x < w - 1) visit(p + 1);
      if (p >= w) visit(p - w);
      if (p < on.length - w) visit(p + w);
    }
    if (size > best) best = size;
  }
  return best;
}

export function maskStats(mask: Uint8Array, w: number, h: number): MaskStats {
  if (mask.length !== w * h) throw new Error(`mask has ${mask.length} pixels, not ${w}×${h}`);
  const on = new Uint8Array(mask.length);
  let area = 0;
  let unsure = 0;
  for (let p = 0; p < mask.length; p++) {
    const v = mask[p]!;
    if (v >= SUBJECT) {
      on[p] = 1;
      area++;
    }
    if (v >= UNSURE_LO && v < UNSURE_HI) unsure++;
  }
  return {
    subject: area / mask.length,
    uncertain: unsure / Math.max(1, area),
    largest: area ? largestRegion(on, w) / area : 0,
  };
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
