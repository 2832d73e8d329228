// Lanes (a queue per model): their names, where a job goes, and what a worker loads and serves.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig, pipelineOptions } from '../../src/config.js';
import { laneFor, lanesOf, workerModels } from '../../src/jobs/lanes.js';
import { queueSettings } from '../../src/jobs/queue-settings.js';

describe('lanes', () => {
  it('the default model keeps the queue\'s own name; another model\'s lane is <queue>.<model>', () => {
    assert.deepEqual(lanesOf('remove-bg', ['isnet-general-use', 'u2netp']), [
      { model: 'isnet-general-use', name: 'remove-bg', isDefault: true },
      { model: 'u2netp', name: 'remove-bg.u2netp', isDefault: false },
    ]);
    assert.deepEqual(queueSettings(loadConfig({})).lanes, [{ model: 'isnet-general-use', name: 'remove-bg', isDefault: true }], 'one model: the queue as it always was');
  });

  it('a job goes to its model\'s lane; one naming no model (or none with a lane) to the default\'s', () => {
    const lanes = lanesOf('q', ['a', 'b']);
    assert.equal(laneFor(lanes, 'b').name, 'q.b');
    assert.equal(laneFor(lanes, undefined).name, 'q');
    assert.equal(laneFor(lanes, 'c').name, 'q');
  });

  it('in a Redis Cluster every lane is under the queue\'s hash tag (one slot)', () => {
    const settings = queueSettings(loadConfig({ REDIS_CLUSTER_NODES: '127.0.0.1:7000', MODELS: 'isnet-general-use,u2netp' }));
    assert.equal(settings.keys.bullPrefix, 'bull:{remove-bg}');
    assert.deepEqual(settings.lanes.map((l) => l.name), ['remove-bg', 'remove-bg.u2netp']);
  });

  it('a worker loads WORKER_MODELS (in MODELS order), or all of MODELS; one not in MODELS is refused', () => {
    const all = loadConfig({ MODELS: 'isnet-general-use,u2netp,silueta' });
    assert.deepEqual(workerModels(all), ['isnet-general-use', 'u2netp', 'silueta']);
    const some = loadConfig({ MODELS: 'isnet-general-use,u2netp,silueta', WORKER_MODELS: 'silueta, isnet-general-use' });
    assert.deepEqual(workerModels(some), ['isnet-general-use', 'silueta']);
    assert.deepEqual(pipelineOptions(some).models, ['isnet-general-use', 'silueta']);
    assert.throws(() => loadConfig({ MODELS: 'isnet-general-use', WORKER_MODELS: 'u2netp' }), (err: unknown) => err instanceof ConfigError && /WORKER_MODELS lists u2netp, not in MODELS/.test(err.message));
  });
});
