import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyMask, toMask, toModelInput } from '../../src/cutout/compose.js';
import { maskIoU, maskMAE } from '../../src/cutout/quality.js';

describe('mask → alpha composition', () => {
  it('normalises by the image maximum into planar NCHW with mean/std', () => {
    // 2x2 RGB, max value 200
    const rgb = Uint8Array.from([200, 0, 100, 0, 0, 0, 100, 100, 100, 50, 150, 200]);
    const t = toModelInput(rgb, 2, [0.5, 0.5, 0.5], [1, 1, 1]);
    assert.equal(t.length, 12);
    assert.deepEqual(Array.from(t.slice(0, 4)), [0.5, -0.5, 0, -0.25]); // R plane
    assert.deepEqual(Array.from(t.slice(4, 8)), [-0.5, -0.5, 0, 0.25]); // G plane
    assert.deepEqual(Array.from(t.slice(8, 12)), [0, -0.5, 0, 0.5]); // B plane
  });

  it("gives every pixel the float32 of (v / max − mean) / std, the maximum found early or late", () => {
    const size = 64;
    const mean = [0.485, 0.456, 0.406] as const;
    const std = [0.229, 0.224, 0.225] as const;
    let seed = 7;
    const rgb = Uint8Array.from({ length: size * size * 3 }, () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 24) % 200);
    for (const max of [199, 255]) {
      rgb[rgb.length - 1] = max; // the brightest value last
      const t = toModelInput(rgb, size, mean, std);
      for (let p = 0; p < size * size; p++) {
        for (let c = 0; c < 3; c++) assert.equal(t[c * size * size + p], Math.fround((rgb[p * 3 + c]! * (1 / max) - mean[c]!) * (1 / std[c]!)));
      }
    }
  });

  it('min-max normalises the prediction to 0..255, truncating like numpy', () => {
    assert.deepEqual(Array.from(toMask(Float32Array.from([-1, 0, 1, 0.999]), 4)), [0, 127, 255, 254]);
    assert.deepEqual(Array.from(toMask(Float32Array.from([3, 3, 3]), 3)), [0, 0, 0]);
  });

  it('writes the mask as alpha, keeping transparency the input already had', () => {
    const rgba = Uint8Array.from([10, 20, 30, 255, 40, 50, 60, 255]);
    assert.deepEqual(Array.from(applyMask(rgba, Uint8Array.from([0, 200]), false)), [10, 20, 30, 0, 40, 50, 60, 200]);
    const withAlpha = Uint8Array.from([1, 2, 3, 128, 4, 5, 6, 0]);
    assert.deepEqual(Array.from(applyMask(withAlpha, Uint8Array.from([255, 255]), true)), [1, 2, 3, 128, 4, 5, 6, 0]);
    assert.throws(() => applyMask(new Uint8Array(8), new Uint8Array(3), false));
  });

  it('measures IoU at a threshold and MAE', () => {
    const a = Uint8Array.from([0, 255, 255, 0]);
    const b = Uint8Array.from([0, 255, 0, 0]);
    assert.equal(maskIoU(a, b), 0.5);
    assert.equal(maskIoU(a, a), 1);
    assert.equal(maskMAE(a, b), 0.25);
  });
});
