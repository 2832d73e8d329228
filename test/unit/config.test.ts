import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.js';

describe('config', () => {
  it('has defaults that make the local demo work', () => {
    const c = loadConfig({});
    assert.equal(c.REDIS_URL, 'redis://127.0.0.1:6379');
    assert.equal(c.PORT, 8000);
    assert.equal(c.DATA_DIR, path.resolve('./data'));
    assert.equal(c.MODEL_DIR, path.resolve('./data/models'));
    assert.deepEqual(c.MODELS, ['isnet-general-use']);
    assert.equal(c.WORKER_CONCURRENCY, 1);
    assert.equal(c.MAX_UPLOAD_BYTES, 25 * 1024 * 1024);
    assert.equal(c.MAX_IMAGE_PIXELS, 50_000_000);
    assert.equal(c.JOB_ATTEMPTS, 3);
    assert.equal(c.RESULT_TTL_MINUTES, 60);
    assert.ok(c.INFERENCE_THREADS >= 1);
  });

  it('parses values from the environment', () => {
    const c = loadConfig({ PORT: '9000', MODELS: 'isnet-quint8, u2netp', WORKER_CONCURRENCY: '2', CORS_ORIGINS: 'https://a.example, https://b.example', LOG_PRETTY: 'false' });
    assert.equal(c.PORT, 9000);
    assert.deepEqual(c.MODELS, ['isnet-quint8', 'u2netp']);
    assert.equal(c.WORKER_CONCURRENCY, 2);
    assert.deepEqual(c.CORS_ORIGINS, ['https://a.example', 'https://b.example']);
    assert.equal(c.LOG_PRETTY, false);
  });

  for (const [key, value] of [
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['REDIS_URL', 'not a url'],
    ['MODELS', 'u2net-banana'],
    ['MODELS', 'u2net,u2net'],
    ['MODELS', ' , '],
    ['WORKER_CONCURRENCY', '0'],
    ['WORKER_NICE', '20'],
    ['WORKER_NICE', '-5'],
    ['INFERENCE_THREADS', '1.5'],
    ['PIXEL_THREADS', '-1'],
    ['PIXEL_THREADS', '17'],
    ['LOG_LEVEL', 'loud'],
    ['STORAGE', 'ftp'],
    ['S3_ENDPOINT', 'minio:9000'],
    ['S3_BUCKET', 'Has_Capitals'],
    ['S3_PREFIX', '/cutout'],
    ['RESULT_DELIVERY', 'email'],
    ['RESULT_URL_TTL_SECONDS', '0'],
  ] as const) {
    it(`rejects ${key}=${value} with a message naming the variable`, () => {
      assert.throws(() => loadConfig({ [key]: value }), (err: Error) => {
        assert.ok(err instanceof ConfigError);
        assert.match(err.message, new RegExp(`${key}=`));
        return true;
      });
    });
  }

  it('requires a path and a checksum for a custom model', () => {
    assert.throws(() => loadConfig({ MODELS: 'custom' }), /MODEL_PATH/);
    assert.throws(() => loadConfig({ MODELS: 'isnet-general-use,custom', MODEL_PATH: '/m.onnx', MODEL_SHA256: 'abc' }), /MODEL_SHA256/);
  });

  it('says that MODEL is now MODELS, instead of ignoring it', () => {
    assert.throws(() => loadConfig({ MODEL: 'isnet-quint8' }), /MODEL is now MODELS/);
  });

  it('runs the model unless told otherwise; ENGINE=removebg names what it is missing, never echoing the key', () => {
    assert.equal(loadConfig({}).ENGINE, 'local');
    assert.throws(() => loadConfig({ ENGINE: 'removebg' }), (err: Error) => err instanceof ConfigError && /REMOVEBG_API_URL/.test(err.message) && /REMOVEBG_API_KEY/.test(err.message));
    assert.throws(
      () => loadConfig({ ENGINE: 'removebg', REMOVEBG_API_KEY: 'sk-secret-123' }),
      (err: Error) => err instanceof ConfigError && /needs REMOVEBG_API_URL/.test(err.message) && !err.message.includes('sk-secret-123'),
    );
    assert.throws(() => loadConfig({ ENGINE: 'removebg', REMOVEBG_API_URL: 'ftp://x/v1.0', REMOVEBG_API_KEY: 'k' }), /REMOVEBG_API_URL/);
    const c = loadConfig({ ENGINE: 'removebg', REMOVEBG_API_URL: 'https://api.remove.bg/v1.0', REMOVEBG_API_KEY: 'k' });
    assert.deepEqual([c.ENGINE, c.REMOVEBG_TIMEOUT_SECONDS], ['removebg', 60]);
  });

  it('stores on the filesystem and streams results unless told otherwise', () => {
    const c = loadConfig({});
    assert.equal(c.STORAGE, 'fs');
    assert.equal(c.RESULT_DELIVERY, 'proxy');
    assert.equal(c.S3_BUCKET, '');
  });

  it('names what STORAGE=s3 is missing, and what redirect needs', () => {
    assert.throws(() => loadConfig({ STORAGE: 's3' }), /STORAGE=s3 needs S3_BUCKET/);
    assert.throws(() => loadConfig({ STORAGE: 's3', S3_BUCKET: 'cutout', S3_ACCESS_KEY_ID: 'k' }), /needs S3_SECRET_ACCESS_KEY/);
    assert.throws(() => loadConfig({ STORAGE: 's3', S3_BUCKET: 'cutout', S3_SECRET_ACCESS_KEY: 's' }), /needs S3_ACCESS_KEY_ID/);
    assert.throws(() => loadConfig({ RESULT_DELIVERY: 'redirect' }), /RESULT_DELIVERY=redirect needs STORAGE=s3/);
    const c = loadConfig({
      STORAGE: 's3', S3_BUCKET: 'cutout', S3_ENDPOINT: 'http://minio:9000', S3_FORCE_PATH_STYLE: 'true', S3_PREFIX: 'prod/cutout/', RESULT_DELIVERY: 'redirect',
    });
    assert.equal(c.S3_FORCE_PATH_STYLE, true);
    assert.equal(c.S3_PREFIX, 'prod/cutout/');
    assert.equal(c.RESULT_URL_TTL_SECONDS, 300);
    assert.doesNotThrow(() => loadConfig({ STORAGE: 's3', S3_BUCKET: 'cutout' }), 'no keys: the SDK\'s default credentials');
  });
});
