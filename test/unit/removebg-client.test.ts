import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { engineBaseUrl, retryAfterMs } from '../../src/cutout/removebg-client.js';

describe('the external engine client', () => {
  it('takes the base URL with or without /removebg', () => {
    assert.equal(engineBaseUrl('https://api.remove.bg/v1.0'), 'https://api.remove.bg/v1.0');
    assert.equal(engineBaseUrl('https://api.remove.bg/v1.0/'), 'https://api.remove.bg/v1.0');
    assert.equal(engineBaseUrl('http://cutout:8000/v1.0/removebg/'), 'http://cutout:8000/v1.0');
  });

  it('reads Retry-After in seconds or as a date, capped at an hour', () => {
    const now = Date.parse('2026-11-23T12:00:00Z');
    assert.equal(retryAfterMs('3', now), 3000);
    assert.equal(retryAfterMs(['5'], now), 5000);
    assert.equal(retryAfterMs('Mon, 23 Nov 2026 12:00:30 GMT', now), 30_000);
    assert.equal(retryAfterMs('Mon, 23 Nov 2026 11:00:00 GMT', now), 0);
    assert.equal(retryAfterMs('86400', now), 3600_000);
    assert.equal(retryAfterMs(undefined, now), undefined);
    assert.equal(retryAfterMs('soon', now), undefined);
  });
});
