// The mask editor's pixel work (src/web/mask-ops.ts): what each tool does to a mask, undo/redo
// back to the exact bytes, and what the history keeps for 100 steps on the editor's largest
// working mask (2048 px long side, as for a 12 MP photo).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dab, flood, History, line, MAX_SIDE, polygon, type Mask } from '../../src/web/mask-ops.js';

const mask = (w: number, h: number, v = 255): Mask => ({ w, h, d: new Uint8Array(w * h).fill(v) });
const at = (m: Mask, x: number, y: number) => m.d[y * m.w + x]!;
const count = (m: Mask, v: number) => m.d.filter((x) => x === v).length;

describe('mask editor tools', () => {
  it('a hard brush erases a disc and nothing else; restore brings it back', () => {
    const m = mask(100, 100);
    const r = dab(m, 50, 50, 10, 1, false)!;
    assert.equal(at(m, 50, 50), 0);
    assert.equal(at(m, 50, 41), 0, 'inside the radius');
    assert.equal(at(m, 50, 39), 255, 'outside the radius');
    assert.equal(at(m, 57, 57), 255, 'outside the disc, inside its square');
    assert.ok(Math.abs(count(m, 0) - Math.PI * 100) < 20, `about πr² erased: ${count(m, 0)}`);
    assert.deepEqual(r, { x: 40, y: 40, w: 21, h: 21 });
    dab(m, 50, 50, 12, 1, true);
    assert.equal(count(m, 255), 100 * 100);
  });

  it('a soft brush fades towards its edge, and overlapping dabs do not build up', () => {
    const m = mask(100, 100);
    dab(m, 50, 50, 20, 0.5, false);
    const edge = at(m, 50, 35);
    assert.ok(edge > 0 && edge < 255, `a partial value near the edge: ${edge}`);
    assert.equal(at(m, 50, 50), 0);
    dab(m, 50, 50, 20, 0.5, false);
    assert.equal(at(m, 50, 35), edge, 'the same dab again changes nothing');
  });

  it('a stroke leaves no gaps between its dabs and is clipped at the edges', () => {
    const m = mask(200, 50);
    const r = line(m, -20, 25, 220, 25, 5, 1, false)!;
    for (let x = 0; x < 200; x++) assert.equal(at(m, x, 25), 0, `x=${x}`);
    assert.deepEqual([r.x, r.x + r.w], [0, 200]);
  });

  it('the wand erases the 4-connected region of similar colour, not a similar region elsewhere', () => {
    const [w, h] = [40, 20];
    const rgba = new Uint8Array(w * h * 4);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        // left: white with slight noise; a red wall at x = 20; right: white again
        const v = x === 20 ? [200, 0, 0] : [250 - ((x + y) % 5), 250, 250];
        rgba.set([...v, 255], (y * w + x) * 4);
      }
    }
    const m = mask(w, h);
    const r = flood(m, rgba, 3, 3, 10, false)!;
    assert.equal(count(m, 0), 20 * h, 'the left part only');
    assert.equal(at(m, 25, 3), 255, 'the right part is behind the wall');
    assert.deepEqual(r, { x: 0, y: 0, w: 20, h });
    flood(m, rgba, 3, 3, 10, true);
    assert.equal(count(m, 255), w * h);
    assert.equal(flood(m, rgba, -1, 3, 10, false), null, 'outside the image: nothing');
    // tolerance 0 with noise: only the pixels equal to the clicked one that touch it
    flood(m, rgba, 0, 0, 0, false);
    assert.equal(at(m, 0, 0), 0);
    assert.ok(count(m, 0) < 20 * h);
  });

  it('the polygon fills its inside (a triangle), and a polygon of two points does nothing', () => {
    const m = mask(100, 100);
    polygon(m, [[10, 10], [90, 10], [10, 90]], false);
    assert.equal(at(m, 20, 20), 0);
    assert.equal(at(m, 80, 80), 255);
    assert.ok(Math.abs(count(m, 0) - 3200) < 100, `about 80·80/2 erased: ${count(m, 0)}`);
    assert.equal(polygon(m, [[0, 0], [50, 50]], true), null);
  });
});

describe('mask editor history', () => {
  it('undoes and redoes each step to the exact bytes; a new step drops the redos', () => {
    const m = mask(64, 64);
    const h = new History(m);
    const states = [m.d.slice()];
    for (let i = 0; i < 5; i++) {
      h.start();
      h.commit(line(m, 5, 5 + i * 10, 60, 10 + i * 10, 4, 0.7, i % 2 === 1));
      states.push(m.d.slice());
    }
    for (let i = 4; i >= 0; i--) {
      h.undo();
      assert.deepEqual(m.d, states[i], `undo to step ${i}`);
    }
    assert.equal(h.canUndo, false);
    assert.equal(h.undo(), null);
    h.undo(true);
    h.undo(true);
    assert.deepEqual(m.d, states[2]);
    h.start();
    h.commit(dab(m, 30, 30, 6, 1, false));
    assert.equal(h.canRedo, false);
  });

  it('takes back a stroke that became a pinch', () => {
    const m = mask(32, 32);
    const h = new History(m);
    h.start();
    h.revert(line(m, 0, 0, 31, 31, 3, 1, false));
    assert.equal(count(m, 255), 32 * 32);
    assert.equal(h.canUndo, false);
  });

  it(`keeps 100 brush steps on a ${MAX_SIDE} px mask in a few MB; full-frame steps stay under its byte cap`, () => {
    const m = mask(MAX_SIDE, 1536);
    const h = new History(m);
    for (let i = 0; i < 120; i++) {
      h.start();
      h.commit(line(m, 100 + i * 10, 200, 400 + i * 10, 900, 30, 0.8, false));
    }
    let steps = 0;
    while (h.undo()) steps++;
    assert.equal(steps, 100, 'at most 100 steps');
    console.log(`100 brush strokes (60 px, 300×700 px long) on ${MAX_SIDE}×1536: ${(h.bytes / 2 ** 20).toFixed(1)} MB of history`);
    assert.ok(h.bytes < 64 * 2 ** 20);
    // the worst case: every step covers the whole mask (a wand on a plain background)
    const big = new History(m);
    const plain = new Uint8Array(m.w * m.h * 4);
    const t0 = performance.now();
    big.start();
    big.commit(flood(m, plain, 0, 0, 0, false));
    console.log(`a wand over the whole ${MAX_SIDE}×1536 mask: ${Math.round(performance.now() - t0)} ms`);
    const all = [[0, 0], [m.w, 0], [m.w, m.h], [0, m.h]];
    for (let i = 0; i < 100; i++) {
      big.start();
      big.commit(polygon(m, all, i % 2 === 0));
    }
    let kept = 0;
    while (big.undo()) kept++;
    console.log(`full-frame steps: ${kept} kept in ${(big.bytes / 2 ** 20).toFixed(0)} MB (cap 256 MB; ${((m.w * m.h) / 2 ** 20).toFixed(1)} MB each)`);
    assert.ok(big.bytes <= 256 << 20);
    assert.ok(kept >= 60, 'at least 60 full-frame steps');
  });
});
