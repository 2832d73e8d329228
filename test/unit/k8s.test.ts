// deploy/k8s checked without a cluster, against its schemas and against the code: the settings it
// passes, the ports and probe paths the processes serve, the images the Dockerfile builds.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { buildApp } from '../../src/api/app.js';
import { configSchema, loadConfig } from '../../src/config.js';
import { createRegistry } from '../../src/metrics.js';
import { FsBlobStore } from '../../src/storage/fs-store.js';
import { startHealthServer } from '../../src/worker/health-server.js';
import { freePort } from '../../tools/local-redis.js';
import { readCompose } from '../helpers/compose.js';
import { readDockerfile } from '../helpers/dockerfile.js';
import { fakeQueue } from '../helpers/fake-queue.js';
import { ROOT } from '../helpers/fixtures.js';
import {
  containersOf,
  findObject,
  K8S_DIR,
  kubectlKustomize,
  podEnv,
  podSpecOf,
  renderKustomization,
  schemaProblems,
  type Container,
  type K8sObject,
} from '../helpers/k8s.js';

const base = renderKustomization(path.join(K8S_DIR, 'base'));
const example = renderKustomization(path.join(K8S_DIR, 'overlays/example'));
const find = findObject;
const api = find(example, 'Deployment', 'cutout-api');
const worker = find(example, 'Deployment', 'cutout-worker');
const [apiC] = containersOf(api) as [Container];
const [workerC] = containersOf(worker) as [Container];
const known = new Set(Object.keys(configSchema.shape));

const envOf = podEnv;
const mib = (q: string) => {
  const m = /^(\d+(?:\.\d+)?)(Mi|Gi)$/.exec(q);
  assert.ok(m, `a memory quantity in Mi or Gi: ${q}`);
  return Number(m[1]) * (m[2] === 'Gi' ? 1024 : 1);
};

describe('deploy/k8s: every object parses and fits its schema', () => {
  it('the base and the example overlay render, and each object is valid (Kubernetes and KEDA schemas, offline)', () => {
    for (const objects of [base, example]) {
      assert.ok(objects.length >= 8);
      assert.deepEqual(objects.flatMap(schemaProblems), []);
    }
    const kinds = example.map((o) => `${o.kind}/${o.metadata.name}`).sort();
    for (const k of ['Deployment/cutout-api', 'Service/cutout-api', 'HorizontalPodAutoscaler/cutout-api', 'PodDisruptionBudget/cutout-api',
      'Deployment/cutout-worker', 'ScaledObject/cutout-worker', 'TriggerAuthentication/cutout-redis', 'PodDisruptionBudget/cutout-worker',
      'ConfigMap/cutout-config', 'Secret/cutout']) assert.ok(kinds.includes(k), k);
    assert.ok(example.every((o) => o.kind === 'Namespace' || o.metadata.namespace === 'cutout'));
  });

  it('the schema check refuses a mistake: a wrong type, an unknown KEDA field', () => {
    const bad = structuredClone(api);
    (podSpecOf(bad)!.containers[0]!.ports![0] as { containerPort: unknown }).containerPort = 'eight thousand';
    assert.match(schemaProblems(bad).join(), /containerPort/);
    const typo = structuredClone(find(example, 'ScaledObject', 'cutout-worker'));
    (typo.spec as Record<string, unknown>).minReplicas = 1;
    assert.match(schemaProblems(typo).join(), /additional/);
  });

  it('kubectl kustomize builds the same objects as the reader (when kubectl is installed)', (t) => {
    for (const [dir, mine] of [['base', base], ['overlays/example', example]] as const) {
      const theirs = kubectlKustomize(path.join(K8S_DIR, dir));
      if (!theirs) return t.skip('kubectl is not installed: the objects were checked as the reader renders them');
      const key = (o: K8sObject) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
      assert.deepEqual(theirs.map(key).sort(), mine.map(key).sort(), dir);
      for (const o of theirs) assert.deepEqual(o, mine.find((m) => key(m) === key(o)), key(o));
    }
  });
});

describe('deploy/k8s against the code', () => {
  it('sets only variables the config schema knows, and each pod\'s environment parses', () => {
    for (const c of [apiC, workerC]) {
      const env = envOf(example, c);
      for (const key of Object.keys(env)) assert.ok(known.has(key), `${c.name}: ${key} is not a config variable`);
      const config = loadConfig(env);
      assert.equal(config.STORAGE, 's3', `${c.name}: several machines share blobs through S3`);
      assert.equal(config.NODE_ENV, 'production');
    }
    assert.equal(loadConfig(envOf(example, apiC)).HOST, '0.0.0.0');
  });

  it('uses the images and targets of the Dockerfile, as docker-compose.yml names them', () => {
    const stages = readDockerfile(path.join(ROOT, 'Dockerfile'));
    const compose = readCompose<{ services: Record<string, { image: string; build: { target: string } }> }>();
    const text = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
    for (const [target, deployment] of [['api', api], ['worker', worker]] as const) {
      const baseImage = containersOf(find(base, 'Deployment', deployment.metadata.name))[0]!.image;
      assert.equal(baseImage, compose.services[target]!.image, `${target}: the image compose builds`);
      assert.equal(compose.services[target]!.build.target, target);
      assert.ok(stages.get(target), `Dockerfile target ${target}`);
      assert.match(containersOf(deployment)[0]!.image, new RegExp(`/${baseImage}:`), 'the overlay points it at a registry');
    }
    assert.equal(String(apiC.ports![0]!.containerPort), stages.get('api')!.env.PORT);
    assert.match(text, /EXPOSE 8000/);
    assert.equal(envOf(example, workerC).MODEL_DIR, stages.get('worker')!.env.MODEL_DIR, 'the weights the image assembled');
  });

  it('runs as the image\'s non-root user, read-only, with /tmp writable and nothing else shared', () => {
    for (const d of [api, worker]) {
      const pod = podSpecOf(d)!;
      assert.equal(pod.securityContext?.runAsNonRoot, true);
      assert.equal(pod.securityContext?.runAsUser, 1000, 'the node images\' "node" user (Dockerfile: USER node)');
      const c = pod.containers[0]!;
      assert.equal(c.securityContext?.readOnlyRootFilesystem, true);
      assert.equal(c.securityContext?.allowPrivilegeEscalation, false);
      assert.deepEqual(c.securityContext?.capabilities?.drop, ['ALL']);
      assert.deepEqual(c.volumeMounts?.map((m) => m.mountPath), ['/tmp']);
      assert.ok(pod.volumes?.every((v) => v.emptyDir), 'only emptyDir volumes: blobs are in S3');
    }
    assert.equal((fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8').match(/^USER node$/gm) ?? []).length, 2);
  });

  it('gives each process longer than its shutdown grace before the kill', () => {
    for (const d of [api, worker]) {
      const c = containersOf(d)[0]!;
      const grace = loadConfig(envOf(example, c)).SHUTDOWN_GRACE_SECONDS;
      const preStop = Number(c.lifecycle?.preStop?.exec?.command.at(-1) ?? 0);
      assert.ok(podSpecOf(d)!.terminationGracePeriodSeconds! > grace + preStop, `${d.metadata.name}: ${grace} s + ${preStop} s`);
    }
  });

  it('asks for the memory the benchmark measured, with headroom, and the cores the model is given', () => {
    // README "Speed and memory": worker peak RSS 1770 MB; a newer local bench result counts too.
    const results = fs.existsSync(path.join(ROOT, 'bench-results')) ? fs.readdirSync(path.join(ROOT, 'bench-results')).filter((f) => f.endsWith('.json')).sort() : [];
    const latest = results.length ? (JSON.parse(fs.readFileSync(path.join(ROOT, 'bench-results', results.at(-1)!), 'utf8')) as { worker_peak_rss_mb?: number }) : {};
    const peakMiB = Math.max(1770, latest.worker_peak_rss_mb ?? 0);
    const { requests, limits } = workerC.resources!;
    assert.ok(mib(requests!.memory!) >= peakMiB, `request ${requests!.memory} ≥ ${peakMiB} MiB`);
    assert.ok(mib(limits!.memory!) >= peakMiB * 1.3, `limit ${limits!.memory}: 30% or more above the peak`);
    const env = loadConfig(envOf(example, workerC));
    assert.equal(Number(limits!.cpu), env.INFERENCE_THREADS * env.WORKER_CONCURRENCY, 'one core per inference thread');
    assert.equal(requests!.cpu, limits!.cpu);
    for (const c of [apiC, workerC]) assert.ok(c.resources?.requests?.memory && c.resources.limits?.memory && c.resources.requests.cpu, c.name);
  });

  it('the selectors, targets and ports refer to what exists', () => {
    const labels = (d: K8sObject) => (d.spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels;
    const matches = (sel: Record<string, string>, d: K8sObject) => Object.entries(sel).every(([k, v]) => labels(d)[k] === v);
    const spec = <T>(kind: string, name: string) => find(example, kind, name).spec as T;
    assert.ok(matches(spec<{ selector: { matchLabels: Record<string, string> } }>('PodDisruptionBudget', 'cutout-api').selector.matchLabels, api));
    assert.ok(matches(spec<{ selector: { matchLabels: Record<string, string> } }>('PodDisruptionBudget', 'cutout-worker').selector.matchLabels, worker));
    const svc = spec<{ selector: Record<string, string>; ports: { targetPort: string }[] }>('Service', 'cutout-api');
    assert.ok(matches(svc.selector, api));
    assert.ok(!matches(svc.selector, worker));
    assert.ok(apiC.ports!.some((p) => p.name === svc.ports[0]!.targetPort));
    assert.equal(spec<{ scaleTargetRef: { name: string } }>('HorizontalPodAutoscaler', 'cutout-api').scaleTargetRef.name, 'cutout-api');
    assert.equal(spec<{ scaleTargetRef: { name: string } }>('ScaledObject', 'cutout-worker').scaleTargetRef.name, 'cutout-worker');
    for (const d of [api, worker]) assert.equal((d.spec as { replicas?: number }).replicas, undefined, `${d.metadata.name}: its autoscaler owns the count`);
    // KEDA reads the Redis address and password from the Secret: parameters its redis scaler knows, keys the Secret has.
    const auth = spec<{ secretTargetRef: { parameter: string; name: string; key: string }[] }>('TriggerAuthentication', 'cutout-redis');
    for (const ref of auth.secretTargetRef) {
      assert.ok(['address', 'host', 'port', 'username', 'password', 'tls', 'ca', 'cert', 'key'].includes(ref.parameter), ref.parameter);
      assert.ok(find(example, 'Secret', ref.name).data?.[ref.key] !== undefined, `Secret ${ref.name} has ${ref.key}`);
    }
    const triggers = spec<{ triggers: { authenticationRef: { name: string } }[] }>('ScaledObject', 'cutout-worker').triggers;
    assert.ok(triggers.every((t) => t.authenticationRef.name === 'cutout-redis'));
    const workerPort = workerC.ports![0]!;
    assert.equal(workerPort.containerPort, loadConfig(envOf(example, workerC)).WORKER_METRICS_PORT);
    for (const c of [apiC, workerC]) {
      for (const probe of [c.livenessProbe, c.readinessProbe, c.startupProbe]) assert.ok(c.ports!.some((p) => p.name === probe!.httpGet.port), `${c.name}: probe port`);
    }
  });
});

describe('deploy/k8s probes answer on the processes', () => {
  let app: FastifyInstance;
  let dir: string;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cutout-k8s-'));
    const config = loadConfig({ ...envOf(example, apiC), STORAGE: 'fs', DATA_DIR: dir, LOG_LEVEL: 'silent' });
    app = await buildApp({ config, queue: fakeQueue(), store: new FsBlobStore(dir), logger: pino({ level: 'silent' }) });
  });
  after(async () => {
    await app.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('the api answers its probes 200 (liveness /health, readiness /ready)', async () => {
    assert.equal(apiC.livenessProbe!.httpGet.path, '/health');
    assert.equal(apiC.readinessProbe!.httpGet.path, '/ready');
    for (const probe of [apiC.livenessProbe, apiC.readinessProbe, apiC.startupProbe]) {
      const res = await app.inject({ method: 'GET', url: probe!.httpGet.path });
      assert.equal(res.statusCode, 200, probe!.httpGet.path);
    }
  });

  it('the worker\'s health server answers its probes, readiness 503 until the model is loaded', async () => {
    let ready = false;
    const server = startHealthServer(await freePort(), createRegistry('worker'), { engine: 'local', ready: async () => (ready ? { ok: true } : { ok: false, reason: 'loading the model' }) }, pino({ level: 'silent' }));
    assert.ok(server);
    await new Promise<void>((resolve, reject) => (server.listening ? resolve() : server.once('listening', resolve).once('error', reject)));
    const { port } = server.address() as AddressInfo;
    try {
      const get = async (p: string) => (await fetch(`http://127.0.0.1:${port}${p}`)).status;
      assert.equal(await get(workerC.livenessProbe!.httpGet.path), 200);
      assert.equal(await get(workerC.readinessProbe!.httpGet.path), 503);
      ready = true;
      assert.equal(await get(workerC.readinessProbe!.httpGet.path), 200);
      assert.equal(await get(workerC.startupProbe!.httpGet.path), 200);
    } finally {
      server.close();
    }
  });
});
