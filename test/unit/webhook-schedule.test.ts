// Webhook deliveries: at least 5 attempts, on an exponential schedule with jitter (computed by
// BullMQ's own backoff code from the job options the queue gives each delivery), and the secret's
// `whsec_` form checked at start.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Backoffs, type MinimalJob } from 'bullmq';
import { loadConfig } from '../../src/config.js';
import { webhookJobOptions, webhookSettings } from '../../src/jobs/webhooks.js';

const optionsFor = (env: Record<string, string>) => webhookJobOptions(webhookSettings(loadConfig({ LOG_LEVEL: 'silent', ...env })));

/** The delay BullMQ waits before retry number `attempt` (1-based), for these job options. */
function delayBefore(opts: ReturnType<typeof optionsFor>, attempt: number): number {
  const backoff = Backoffs.normalize(opts.backoff!)!;
  return Number(Backoffs.calculate(backoff, attempt, new Error('500'), {} as MinimalJob));
}

describe('webhook delivery schedule', () => {
  it('tries at least 5 times: the default is 8, and fewer than 5 is refused at start', () => {
    assert.equal(optionsFor({}).attempts, 8);
    assert.equal(optionsFor({ WEBHOOK_ATTEMPTS: '5' }).attempts, 5);
    assert.throws(() => loadConfig({ WEBHOOK_ATTEMPTS: '4' }), /WEBHOOK_ATTEMPTS/);
  });

  it('backs off exponentially from WEBHOOK_BACKOFF_SECONDS, each delay jittered within ±50% of its step', () => {
    const opts = optionsFor({ WEBHOOK_BACKOFF_SECONDS: '10' });
    for (let attempt = 1; attempt <= 7; attempt++) {
      const step = 10_000 * 2 ** (attempt - 1);
      const delays = Array.from({ length: 200 }, () => delayBefore(opts, attempt));
      for (const d of delays) assert.ok(d >= step * 0.5 && d <= step, `retry ${attempt}: ${d} ms outside [${step * 0.5}, ${step}]`);
      // Jittered: receivers that failed together are not all retried at the same moment.
      assert.ok(new Set(delays).size > 50, `retry ${attempt}: ${new Set(delays).size} distinct delays of 200`);
    }
  });

  it('takes a secret only in the Standard Webhooks form (whsec_ + base64 of 24+ bytes)', () => {
    const good = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
    assert.equal(loadConfig({ WEBHOOK_SECRET: good }).WEBHOOK_SECRET, good);
    for (const bad of [Buffer.alloc(32, 7).toString('base64'), `whsec_${Buffer.alloc(16, 7).toString('base64')}`, 'whsec_not base64!']) {
      assert.throws(() => loadConfig({ WEBHOOK_SECRET: bad }), /WEBHOOK_SECRET/, bad);
    }
  });
});
