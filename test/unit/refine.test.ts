// Edge refinement (refine=fast) on small synthetic photos: the guided filter sharpens a blurred
// mask to the photo's edge, flat regions are untouched, and edge pixels keep the subject's colour.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyMask } from '../../src/cutout/compose.js';
import { estimateForeground } from '../../src/cutout/foreground.js';
import { boxMean, guidedCoefficients, guidedFilter } from '../../src/cutout/guided.js';
import { FloatPool } from '../../src/cutout/float-pool.js';
import { applyBand, refineEdges } from '../../src/cutout/refine.js';

const W = 64;
const H = 48;
const RED = [220, 20, 20];
const BLUE = [20, 40, 220];

/** A red subject (x < 32) on a blue background, and a mask that is a 9 px ramp across the edge. */
function scene() {
  const rgba = new Uint8Array(W * H * 4);
  const mask = new Uint8Array(W * H);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const p = y * W + x;
      rgba.set([...(x < 32 ? RED : BLUE), 255], p * 4);
      mask[p] = Math.round(255 * Math.min(1, Math.max(0, (36 - x) / 9)));
    }
  }
  return { rgba, mask };
}

/** How far the mask is from the hard truth (subject = x < 32), summed over a row. */
const rowError = (mask: Uint8Array, y: number) => {
  let e = 0;
  for (let x = 0; x < W; x++) e += Math.abs(mask[y * W + x]! - (x < 32 ? 255 : 0));
  return e;
};

/** The colour seen when the cut-out is put on a white background. */
const onWhite = (rgba: Uint8Array, p: number) => [0, 1, 2].map((c) => Math.round((rgba[p * 4 + c]! * rgba[p * 4 + 3]! + 255 * (255 - rgba[p * 4 + 3]!)) / 255));

describe('box mean', () => {
  it('averages over the window clipped to the image', () => {
    const src = Float32Array.from([1, 2, 3, 4, 5, 6], (v) => v);
    const out = boxMean(src, 3, 2, 1);
    // Every window covers the whole 3×2 image but the corners' own column/row limits.
    assert.ok(Math.abs(out[0]! - (1 + 2 + 4 + 5) / 4) < 1e-6);
    assert.ok(Math.abs(out[1]! - 21 / 6) < 1e-6);
  });

  it('matches the window mean computed pixel by pixel, at every size and radius (clipped edges, radii past the image)', () => {
    for (const [w, h] of [[1, 9], [9, 1], [7, 5], [40, 3], [33, 17]] as const) {
      for (const r of [0, 1, 2, 5, 40]) {
        const src = Float32Array.from({ length: w * h }, () => Math.random());
        const out = boxMean(src, w, h, r);
        for (let y = 0; y < h; y++) {
          for (let x = 0; x < w; x++) {
            let sum = 0;
            let count = 0;
            for (let yy = Math.max(0, y - r); yy <= Math.min(h - 1, y + r); yy++) {
              for (let xx = Math.max(0, x - r); xx <= Math.min(w - 1, x + r); xx++, count++) sum += src[yy * w + xx]!;
            }
            assert.ok(Math.abs(out[y * w + x]! - sum / count) < 1e-6, `${w}×${h} r=${r} at (${x}, ${y}): ${out[y * w + x]} vs ${sum / count}`);
          }
        }
      }
    }
  });
});

describe('guided filter', () => {
  it('keeps a flat input flat whatever the guide', async () => {
    const n = 16 * 16;
    const guide = { width: 16, height: 16, planes: [0, 1, 2].map(() => Float32Array.from({ length: n }, () => Math.random())) };
    const q = await guidedFilter(guide, new Float32Array(n).fill(1), 3, 1e-3);
    assert.ok(q.every((v) => Math.abs(v - 1) < 1e-4));
  });
});

describe('refine=fast', () => {
  it('sharpens a blurred mask to the photo\'s edge', async () => {
    const { rgba, mask } = scene();
    const before = rowError(mask, 20);
    await refineEdges(rgba, mask, W, H);
    const after = rowError(mask, 20);
    assert.ok(after < before / 3, `edge error ${before} → ${after}`);
    assert.ok(mask[20 * W + 30]! > 230 && mask[20 * W + 34]! < 25, `alpha at the edge ${mask[20 * W + 30]} / ${mask[20 * W + 34]}`);
  });

  it('refines a photo the same whether its pixels are read as 32-bit words (aligned) or byte by byte (not)', async () => {
    const [width, height] = [1700, 901]; // cells of 3 × 3, the last column and row of cells partial
    const rgba = new Uint8Array(width * height * 4);
    const mask = new Uint8Array(width * height);
    let seed = 7;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        seed = (seed * 1103515245 + 12345) >>> 0;
        const inside = Math.hypot(x - 800, y - 450) < 300;
        const p = y * width + x;
        rgba.set([inside ? 200 : seed >>> 24, inside ? 60 + (x & 63) : 120, (seed >>> 16) & 255, 255], p * 4);
        mask[p] = Math.round(255 * Math.min(1, Math.max(0, (310 - Math.hypot(x - 800, y - 450)) / 20)));
      }
    }
    const aligned = { rgba: Uint8Array.from(rgba), mask: Uint8Array.from(mask) };
    const shifted = { rgba: new Uint8Array(rgba.length + 1).subarray(1), mask: Uint8Array.from(mask) };
    shifted.rgba.set(rgba);
    assert.ok((await refineEdges(aligned.rgba, aligned.mask, width, height)) > 0);
    await refineEdges(shifted.rgba, shifted.mask, width, height);
    assert.ok(Buffer.from(aligned.mask).equals(Buffer.from(shifted.mask)), 'the same alpha');
    assert.ok(Buffer.from(aligned.rgba).equals(Buffer.from(shifted.rgba)), 'the same colours');
  });

  it('leaves flat regions and a mask without an uncertain edge untouched', async () => {
    const { rgba, mask } = scene();
    const copy = Uint8Array.from(rgba);
    await refineEdges(rgba, mask, W, H);
    for (const x of [0, 5, 60, 63]) assert.equal(mask[10 * W + x], x < 32 ? 255 : 0);
    const hard = Uint8Array.from({ length: W * H }, (_, p) => (p % W < 32 ? 255 : 0));
    assert.equal(await refineEdges(copy, hard, W, H), 0);
  });

  it('gives edge pixels the subject\'s red, where the mask as it is shows purple', async () => {
    const none = scene();
    applyMask(none.rgba, none.mask, false);
    const fast = scene();
    await refineEdges(fast.rgba, fast.mask, W, H);
    applyMask(fast.rgba, fast.mask, false);
    // A partly transparent pixel just outside the red: with none it is blue (the old background) at partial alpha.
    const p = 20 * W + 33;
    const [r0, , b0] = onWhite(none.rgba, p);
    assert.ok(b0! > r0!, `none: the old blue shows (${onWhite(none.rgba, p)})`);
    for (let x = 26; x < 40; x++) {
      const q = 20 * W + x;
      if (fast.rgba[q * 4 + 3]! === 0) continue;
      const [r, g, b] = [fast.rgba[q * 4]!, fast.rgba[q * 4 + 1]!, fast.rgba[q * 4 + 2]!];
      assert.ok(r > 150 && b < 100 && g < 100, `fast: x=${x} is red (${r},${g},${b}), alpha ${fast.rgba[q * 4 + 3]}`);
    }
  });
});

describe('the refinement\'s plane pool', () => {
  it('hands a plane back out once, and keeps only its own ordinary planes', () => {
    const pool = new FloatPool(4);
    const a = pool.take();
    a.fill(7);
    pool.give(a, a); // given twice: held once
    pool.give(new Float32Array(5), new Float32Array(new SharedArrayBuffer(16))); // another size, shared memory: not kept
    const again = pool.take();
    assert.equal(again, a);
    assert.deepEqual([...again], [7, 7, 7, 7], 'left as its last user wrote it');
    assert.notEqual(pool.take(), a, 'a plane given twice must not be handed to two users');
    assert.deepEqual([...pool.copy(new Float32Array([1, 2, 3, 4]))], [1, 2, 3, 4]);
  });

  it('hands out planes that never overlap, across the blocks it allocates them in', () => {
    const pool = new FloatPool(5);
    const planes = Array.from({ length: 20 }, () => pool.take());
    planes.forEach((p, i) => p.fill(i));
    planes.forEach((p, i) => {
      assert.equal(p.length, 5);
      assert.ok(p.every((v) => v === i), `plane ${i} holds ${[...p]}`);
    });
  });

  it('gives the same filter and colour estimate when every plane it takes is dirty (NaN) as with fresh ones', async () => {
    const n = W * H;
    const { rgba, mask } = scene();
    const planes = [0, 1, 2].map((c) => Float32Array.from({ length: n }, (_, i) => rgba[i * 4 + c]! / 255));
    const guide = { width: W, height: H, planes };
    const alpha = Float32Array.from(mask, (v) => v / 255);
    const dirty = () => {
      const pool = new FloatPool(n);
      for (let k = 0; k < 60; k++) pool.give(new Float32Array(n).fill(NaN));
      return pool;
    };
    const fresh = await guidedCoefficients(guide, alpha, 3, 1e-3);
    assert.deepEqual(await guidedCoefficients(guide, alpha, 3, 1e-3, undefined, dirty()), fresh);
    assert.ok(fresh.planes.every((p) => p.every(Number.isFinite)));
    const fg = await estimateForeground(guide, alpha, 8, 2);
    assert.deepEqual(await estimateForeground(guide, alpha, 8, 2, undefined, dirty()), fg);
    assert.ok([...fg.f, ...fg.b].every((p) => p.every(Number.isFinite)));
  });
});

describe("the refinement's full-size application", () => {
  /** The plain per-pixel reading: every field bilinearly (clamped at the borders), then alpha and colour. */
  function reference(rgba: Uint8Array, mask: Uint8Array, width: number, height: number, s: number, band: Uint8Array, w: number, h: number, fields: Float32Array[]) {
    const fg = (i: number, a: number, f: number, b: number) => Math.min(1, Math.max(0, f + a * (i - a * f - (1 - a) * b)));
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        if (!band[Math.floor(y / s) * w + Math.floor(x / s)]) continue;
        const fy = Math.min(h - 1, Math.max(0, (y + 0.5) / s - 0.5));
        const fx = Math.min(w - 1, Math.max(0, (x + 0.5) / s - 0.5));
        const y0 = Math.floor(fy), x0 = Math.floor(fx), y1 = Math.min(h - 1, y0 + 1), x1 = Math.min(w - 1, x0 + 1);
        const ty = fy - y0, tx = fx - x0;
        const v = fields.map((f) => f[y0 * w + x0]! * (1 - tx) * (1 - ty) + f[y0 * w + x1]! * tx * (1 - ty) + f[y1 * w + x0]! * (1 - tx) * ty + f[y1 * w + x1]! * tx * ty);
        const p = y * width + x;
        const [r, g, b] = [0, 1, 2].map((c) => rgba[p * 4 + c]! / 255) as [number, number, number];
        const a = Math.min(1, Math.max(0, v[0]! * r + v[1]! * g + v[2]! * b + v[3]!));
        mask[p] = Math.round(a * 255);
        if (a <= 0 || a >= 1) continue;
        [r, g, b].forEach((i, c) => (rgba[p * 4 + c] = Math.round(fg(i, a, v[4 + c]!, v[7 + c]!) * 255)));
      }
    }
  }

  it('gives each pixel under the band its fields read bilinearly from the working copy, and leaves the rest alone', async () => {
    // Sizes that do not divide by the cell (the last row and column of cells are partial).
    const width = 301;
    const height = 203;
    const s = 4;
    const w = Math.ceil(width / s);
    const h = Math.ceil(height / s);
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    // a, b of the filter near a real fit (alpha around 0.5 and spread), then F̄ and B̄ on 0..1.
    const fields = Array.from({ length: 10 }, (_, k) => Float32Array.from({ length: w * h }, () => (k < 3 ? random() * 2 - 1 : k === 3 ? random() : random())));
    const band = Uint8Array.from({ length: w * h }, (_, i) => (i % 7 === 3 || i % 5 === 0 || i < w || i >= w * (h - 1) ? 1 : 0));
    const rgba = Uint8Array.from({ length: width * height * 4 }, () => Math.floor(random() * 256));
    const mask = Uint8Array.from({ length: width * height }, () => Math.floor(random() * 256));
    const given = { rgba: Uint8Array.from(rgba), mask: Uint8Array.from(mask) };
    const want = { rgba: Uint8Array.from(rgba), mask: Uint8Array.from(mask) };
    reference(want.rgba, want.mask, width, height, s, band, w, h, fields);
    const told: number[] = [];
    const looked = await applyBand(rgba, mask, width, height, s, band, w, h, fields, async (y) => void told.push(y));
    assert.deepEqual(told, Array.from({ length: h }, (_, cy) => Math.min(height, (cy + 1) * s)), 'every row of cells, in order');
    let inBand = 0;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const p = y * width + x;
        if (band[Math.floor(y / s) * w + Math.floor(x / s)]) inBand++;
        else assert.ok(mask[p] === given.mask[p] && [0, 1, 2, 3].every((c) => rgba[p * 4 + c] === given.rgba[p * 4 + c]), `(${x}, ${y}) is outside the band but changed`);
      }
    }
    assert.equal(looked, inBand);
    // The same values summed in another order: a byte may differ by one where a value falls on .5.
    let differ = 0;
    for (const [got, exp] of [[mask, want.mask], [rgba, want.rgba]] as const) {
      for (let i = 0; i < got.length; i++) {
        const d = Math.abs(got[i]! - exp[i]!);
        assert.ok(d <= 1, `byte ${i}: ${got[i]} vs ${exp[i]}`);
        differ += d;
      }
    }
    assert.ok(differ <= 20, `${differ} bytes off by one`);
  });
});
