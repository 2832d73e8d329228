// The external engine's cutter (ENGINE=removebg) with a fake API: the mask editor's edited masks
// work there as with the model (the alpha is the edit, no second call), and the mask at the
// photo's size can be made from the stored answer.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { RemoteCutter } from '../../src/cutout/remote-cutter.js';

const NONE = { refine: 'none' };
const W = 60;
const H = 40;

async function photo(): Promise<Buffer> {
  return sharp({ create: { width: W, height: H, channels: 3, background: { r: 30, g: 120, b: 200 } } }).png().toBuffer();
}

/** The API's answer: an alpha PNG, opaque in the left half. */
async function answer(): Promise<Buffer> {
  const alpha = Buffer.alloc(W * H);
  for (let y = 0; y < H; y++) for (let x = 0; x < W / 2; x++) alpha[y * W + x] = 255;
  return sharp(alpha, { raw: { width: W, height: H, channels: 1 } }).png().toBuffer();
}

async function alphaOf(png: Buffer): Promise<Buffer> {
  return sharp(png).extractChannel(3).raw().toBuffer();
}

describe('RemoteCutter', () => {
  it('applies an edited mask as the alpha, without calling the API again, and gives the mask at the photo\'s size', async () => {
    let calls = 0;
    const mask = await answer();
    const cutter = new RemoteCutter({ mask: async () => (calls++, mask) }, { name: 'removebg', maxPixels: 1e7, pngCompressionLevel: 6 });
    const input = await photo();
    const first = await cutter.process(input, undefined, { options: NONE });
    assert.equal(calls, 1);
    assert.ok(first.mask, 'the answer is kept for re-renders');
    const before = await alphaOf(first.bytes);
    assert.equal(before[5 * W + 5], 255);
    assert.equal(before[5 * W + 50], 0);

    const frame = await cutter.frameMask(input, { mask: first.mask, options: NONE });
    assert.deepEqual(await sharp(frame).extractChannel(0).raw().toBuffer(), await sharp(mask).extractChannel(0).raw().toBuffer());

    // The edit: everything kept except a rectangle erased in the left half.
    const edit = Buffer.alloc(W * H, 255);
    for (let y = 10; y < 20; y++) for (let x = 5; x < 15; x++) edit[y * W + x] = 0;
    const editedMask = await sharp(edit, { raw: { width: W, height: H, channels: 1 } }).png().toBuffer();
    const edited = await cutter.process(input, undefined, { options: NONE, mask: first.mask, editedMask });
    assert.equal(calls, 1, 'no second call for an edit');
    assert.ok(edited.frameMask);
    const after = await alphaOf(edited.bytes);
    assert.equal(after[15 * W + 10], 0, 'erased');
    assert.equal(after[5 * W + 50], 255, 'restored');
    assert.equal(after[30 * W + 5], 255, 'untouched');
  });
});
