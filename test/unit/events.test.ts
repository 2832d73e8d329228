import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { eventFromFound, eventFromView, type JobEvent } from '../../src/api/events-hub.js';
import { jobExpired } from '../../src/errors.js';
import { expiredTombstone } from '../../src/jobs/status-rules.js';
import { EventSequencer } from '../../src/api/services/event-streams.js';

const id = '3f0c8f0e-6a4e-4b8e-9a57-2a9c1f3b6d21';
const progress = (percent: number): JobEvent => ({ type: 'progress', data: { job_id: id, status: 'processing', stage: 'inference', percent } });
const queued = (position: number): JobEvent => ({ type: 'queued', data: { job_id: id, status: 'queued', position } });
const done: JobEvent = { type: 'done', data: { job_id: id, status: 'done', result_url: `/result/${id}` } };

describe('event sequencing', () => {
  it('never goes back, drops repeats, ends after a terminal event', () => {
    const s = new EventSequencer();
    const sent = [queued(3), queued(3), queued(2), progress(5), queued(1), progress(5), progress(4), progress(60), done, progress(99), done]
      .map((e) => s.next(e))
      .filter((x) => x !== null);
    assert.deepEqual(
      sent.map((x) => [x.event.type, x.event.data.position ?? x.event.data.percent ?? null, x.id]),
      [['queued', 3, '1'], ['queued', 2, '2'], ['progress', 5, '3'], ['progress', 60, '4'], ['done', null, 'final']],
    );
  });

  it('builds the first event from the status view', () => {
    const base = { job_id: id, filename: 'a.jpg', width: 1, height: 1, created_at: '2026-01-01T00:00:00.000Z', attempts: 0 };
    assert.deepEqual(eventFromView({ ...base, status: 'queued', position: 2, eta_seconds: 7 }, 'u'), { type: 'queued', data: { job_id: id, status: 'queued', position: 2, eta_seconds: 7 } });
    assert.equal(eventFromView({ ...base, status: 'processing' }, 'u').data.percent, 0);
    assert.equal(eventFromView({ ...base, status: 'done' }, '/result/x').data.result_url, '/result/x');
    assert.equal('result_version' in eventFromView({ ...base, status: 'done', result_version: 1 }, 'u').data, false, 'the model\'s result: no version');
    assert.equal(eventFromView({ ...base, status: 'done', result_version: 3 }, 'u').data.result_version, 3, 'an edited result names its version');
    assert.equal(eventFromView({ ...base, status: 'failed', error: 'Bad.' }, 'u').data.error, 'Bad.');
    assert.equal(eventFromView({ ...base, status: 'canceled' }, 'u').type, 'canceled');
  });

  it('an expired job ends with a terminal expired event: its last status and why', () => {
    const base = { job_id: id, filename: 'a.jpg', width: 4, height: 3, created_at: '2026-01-01T00:00:00.000Z', attempts: 1 };
    const event = eventFromFound(expiredTombstone({ ...base, status: 'done' }), '/result/x', 60);
    assert.deepEqual(event, { type: 'expired', data: { job_id: id, status: 'done', error: jobExpired(60).message } });
    assert.equal(new EventSequencer().next(event)?.id, 'final');
    const canceled = eventFromFound({ reason: 'canceled', view: { ...base, status: 'canceled' } }, 'u', 60);
    assert.equal(canceled.type, 'canceled');
  });
});
