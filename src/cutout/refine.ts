// `refine=fast`: the model's mask, enlarged to the photo's size, is snapped to the photo's own
// edges by a guided filter, and the edge pixels get the subject's colour instead of a mix with
// the old background (blur-fusion foreground estimation). The filter is fitted on a copy at most
// `workSide` (768) pixels long and applied to the full-resolution photo ("fast guided filter", He &
// Sun 2015), and only in the uncertain band around the edge: flat regions (alpha 0 or 1 all
// around) are never touched. At 12 MP a 768 px copy instead of 1024 px halves the cost and moves
// alpha in the band by 0.4/255 on average (at most 64/255 nowhere); photos up to 768 px (ECSSD's)
// are filtered at their own size.
import { estimateForeground, foregroundAt } from './foreground.js';
import { FloatPool } from './float-pool.js';
import { boxMean, guidedCoefficients, localBoxMeans, type BoxMeans, type Planes } from './guided.js';
import { LITTLE_ENDIAN, pixelWords } from './words.js';

export interface RefineParams {
  /** The long side of the working copy, in pixels. */
  workSide: number;
  /** Guided filter radius, as a share of the working copy's long side (at least 2 px). */
  radius: number;
  /** Guided filter regularisation (colours on 0..1): larger = smoother, closer to the mask. */
  eps: number;
  /** Alpha within (edge, 1 − edge) is uncertain; the band is that, widened by the radius. */
  edge: number;
  /** Blur-fusion radii, as shares of the working copy's long side. */
  large: number;
  small: number;
  /** Contrast of the refined alpha around 0.5 (1 = as filtered). */
  gain: number;
  /** Estimate the foreground colour of edge pixels. */
  colour: boolean;
}

export const REFINE_DEFAULTS: RefineParams = { workSide: 768, radius: 0.008, eps: 3e-3, edge: 0.02, large: 0.044, small: 0.003, gain: 2, colour: true };

/** A working copy: the photo's RGB and the mask, averaged over s × s blocks. */
function shrink(rgba: Uint8Array, mask: Uint8Array, width: number, height: number, s: number): { guide: Planes; alpha: Float32Array } {
  const w = Math.ceil(width / s);
  const h = Math.ceil(height / s);
  const planes = [new Float32Array(w * h), new Float32Array(w * h), new Float32Array(w * h)] as const;
  const alpha = new Float32Array(w * h);
  // Integer sums of one row of cells, over its s rows of pixels: each pixel row is summed cell by
  // cell in locals, then added to the cell's sums once (half the time of adding every pixel to them).
  const sums = new Uint32Array(w * 4);
  // Red and blue summed together from each pixel's 32-bit word (one load, not three): a cell's
  // s values of 255 at most stay below bit 16, so they never reach each other.
  const words = LITTLE_ENDIAN && s <= 256 ? pixelWords(rgba) : null;
  for (let cy = 0; cy < h; cy++) {
    sums.fill(0);
    const y1 = Math.min(height, (cy + 1) * s);
    for (let y = cy * s; y < y1; y++) {
      if (words) {
        for (let cx = 0, x = 0, p = y * width; cx < w; cx++) {
          const xe = Math.min(width, x + s);
          let rb = 0;
          let g = 0;
          let a = 0;
          for (; x < xe; x++, p++) {
            const v = words[p]!;
            rb += v & 0xff00ff;
            g += (v >>> 8) & 0xff;
            a += mask[p]!;
          }
          sums[cx * 4]! += rb & 0xffff;
          sums[cx * 4 + 1]! += g;
          sums[cx * 4 + 2]! += rb >>> 16;
          sums[cx * 4 + 3]! += a;
        }
        continue;
      }
      for (let cx = 0, x = 0, p = y * width, j = p * 4; cx < w; cx++) {
        const xe = Math.min(width, x + s);
        let r = 0;
        let g = 0;
        let b = 0;
        let a = 0;
        for (; x < xe; x++, p++, j += 4) {
          r += rgba[j]!;
          g += rgba[j + 1]!;
          b += rgba[j + 2]!;
          a += mask[p]!;
        }
        sums[cx * 4]! += r;
        sums[cx * 4 + 1]! += g;
        sums[cx * 4 + 2]! += b;
        sums[cx * 4 + 3]! += a;
      }
    }
    const bh = y1 - cy * s;
    for (let cx = 0; cx < w; cx++) {
      const i = cy * w + cx;
      const k = 1 / (255 * bh * (Math.min(width, (cx + 1) * s) - cx * s));
      planes[0][i] = sums[cx * 4]! * k;
      planes[1][i] = sums[cx * 4 + 1]! * k;
      planes[2][i] = sums[cx * 4 + 2]! * k;
      alpha[i] = sums[cx * 4 + 3]! * k;
    }
  }
  return { guide: { width: w, height: h, planes: [...planes] }, alpha };
}

/** The band on the working copy: uncertain alpha, widened by r. 1 = in the band. */
function uncertainBand(alpha: Float32Array, w: number, h: number, r: number, edge: number, pool: FloatPool): Uint8Array | null {
  const u = pool.take();
  let any = false;
  for (let i = 0; i < alpha.length; i++) {
    const uncertain = alpha[i]! > edge && alpha[i]! < 1 - edge;
    u[i] = uncertain ? 1 : 0;
    any ||= uncertain;
  }
  let band: Uint8Array | null = null;
  if (any) {
    const wide = boxMean(u, w, h, r, pool.take());
    band = new Uint8Array(alpha.length);
    for (let i = 0; i < band.length; i++) band[i] = wide[i]! > 1e-6 ? 1 : 0;
    pool.give(wide);
  }
  pool.give(u);
  return band;
}

/**
 * Refines `mask` (alpha, one byte per pixel, the photo's size) in place and writes the estimated
 * foreground colour into `rgba`'s RGB where the refined alpha is partial. Returns the number of
 * pixels it looked at (the band), 0 when the mask has no uncertain edge.
 */
export async function refineEdges(
  rgba: Uint8Array,
  mask: Uint8Array,
  width: number,
  height: number,
  params: RefineParams = REFINE_DEFAULTS,
  boxes: BoxMeans = localBoxMeans,
  rowsDone?: RowsDone,
): Promise<number> {
  const s = Math.max(1, Math.ceil(Math.max(width, height) / params.workSide));
  const { guide, alpha } = shrink(rgba, mask, width, height, s);
  const { width: w, height: h } = guide;
  const long = Math.max(w, h);
  const r = Math.max(2, Math.round(params.radius * long));
  // The working copy's planes, taken and handed back through one pool (float-pool.ts).
  const pool = new FloatPool(w * h);
  const band = uncertainBand(alpha, w, h, r, params.edge, pool);
  if (!band) return 0;
  const coef = await guidedCoefficients(guide, alpha, r, params.eps, boxes, pool);
  const [ar, ag, ab, b] = coef.planes as [Float32Array, Float32Array, Float32Array, Float32Array];
  const gain = params.gain;
  if (gain !== 1) {
    // q' = (q − 0.5)·gain + 0.5 is linear in q: scale the coefficients.
    for (let i = 0; i < b.length; i++) {
      ar[i] = ar[i]! * gain;
      ag[i] = ag[i]! * gain;
      ab[i] = ab[i]! * gain;
      b[i] = (b[i]! - 0.5) * gain + 0.5;
    }
  }
  // The refined alpha on the working copy, for the colour estimate.
  const [ir, ig, ib] = guide.planes as [Float32Array, Float32Array, Float32Array];
  const q = pool.copy(alpha);
  for (let i = 0; i < q.length; i++) if (band[i]) q[i] = Math.min(1, Math.max(0, ar[i]! * ir[i]! + ag[i]! * ig[i]! + ab[i]! * ib[i]! + b[i]!));
  const fg = await estimateForeground(guide, q, Math.max(1, Math.round(params.large * long)), Math.max(1, Math.round(params.small * long)), boxes, pool);
  pool.give(q);
  const fields = params.colour ? [...coef.planes, ...fg.f, ...fg.b] : coef.planes;
  return applyBand(rgba, mask, width, height, s, band, w, h, fields, rowsDone);
}

/** Told that rows [0, y) of the photo are final (their mask and colours), in order, and awaited. */
export type RowsDone = (y: number) => Promise<void>;

/**
 * Refines the full-resolution pixels under the band's cells: each field (the filter's a and b,
 * then F̄ and B̄ when estimating colour) bilinearly from the working copy, first down each column
 * the pixel row needs (once per row of a run of band cells), then across (per pixel). Returns the
 * number of pixels looked at; `rowsDone` hears of each row of cells as it is finished.
 */
export async function applyBand(
  rgba: Uint8Array,
  mask: Uint8Array,
  width: number,
  height: number,
  s: number,
  band: Uint8Array,
  w: number,
  h: number,
  fields: Float32Array[],
  rowsDone?: RowsDone,
): Promise<number> {
  const nf = fields.length;
  const colour = nf >= 10;
  const cols = new Float64Array(w * nf); // one pixel row's fields down column j, at j·nf
  // Across: each pixel column's left and right working columns (as offsets into cols) and weight.
  const left = new Int32Array(width);
  const right = new Int32Array(width);
  const across = new Float64Array(width);
  for (let x = 0; x < width; x++) {
    const fx = Math.min(w - 1, Math.max(0, (x + 0.5) / s - 0.5));
    const x0 = Math.floor(fx);
    left[x] = x0 * nf;
    right[x] = Math.min(w - 1, x0 + 1) * nf;
    across[x] = fx - x0;
  }
  let count = 0;
  for (let cy = 0; cy < h; cy++) {
    const y1 = Math.min(height, (cy + 1) * s);
    for (let cx = 0; cx < w; ) {
      if (!band[cy * w + cx]) {
        cx++;
        continue;
      }
      let end = cx + 1;
      while (end < w && band[cy * w + end]) end++;
      // The run's pixels use columns cx − 1 … end (clamped); x0 = floor(fx) below.
      const j0 = Math.max(0, cx - 1);
      const j1 = Math.min(w - 1, end);
      const xs = cx * s;
      const xe = Math.min(width, end * s);
      for (let y = cy * s; y < y1; y++) {
        const fy = Math.min(h - 1, Math.max(0, (y + 0.5) / s - 0.5));
        const y0 = Math.floor(fy);
        const top = y0 * w;
        const bottom = Math.min(h - 1, y0 + 1) * w;
        const ty = fy - y0;
        const uy = 1 - ty;
        for (let k = 0; k < nf; k++) {
          const f = fields[k]!;
          for (let j = j0, c = j0 * nf + k; j <= j1; j++, c += nf) cols[c] = f[top + j]! * uy + f[bottom + j]! * ty;
        }
        for (let x = xs, p = y * width + xs; x < xe; x++, p++) {
          const c0 = left[x]!;
          const c1 = right[x]!;
          const tx = across[x]!;
          const ux = 1 - tx;
          const j = p * 4;
          const r = rgba[j]! / 255;
          const g = rgba[j + 1]! / 255;
          const b = rgba[j + 2]! / 255;
          const a0 =
            (cols[c0]! * ux + cols[c1]! * tx) * r +
            (cols[c0 + 1]! * ux + cols[c1 + 1]! * tx) * g +
            (cols[c0 + 2]! * ux + cols[c1 + 2]! * tx) * b +
            (cols[c0 + 3]! * ux + cols[c1 + 3]! * tx);
          const a = Math.min(1, Math.max(0, a0));
          mask[p] = Math.round(a * 255);
          if (a <= 0 || a >= 1 || !colour) continue;
          rgba[j] = Math.round(foregroundAt(r, a, cols[c0 + 4]! * ux + cols[c1 + 4]! * tx, cols[c0 + 7]! * ux + cols[c1 + 7]! * tx) * 255);
          rgba[j + 1] = Math.round(foregroundAt(g, a, cols[c0 + 5]! * ux + cols[c1 + 5]! * tx, cols[c0 + 8]! * ux + cols[c1 + 8]! * tx) * 255);
          rgba[j + 2] = Math.round(foregroundAt(b, a, cols[c0 + 6]! * ux + cols[c1 + 6]! * tx, cols[c0 + 9]! * ux + cols[c1 + 9]! * tx) * 255);
        }
        count += xe - xs;
      }
      cx = end;
    }
    if (rowsDone) await rowsDone(y1);
  }
  return count;
}
