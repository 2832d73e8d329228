import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Job } from 'bullmq';
import { CANCELED_REASON, isJobId, statusFromState, type JobData } from '../../src/jobs/contract.js';
import { toView } from '../../src/jobs/status-rules.js';

const job = (over: Partial<Job<JobData>> = {}) =>
  ({
    id: '3f0c8f0e-6a4e-4b8e-9a57-2a9c1f3b6d21',
    data: { requestId: 'r', filename: 'a.jpg', format: 'jpeg', bytes: 10, width: 4, height: 3 },
    timestamp: Date.UTC(2026, 0, 1),
    attemptsMade: 0,
    progress: 0,
    failedReason: '',
    ...over,
  }) as unknown as Job<JobData>;

describe('status mapping', () => {
  it('maps every BullMQ state to one of the public statuses', () => {
    for (const s of ['waiting', 'wait', 'delayed', 'prioritized', 'paused', 'waiting-children']) assert.equal(statusFromState(s), 'queued', s);
    assert.equal(statusFromState('active'), 'processing');
    assert.equal(statusFromState('completed'), 'done');
    assert.equal(statusFromState('failed'), 'failed');
    assert.equal(statusFromState('unknown'), null);
  });

  it('shows progress while processing and the reason when failed', () => {
    const active = toView(job({ progress: { stage: 'inference', percent: 12 }, processedOn: Date.UTC(2026, 0, 1, 0, 0, 1) }), 'active');
    assert.equal(active?.status, 'processing');
    assert.deepEqual(active?.progress, { stage: 'inference', percent: 12 });
    assert.equal(active?.started_at, '2026-01-01T00:00:01.000Z');
    const failed = toView(job({ failedReason: 'The PNG file is damaged.', finishedOn: Date.UTC(2026, 0, 1, 0, 0, 2) }), 'failed');
    assert.equal(failed?.status, 'failed');
    assert.equal(failed?.error, 'The PNG file is damaged.');
    assert.equal(failed?.finished_at, '2026-01-01T00:00:02.000Z');
    assert.equal(toView(job({ failedReason: CANCELED_REASON }), 'failed')?.status, 'canceled');
    assert.equal(toView(job(), 'unknown'), null);
  });

  it('accepts only UUID v4 job ids', () => {
    assert.ok(isJobId('3f0c8f0e-6a4e-4b8e-9a57-2a9c1f3b6d21'));
    for (const bad of ['1', '../../etc/passwd', '3f0c8f0e-6a4e-1b8e-9a57-2a9c1f3b6d21', '3F0C8F0E-6A4E-4B8E-9A57-2A9C1F3B6D21x']) assert.ok(!isJobId(bad), bad);
  });
});
