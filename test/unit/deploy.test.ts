// docker-compose.yml, the Dockerfile and .env.example, checked against the code.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { readCompose } from '../helpers/compose.js';
import { configSchema, loadConfig } from '../../src/config.js';
import { readDockerfile } from '../helpers/dockerfile.js';
import { ROOT } from '../helpers/fixtures.js';

interface Service {
  profiles?: string[];
  entrypoint?: string[];
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  restart?: string;
  stop_grace_period?: string;
  build?: { target: string };
  ports?: string[];
  container_name?: string;
}
const compose = readCompose<{
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
}>();
const known = new Set(Object.keys(configSchema.shape));
const seconds = (d: string) => Number(/^(\d+)s$/.exec(d)?.[1] ?? (/^(\d+)m$/.exec(d) ? Number(/^(\d+)m$/.exec(d)![1]) * 60 : NaN));

describe('docker-compose.yml', () => {
  const { redis, api, worker } = compose.services;

  it('has redis, api and worker; MinIO and its setup only behind the s3 profile', () => {
    assert.deepEqual(Object.keys(compose.services).sort(), ['api', 'minio', 'minio-setup', 'redis', 'worker']);
    for (const name of ['api', 'redis', 'worker']) assert.equal(compose.services[name]!.profiles, undefined, `${name} always runs`);
    for (const name of ['minio', 'minio-setup']) assert.deepEqual(compose.services[name]!.profiles, ['s3'], `${name}: --profile s3`);
  });

  it('sets only variables the config schema knows, and they parse', () => {
    for (const name of ['api', 'worker'] as const) {
      const env = compose.services[name]!.environment ?? {};
      for (const key of Object.keys(env)) assert.ok(known.has(key), `${name}: ${key} is not a config variable`);
      assert.equal(env.REDIS_URL, 'redis://redis:6379', `${name} reaches the redis service`);
      assert.ok(env.DATA_DIR, `${name} sets DATA_DIR`);
      assert.doesNotThrow(() => loadConfig(env), `${name}'s environment is valid`);
    }
    assert.equal(api!.environment!.HOST, '0.0.0.0');
  });

  it('keeps Redis persistent: append-only on a named volume, with a healthcheck', () => {
    assert.ok(redis!.image?.startsWith('redis:'));
    const cmd = redis!.command!.join(' ');
    assert.match(cmd, /--appendonly yes/);
    assert.ok(redis!.volumes?.some((v) => /^[\w-]+:\/data$/.test(v) && v.split(':')[0]! in compose.volumes), 'named volume at /data');
    assert.deepEqual(redis!.healthcheck?.test, ['CMD', 'redis-cli', 'ping']);
  });

  it('api and worker share the data volume at DATA_DIR, wait for healthy Redis, restart', () => {
    for (const s of [api!, worker!]) {
      const vol = s.volumes?.find((v) => v.endsWith(`:${s.environment!.DATA_DIR}`));
      assert.ok(vol, 'a volume at DATA_DIR');
      assert.ok(vol.split(':')[0]! in compose.volumes);
      assert.equal(s.depends_on?.redis?.condition, 'service_healthy');
      assert.ok(s.restart && s.restart !== 'no');
    }
    assert.equal(api!.volumes![0], worker!.volumes![0]);
    assert.deepEqual(api!.ports, ['8000:8000']);
    assert.match(api!.healthcheck!.test.join(' '), /\/health/);
  });

  it('lets the worker finish a job before Docker kills it, and scale', () => {
    assert.ok(seconds(worker!.stop_grace_period!) > Number(worker!.environment!.SHUTDOWN_GRACE_SECONDS));
    assert.equal(worker!.ports, undefined, 'no fixed ports: --scale worker=3 works');
    assert.equal(worker!.container_name, undefined);
  });
});

describe('docker-compose.s3.yml (with --profile s3)', () => {
  // Compose's `!reset` empties a list the base file set; here it parses as an empty list.
  const reset = { tag: '!reset', collection: 'seq' as const, resolve: () => [] };
  const override = readCompose<{ services: Record<string, Service> }>('docker-compose.s3.yml', { customTags: [reset] });
  const defaults = (env: Record<string, unknown> = {}) =>
    Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v).replace(/\$\{\w+:-([^}]*)\}/g, '$1')]));
  const { minio, 'minio-setup': setup } = compose.services;

  it('points api and workers at the MinIO bucket the setup makes, with settings the config accepts', () => {
    const setupEnv = defaults(setup!.environment);
    for (const name of ['api', 'worker'] as const) {
      const own = defaults(override.services[name]!.environment);
      for (const key of Object.keys(own)) assert.ok(known.has(key), `${name}: ${key} is not a config variable`);
      const env = { ...defaults(compose.services[name]!.environment), ...own };
      const config = loadConfig(env);
      assert.equal(config.STORAGE, 's3');
      assert.equal(config.S3_BUCKET, setupEnv.BUCKET, `${name} uses the bucket minio-setup makes`);
      assert.equal(config.S3_ACCESS_KEY_ID, setupEnv.APP_KEY, `${name} uses the key minio-setup creates`);
      assert.equal(config.S3_SECRET_ACCESS_KEY, setupEnv.APP_SECRET);
      assert.equal(new URL(config.S3_ENDPOINT).host, 'minio:9000', `${name} reaches the minio service`);
      assert.equal(config.S3_FORCE_PATH_STYLE, true);
    }
  });

  it('shares no volume between api and workers, and waits for the bucket', () => {
    for (const name of ['api', 'worker'] as const) {
      assert.deepEqual(override.services[name]!.volumes, [], `${name}: the data volume is reset`);
      assert.equal(override.services[name]!.depends_on?.['minio-setup']?.condition, 'service_completed_successfully');
    }
    assert.deepEqual(Object.keys(override.services).sort(), ['api', 'worker'], 'it only rewires api and worker');
  });

  it('runs MinIO on a named volume with a healthcheck, and a one-shot setup: bucket, app user, lifecycle rule', () => {
    assert.match(minio!.image!, /^minio\/minio:/);
    assert.ok(minio!.volumes?.some((v) => v.split(':')[0]! in compose.volumes));
    assert.ok(minio!.ports?.includes('9000:9000'), 'the S3 port is published (RESULT_DELIVERY=redirect)');
    assert.ok(minio!.healthcheck?.test.length);
    assert.match(setup!.image!, /^minio\/mc:/);
    assert.equal(setup!.depends_on?.minio?.condition, 'service_healthy');
    assert.equal(setup!.restart, 'no');
    const script = (setup!.command ?? []).join('\n');
    for (const step of [/mc mb --ignore-existing/, /mc admin user add/, /mc ilm rule add --expire-days \d+/]) assert.match(script, step);
  });
});

describe('Dockerfile', () => {
  const stages = readDockerfile(path.join(ROOT, 'Dockerfile'));

  it('has api and worker targets on a pinned slim Node LTS, non-root, production', () => {
    const text = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
    assert.match(text, /ARG NODE_MAJOR=(20|22|24)\n/);
    for (const name of ['api', 'worker']) {
      const s = stages.get(name)!;
      assert.ok(s, `target ${name}`);
      assert.equal(s.env.NODE_ENV, 'production');
      assert.ok(s.cmd?.[0] === 'node', `${name} CMD runs node`);
      assert.equal(compose.services[name]!.build!.target, name);
    }
    assert.match(text, /FROM node:\$\{NODE_MAJOR\}-bookworm-slim/);
    assert.equal((text.match(/^USER node$/gm) ?? []).length, 2);
    assert.match(text, /COPY package.json package-lock.json .npmrc/);
  });

  it('copies only files that exist in the context or after npm run build', () => {
    const dist = path.join(ROOT, 'dist');
    assert.ok(fs.existsSync(path.join(dist, 'api/main.js')), 'run npm run build first (npm test does)');
    for (const s of stages.values()) {
      for (const c of s.copies) {
        for (const src of c.sources) {
          if (c.from === 'models') continue; // produced inside the image by prepare-model (checked below)
          const local = c.from ? path.join(ROOT, src.replace(/^\/app\//, '')) : path.join(ROOT, src);
          assert.ok(fs.existsSync(local), `${s.name}: COPY ${c.from ? `--from=${c.from} ` : ''}${src} (${local})`);
        }
      }
      if (s.cmd) {
        const script = s.cmd.find((a) => a.endsWith('.js'));
        if (script) assert.ok(fs.existsSync(path.join(ROOT, script)), `${s.name}: CMD file ${script} is built`);
      }
    }
    assert.ok(fs.existsSync(path.join(ROOT, 'dist/worker/prepare-model.js')));
  });

  it('.dockerignore keeps node_modules, data, test output, git and the dev tools out', () => {
    const ignore = fs.readFileSync(path.join(ROOT, '.dockerignore'), 'utf8').split('\n');
    for (const p of ['node_modules', 'data', 'test-output', '.git', 'dist', 'tools', 'dist-tools']) assert.ok(ignore.includes(p), p);
  });

  it('copies no dev tool: tools/ is neither in the context nor in dist/', () => {
    for (const s of stages.values()) {
      for (const c of s.copies) {
        if (c.from) continue;
        for (const src of c.sources) assert.ok(!/^(\.\/)?(dist-)?tools\b/.test(src), `${s.name}: COPY ${src}`);
      }
    }
    for (const gone of ['bench', 'demo', 'redis']) assert.ok(!fs.existsSync(path.join(ROOT, 'dist', gone)), `dist/${gone} (now in tools/)`);
  });
});

describe('.env.example', () => {
  it('lists every config variable, and nothing else', () => {
    const keys = fs
      .readFileSync(path.join(ROOT, '.env.example'), 'utf8')
      .split('\n')
      .map((l) => /^([A-Z0-9_]+)=/.exec(l)?.[1])
      .filter(Boolean)
      .sort();
    assert.deepEqual(keys, [...known].sort());
  });
});
