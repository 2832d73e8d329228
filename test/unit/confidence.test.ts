// The confidence score, from the mask alone: no subject is an error; a clean subject scores high;
// a noisy, fragmented one scores lower.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { maskConfidence } from '../../src/cutout/confidence.js';
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
});
