// Compositing and encoding (stages.ts): a large photo's plain PNG is written while its edges are
// refined, row by row; the file must be the one the one-pass path writes (refine, alpha, encode).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyMask } from '../../src/cutout/compose.js';
import { encodePngRgba } from '../../src/cutout/png.js';
import { refineEdges } from '../../src/cutout/refine.js';
import { finishFromMask, LazyFaces, StageClock, type Decoded } from '../../src/cutout/stages.js';
import { renderSpec } from '../../src/options/options.js';

/** A photo past the streaming size: a warm disc on a textured background, its own alpha or not, and a soft-edged mask of the disc. */
function scene(width: number, height: number, hasAlpha: boolean): { decoded: Decoded; mask: Uint8Array } {
  const rgba = new Uint8Array(width * height * 4);
  const mask = new Uint8Array(width * height);
  const [cx, cy, r] = [width * 0.45, height * 0.5, Math.min(width, height) * 0.3];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = y * width + x;
      const d = Math.hypot(x - cx, y - cy);
      const inside = d < r;
      rgba.set([inside ? 210 : (x * 7) & 255, inside ? 90 : (y * 5) & 255, inside ? 40 : 160, hasAlpha ? 128 + (x & 127) : 255], p * 4);
      mask[p] = Math.round(255 * Math.min(1, Math.max(0, (r + 12 - d) / 24)));
    }
  }
  return { decoded: { rgba, width, height, hasAlpha }, mask };
}

const settings = () => ({ pngCompressionLevel: 6, maxPixels: 50e6, faces: new LazyFaces() });

describe('compositing and encoding a large photo', () => {
  for (const hasAlpha of [false, true]) {
    it(`writes the plain PNG while refining, the very file of refine → alpha → encode${hasAlpha ? ' (a photo with its own alpha)' : ''}`, async () => {
      const [width, height] = [3400, 2400]; // 8.2 MP: streamed
      const { decoded, mask } = scene(width, height, hasAlpha);
      const expected = { rgba: Uint8Array.from(decoded.rgba), mask: Uint8Array.from(mask) };
      assert.ok((await refineEdges(expected.rgba, expected.mask, width, height)) > 0, 'the mask has an edge to refine');
      applyMask(expected.rgba, expected.mask, hasAlpha);
      const want = await encodePngRgba(expected.rgba, width, height, 6);

      const settings = { pngCompressionLevel: 6, maxPixels: 50e6, faces: new LazyFaces() };
      const out = await finishFromMask(decoded, async () => Uint8Array.from(mask), renderSpec({}), undefined, new StageClock(), settings);
      assert.equal(out.format, 'png');
      assert.deepEqual([out.width, out.height], [width, height]);
      assert.ok(out.bytes.equals(want), 'identical files');
      assert.ok(out.foreground.width < width * 0.7 && out.foreground.height < height * 0.7, `the subject's box: ${JSON.stringify(out.foreground)}`);
    });
  }

  it('makes the mask of a photo not decoded yet from its size, and again if the decoded size differs', async () => {
    const [width, height] = [3400, 2400];
    const { decoded, mask } = scene(width, height, false);
    const want = await finishFromMask({ ...decoded, rgba: Uint8Array.from(decoded.rgba) }, async () => Uint8Array.from(mask), renderSpec({}), undefined, new StageClock(), settings());
    for (const told of [{ width, height }, { width: height, height: width }]) {
      const asked: string[] = [];
      const makeMask = async (size: { width: number; height: number }) => {
        asked.push(`${size.width}x${size.height}`);
        return size.width === width ? Uint8Array.from(mask) : new Uint8Array(size.width * size.height);
      };
      let decodes = 0;
      const lazy = { ...told, decode: async () => (decodes++, { ...decoded, rgba: Uint8Array.from(decoded.rgba) }) };
      const out = await finishFromMask(lazy, makeMask, renderSpec({}), undefined, new StageClock(), settings());
      assert.equal(decodes, 1);
      assert.deepEqual(asked, told.width === width ? [`${width}x${height}`] : [`${height}x${width}`, `${width}x${height}`]);
      assert.ok(out.bytes.equals(want.bytes), 'the same file as from decoded pixels');
    }
  });

  it('lets a decoding failure through while the mask is being made, with nothing left unhandled', async () => {
    const lazy = { width: 100, height: 100, decode: async () => Promise.reject(new Error('damaged')) };
    const makeMask = async () => Promise.reject(new Error('not wanted'));
    await assert.rejects(finishFromMask(lazy, makeMask, renderSpec({}), undefined, new StageClock(), settings()), /damaged/);
  });

  it("keeps a person's edited mask as the alpha while the model's refined mask gives the edge colours, streamed as in one pass", async () => {
    const [width, height] = [3400, 2400];
    const { decoded, mask } = scene(width, height, false);
    // The edit: the disc's right half erased.
    const edited = Uint8Array.from(mask, (v, p) => (p % width > width * 0.45 ? 0 : v));
    const expected = { rgba: Uint8Array.from(decoded.rgba), mask: Uint8Array.from(mask) };
    await refineEdges(expected.rgba, expected.mask, width, height);
    applyMask(expected.rgba, edited, false);
    const want = await encodePngRgba(expected.rgba, width, height, 6);

    const settings = { pngCompressionLevel: 6, maxPixels: 50e6, faces: new LazyFaces() };
    const out = await finishFromMask(decoded, async () => Uint8Array.from(mask), renderSpec({}), undefined, new StageClock(), settings, edited);
    assert.ok(out.bytes.equals(want), 'identical files');
    assert.ok(out.foreground.left + out.foreground.width <= width * 0.45 + 1, `nothing right of the edit: ${JSON.stringify(out.foreground)}`);
  });
});
