// The capacity arithmetic behind the README's "Capacity" table (tools/capacity.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { erlangC, p95WaitSeconds, plan } from '../../tools/capacity.js';

describe('capacity on paper', () => {
  it('matches the textbook cases: one worker waits with probability ρ; overload waits forever', () => {
    assert.ok(Math.abs(erlangC(1, 0.6) - 0.6) < 1e-12);
    // M/M/1: P(wait > t) = ρ·e^-(μ-λ)t, so the p95 wait is ln(ρ/0.05)/(μ-λ)
    assert.ok(Math.abs(p95WaitSeconds(1, 0.3, 0.5) - Math.log(0.6 / 0.05) / 0.2) < 1e-9);
    // Erlang C for 2 servers at a = 1: 1/3
    assert.ok(Math.abs(erlangC(2, 1) - 1 / 3) < 1e-12);
    assert.equal(p95WaitSeconds(2, 1, 0.5), Infinity);
    assert.equal(p95WaitSeconds(50, 1, 0.5), 0, 'few jobs wait at all');
  });

  it('gives the README\'s rows: 100k, 1M and 10M images a day at a p95 wait of 5 s, 2× peak', () => {
    const rows = [1e5, 1e6, 1e7].map((perDay) => plan({ perDay, p95Wait: 5, peak: 2, perWorker: 0.365, busy: 0.8 }));
    assert.deepEqual(rows.map((r) => [r.workers, r.workersAtBusy]), [[8, 8], [65, 80], [636, 793]]);
    assert.ok(rows.every((r) => p95WaitSeconds(r.workers, r.peakRate, 0.365) <= 5 && p95WaitSeconds(r.workers - 1, r.peakRate, 0.365) > 5));
  });
});
