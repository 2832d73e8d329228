import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { coefficients } from '../../src/cutout/lanczos-kernel.js';
import { resizeLanczos } from '../../src/cutout/resample.js';

// Expected bytes come from Pillow 9.4: `Image.fromarray(a).resize((w, h), Image.Resampling.LANCZOS)`,
// the call rembg makes on the way into the model and on the way back.
const RGB_6x4 = [
  0, 0, 0, 50, 0, 0, 100, 0, 0, 150, 255, 0, 200, 255, 0, 250, 255, 0, 7, 0, 80, 57, 0, 80, 107, 0, 80, 157, 255, 80,
  207, 255, 80, 1, 255, 80, 14, 0, 160, 64, 0, 160, 114, 0, 160, 164, 255, 160, 214, 255, 160, 8, 255, 160, 21, 0, 240,
  71, 0, 240, 121, 0, 240, 171, 255, 240, 221, 255, 240, 15, 255, 240,
];
const PILLOW_RGB_4x7 = [
  12, 0, 0, 86, 10, 0, 161, 245, 0, 255, 255, 0, 15, 0, 18, 86, 10, 18, 171, 245, 18, 189, 255, 18, 19, 0, 73, 89, 10,
  73, 187, 245, 73, 85, 255, 73, 24, 0, 120, 92, 10, 120, 195, 245, 120, 54, 255, 120, 28, 0, 167, 97, 10, 167, 196, 245,
  167, 85, 255, 167, 32, 0, 222, 101, 10, 222, 201, 245, 222, 90, 255, 222, 35, 0, 246, 104, 10, 246, 204, 245, 246, 90,
  255, 246,
];
const L_5x3 = [0, 0, 255, 255, 0, 0, 255, 255, 255, 0, 0, 0, 255, 0, 0];
const PILLOW_L_8x2 = [5, 41, 113, 208, 255, 255, 101, 0, 5, 41, 115, 234, 229, 97, 34, 5];

describe("Pillow's LANCZOS resampling", () => {
  it('gives the same RGB bytes as Pillow, shrinking one side and enlarging the other', () => {
    const out = resizeLanczos({ data: Uint8Array.from(RGB_6x4), width: 6, height: 4, channels: 3 }, 4, 7, 3);
    assert.deepEqual(Array.from(out), PILLOW_RGB_4x7);
  });

  it('gives the same mask bytes as Pillow, clamping the kernel overshoot to 0..255', () => {
    const out = resizeLanczos({ data: Uint8Array.from(L_5x3), width: 5, height: 3, channels: 1 }, 8, 2, 1);
    assert.deepEqual(Array.from(out), PILLOW_L_8x2);
  });

  it('reads RGB out of RGBA and ignores alpha, as convert("RGB") does', () => {
    const rgba = new Uint8Array(6 * 4 * 4);
    for (let p = 0; p < 24; p++) {
      rgba.set(RGB_6x4.slice(p * 3, p * 3 + 3), p * 4);
      rgba[p * 4 + 3] = p % 2 ? 0 : 255; // half the pixels transparent: their colour still counts
    }
    assert.deepEqual(Array.from(resizeLanczos({ data: rgba, width: 6, height: 4, channels: 4 }, 4, 7, 3)), PILLOW_RGB_4x7);
  });

  it('leaves pixels untouched when the size does not change', () => {
    const data = Uint8Array.from(L_5x3);
    assert.deepEqual(Array.from(resizeLanczos({ data, width: 5, height: 3, channels: 1 }, 5, 3, 1)), L_5x3);
  });

  it('refuses a buffer that does not match its size', () => {
    assert.throws(() => resizeLanczos({ data: new Uint8Array(10), width: 5, height: 3, channels: 1 }, 2, 2, 1), /does not match/);
  });
});

/** The two passes as plainly as they can be written (every tap of every pixel), from the same coefficients. */
function plainResize(src: Uint8Array, width: number, height: number, outWidth: number, outHeight: number): number[] {
  const clip = (s: number) => Math.min(255, Math.max(0, s >> 22));
  const pass = (get: (i: number) => number, c: ReturnType<typeof coefficients>, xx: number) => {
    let s = 1 << 21;
    for (let k = 0; k < c.count[xx]!; k++) s += get(c.first[xx]! + k) * c.weights[xx * c.ksize + k]!;
    return clip(s);
  };
  const ch = coefficients(width, outWidth);
  const cv = coefficients(height, outHeight);
  const mid = Array.from({ length: height * outWidth }, (_, i) => pass((x) => src[Math.floor(i / outWidth) * width + x]!, ch, i % outWidth));
  return Array.from({ length: outHeight * outWidth }, (_, i) => pass((y) => mid[y * outWidth + (i % outWidth)]!, cv, Math.floor(i / outWidth)));
}

describe('a mask enlarged by columns that are flat for a block of rows', () => {
  it('gives every byte the plain sums give, across 0, 255 and other flat values, edges and noise', () => {
    const [w, h] = [90, 70];
    const mask = new Uint8Array(w * h);
    let seed = 3;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        seed = (seed * 1103515245 + 12345) >>> 0;
        const d = Math.hypot(x - 40, y - 35) - 22; // a disc with a soft edge
        mask[y * w + x] = x > 80 ? 128 : y > 62 ? (seed >>> 24) : Math.round(255 * Math.min(1, Math.max(0, 0.5 - d / 4)));
      }
    }
    for (const [ow, oh] of [[317, 251], [400, 61], [45, 300], [90, 70 * 4]] as const) {
      const out = resizeLanczos({ data: mask, width: w, height: h, channels: 1 }, ow, oh, 1);
      assert.deepEqual(Array.from(out), plainResize(mask, w, h, ow, oh), `${ow}×${oh}`);
    }
  });
});
