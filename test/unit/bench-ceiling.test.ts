// The bench's burst ceiling (tools/bench/bare.ts): how much a burst can beat the bare pipeline
// one photo after another, given how many cores the model and the work around it keep busy.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { burstCeiling } from '../../tools/bench/bare.js';

describe('bench: burst ceiling', () => {
  it('leaves only the work around the model to gain when the model keeps every core busy', () => {
    // 1600 ms on 2 cores + 200 ms on 1: 3400 ms of CPU a photo, 1700 ms a photo on 2 cores at best.
    assert.equal(burstCeiling(2, 1600, 2, 200, 1), 1800 / 1700);
    assert.equal(burstCeiling(2, 1600, 1.96, 0, 1), 2 / 1.96);
  });

  it('doubles when the model keeps one core of two busy and nothing is around it', () => {
    assert.equal(burstCeiling(2, 1000, 1, 0, 1), 2);
  });

  it('counts no more cores than the machine has', () => {
    assert.equal(burstCeiling(2, 1000, 3, 100, 4), 1);
  });
});
