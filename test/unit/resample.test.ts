import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
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
