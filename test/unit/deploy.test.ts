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

  it('has redis, api and worker', () => {
    assert.deepEqual(Object.keys(compose.services).sort(), ['api', 'redis', 'worker']);
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
