// The status script reads BullMQ's keys directly: it is pinned to the BullMQ version it was checked with.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { BULLMQ_VERSION_CHECKED, STATUS_LUA, STATUS_SCRIPT_KEYS, STATUS_SCRIPT_LANE_KEYS } from '../../src/jobs/status-script.js';
import { ROOT } from '../helpers/fixtures.js';

describe('status script', () => {
  it('was checked against the BullMQ version in package-lock.json', () => {
    const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { version?: string }>;
    };
    const installed = lock.packages['node_modules/bullmq']?.version;
    assert.equal(
      installed,
      BULLMQ_VERSION_CHECKED,
      `BullMQ is now ${installed}, but src/jobs/status-script.ts was checked against ${BULLMQ_VERSION_CHECKED}. ` +
        'Re-check the key layout the script reads (the wait, paused, active, prioritized, delayed, completed and failed ' +
        'keys, and the job hash fields Job.fromJSON reads), run test/integration/queue.test.ts, then update BULLMQ_VERSION_CHECKED.',
    );
  });

  it('reads every key it names, in order: the shared ones, then each lane\'s', () => {
    STATUS_SCRIPT_KEYS.forEach((_, i) => assert.match(STATUS_LUA, new RegExp(`KEYS\\[${i + 1}\\]`)));
    assert.match(STATUS_LUA, new RegExp(`for base = ${STATUS_SCRIPT_KEYS.length + 1}, #KEYS, PER_LANE`));
    assert.match(STATUS_LUA, new RegExp(`PER_LANE = ${STATUS_SCRIPT_LANE_KEYS.length}\\b`));
    assert.match(STATUS_LUA, /KEYS\[base\]/);
    STATUS_SCRIPT_LANE_KEYS.slice(1).forEach((_, i) => assert.match(STATUS_LUA, new RegExp(`KEYS\\[base \\+ ${i + 1}\\]`)));
    assert.doesNotMatch(STATUS_LUA, new RegExp(`KEYS\\[base \\+ ${STATUS_SCRIPT_LANE_KEYS.length}\\]`));
  });
});
