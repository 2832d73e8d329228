// The confidence score, from the mask alone: no subject is an error; a clean subject scores high;
// a noisy, fragmented one scores lower.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { maskConfidence, maskStats } from '../../src/cutout/confidence.js';
import { UnknownForegroundError, UnprocessableOptionError } from '../../src/errors.js';

const N = 256;

/** A disc of radius r with a soft edge `soft` px wide. */
function disc(r: number, soft = 2): Uint8Array {
  const m = new Uint8Array(N * N);
  for (let y = 0; y < N; y++) {
    for (let x = 0; x < N; x++) {
      const d = Math.hypot(x - N / 2, y - N / 2);
      m[y * N + x] = Math.round(255 * Math.min(1, Math.max(0, (r - d) / soft + 0.5)));
    }
  }
  return m;
}

/** A seeded pseudo-random number in 0..1. */
function random(seed: number): () => number {
  let s = seed;
  return () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

describe('confidence', () => {
  it('a mask without a subject fails with unknown_foreground and a sentence', () => {
    // Nothing; faint specks; a faint wide blob with a small core (what the model gives for a plain white photo).
    for (const mask of [new Uint8Array(N * N), Uint8Array.from({ length: N * N }, (_, i) => (i % 97 === 0 ? 60 : 0)), disc(10, 120)]) {
      assert.throws(
        () => maskConfidence(mask, N, N),
        (err: unknown) =>
          err instanceof UnknownForegroundError && err instanceof UnprocessableOptionError && err.code === 'unknown_foreground' && /^No foreground .*\.$/.test(err.message),
      );
    }
  });

  it('a clean disc scores high', () => {
    const c = maskConfidence(disc(80), N, N);
    assert.ok(c > 0.9 && c <= 1, `clean disc: ${c}`);
  });

  it('a noisy, fragmented mask scores lower than a clean one', () => {
    const clean = maskConfidence(disc(80), N, N);
    const soft = maskConfidence(disc(80, 40), N, N);
    const rnd = random(7);
    const noisy = disc(60).map((v) => (v > 0 ? v : rnd() < 0.15 ? Math.floor(rnd() * 256) : 0));
    const speckled = maskConfidence(noisy, N, N);
    assert.ok(soft < clean - 0.3, `wide soft edge ${soft} vs clean ${clean}`);
    assert.ok(speckled < clean - 0.3, `noise around the subject ${speckled} vs clean ${clean}`);
  });

  it('finds the largest 4-connected region exactly as a flood fill does', () => {
    /** The reference: every pixel's neighbours visited from a stack. */
    const largestByFlood = (m: Uint8Array, w: number): number => {
      const seen = new Uint8Array(m.length);
      let best = 0;
      for (let s = 0; s < m.length; s++) {
        if (m[s]! < 128 || seen[s]) continue;
        const stack = [s];
        seen[s] = 1;
        let size = 0;
        while (stack.length) {
          const p = stack.pop()!;
          size++;
          const near = [p % w > 0 ? p - 1 : -1, p % w < w - 1 ? p + 1 : -1, p - w, p + w];
          for (const q of near) {
            if (q < 0 || q >= m.length || m[q]! < 128 || seen[q]) continue;
            seen[q] = 1;
            stack.push(q);
          }
        }
        best = Math.max(best, size);
      }
      return best;
    };
    const rnd = random(11);
    const cases: [string, Uint8Array, number, number][] = [
      ['disc', disc(80), N, N],
      ['noise 50%', Uint8Array.from({ length: 97 * 61 }, () => (rnd() < 0.5 ? 200 : 20)), 97, 61],
      ['noise 60%', Uint8Array.from({ length: 64 * 64 }, () => (rnd() < 0.6 ? 255 : 0)), 64, 64],
      // Diagonal neighbours only: 4-connectivity keeps every pixel apart.
      ['checkerboard', Uint8Array.from({ length: 40 * 30 }, (_, i) => ((i % 40) + Math.floor(i / 40)) % 2 ? 255 : 0), 40, 30],
      // A comb: separate teeth joined by the bottom row, and a U that meets only at its base.
      ['comb', Uint8Array.from({ length: 30 * 20 }, (_, i) => (i >= 30 * 19 || (i % 30) % 3 === 0 ? 255 : 0)), 30, 20],
      ['U', Uint8Array.from({ length: 9 * 9 }, (_, i) => (i % 9 === 1 || i % 9 === 7 || (i >= 72 && i % 9 >= 1 && i % 9 <= 7) ? 255 : 0)), 9, 9],
      ['one column', Uint8Array.from({ length: 50 }, (_, i) => (i === 20 ? 0 : 255)), 1, 50],
      ['one row', Uint8Array.from({ length: 50 }, (_, i) => (i === 20 ? 0 : 255)), 50, 1],
    ];
    for (const [name, m, w, h] of cases) {
      const area = m.reduce((n, v) => n + (v >= 128 ? 1 : 0), 0);
      const unsure = m.reduce((n, v) => n + (v >= 16 && v < 240 ? 1 : 0), 0);
      const s = maskStats(m, w, h);
      assert.equal(Math.round(s.largest * area), largestByFlood(m, w), name);
      assert.equal(s.subject, area / m.length, name);
      assert.equal(s.uncertain, unsure / Math.max(1, area), name);
    }
  });
});
