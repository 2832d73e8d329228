// deploy/k8s as kustomize builds it, for the features its kustomizations use (resources, namespace,
// labels, images, Secret and ConfigMap generators), and an offline check of each object against its
// schema: Kubernetes' own kinds with kubernetes-models (its OpenAPI schemas compiled in), KEDA's
// with the CRD schemas vendored in test/fixtures/k8s (unknown fields refused, as a strict apply does).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { parseAllDocuments, parse } from 'yaml';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ROOT } from './fixtures.js';

export const K8S_DIR = path.join(ROOT, 'deploy/k8s');

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  [field: string]: unknown;
}

interface Kustomization {
  namespace?: string;
  resources?: string[];
  labels?: { pairs: Record<string, string>; includeSelectors?: boolean }[];
  images?: { name: string; newName?: string; newTag?: string }[];
  secretGenerator?: { name: string; envs?: string[]; literals?: string[] }[];
  configMapGenerator?: { name: string; behavior?: 'create' | 'merge'; envs?: string[]; literals?: string[] }[];
}

const keyValues = (lines: string[]) =>
  Object.fromEntries(lines.filter((l) => l.trim() && !l.trimStart().startsWith('#')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));

const generated = (dir: string, g: { envs?: string[]; literals?: string[] }) => ({
  ...Object.assign({}, ...(g.envs ?? []).map((f) => keyValues(fs.readFileSync(path.join(dir, f), 'utf8').split('\n')))),
  ...keyValues(g.literals ?? []),
}) as Record<string, string>;

/** Every object of a kustomization directory, as `kubectl kustomize` would print them. */
export function renderKustomization(dir: string): K8sObject[] {
  const k = parse(fs.readFileSync(path.join(dir, 'kustomization.yaml'), 'utf8')) as Kustomization;
  const objects: K8sObject[] = [];
  for (const r of k.resources ?? []) {
    const p = path.join(dir, r);
    if (fs.statSync(p).isDirectory()) objects.push(...renderKustomization(p));
    else objects.push(...parseAllDocuments(fs.readFileSync(p, 'utf8')).map((d) => d.toJS() as K8sObject));
  }
  for (const g of k.configMapGenerator ?? []) {
    const data = generated(dir, g);
    const existing = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === g.name);
    if (g.behavior === 'merge') Object.assign(existing!.data!, data);
    else objects.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: g.name }, data });
  }
  for (const g of k.secretGenerator ?? []) {
    const data = Object.fromEntries(Object.entries(generated(dir, g)).map(([key, v]) => [key, Buffer.from(v).toString('base64')]));
    objects.push({ apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: { name: g.name }, data });
  }
  for (const o of objects) {
    for (const l of k.labels ?? []) o.metadata.labels = { ...o.metadata.labels, ...l.pairs };
    if (k.namespace && o.kind !== 'Namespace') o.metadata.namespace = k.namespace;
    for (const c of containersOf(o)) {
      const image = k.images?.find((i) => i.name === c.image);
      if (image) c.image = `${image.newName ?? image.name}${image.newTag ? `:${image.newTag}` : ''}`;
    }
  }
  return objects;
}

/** What `kubectl kustomize` prints for a directory; null without kubectl (it is not a project dependency). */
export function kubectlKustomize(dir: string): K8sObject[] | null {
  const run = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8', timeout: 60_000 });
  if (run.error) return null;
  if (run.status !== 0) throw new Error(`kubectl kustomize ${dir}: ${run.stderr}`);
  const objects = parseAllDocuments(run.stdout).map((d) => d.toJS() as K8sObject);
  // It wraps long base64 values over lines; the API server reads them either way.
  for (const o of objects) if (o.kind === 'Secret') for (const k of Object.keys(o.data ?? {})) o.data![k] = o.data![k]!.replace(/\s/g, '');
  return objects;
}

export interface Probe { httpGet: { path: string; port: string | number } }
export interface EnvVar { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean } } }
export interface Container {
  name: string;
  image: string;
  ports?: { name?: string; containerPort: number }[];
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  lifecycle?: { preStop?: { exec?: { command: string[] } } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: { readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean; capabilities?: { drop?: string[] } };
  volumeMounts?: { name: string; mountPath: string }[];
}
export interface PodSpec {
  containers: Container[];
  terminationGracePeriodSeconds?: number;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
  volumes?: { name: string; emptyDir?: object }[];
}

/** The object of that kind and name; it must exist. */
export function findObject(objects: K8sObject[], kind: string, name: string): K8sObject {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  assert.ok(o, `${kind}/${name}`);
  return o;
}

/** A container's environment as the pod gets it: its ConfigMaps, then its own env (Secret values from `objects`). */
export function podEnv(objects: K8sObject[], c: Container): Record<string, string> {
  const env: Record<string, string> = {};
  for (const from of c.envFrom ?? []) {
    assert.ok(from.configMapRef, `${c.name}: envFrom is for ConfigMaps only (a Secret's keys are named one by one)`);
    Object.assign(env, findObject(objects, 'ConfigMap', from.configMapRef.name).data);
  }
  for (const e of c.env ?? []) {
    const ref = e.valueFrom?.secretKeyRef;
    if (!ref) env[e.name] = e.value ?? '';
    else {
      const value = findObject(objects, 'Secret', ref.name).data?.[ref.key];
      assert.ok(value !== undefined || ref.optional, `${c.name}: ${e.name} needs key ${ref.key} in Secret ${ref.name}`);
      if (value !== undefined) env[e.name] = Buffer.from(value, 'base64').toString();
    }
  }
  return env;
}

export function podSpecOf(o: K8sObject): PodSpec | undefined {
  return o.kind === 'Deployment' ? (o.spec as { template: { spec: PodSpec } }).template.spec : undefined;
}
export function containersOf(o: K8sObject): Container[] {
  return podSpecOf(o)?.containers ?? [];
}

const CORE: Record<string, { validate(): void } & (new (o: never) => { validate(): void })> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Namespace': Namespace,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
} as never;

/** A CRD schema as a strict JSON schema: an object that lists its properties allows no others. */
function strict(schema: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) {
    if (k === 'properties' && v && typeof v === 'object') out[k] = Object.fromEntries(Object.entries(v).map(([p, s]) => [p, strict(s as Record<string, unknown>)]));
    else if ((k === 'items' || k === 'additionalProperties') && v && typeof v === 'object') out[k] = strict(v as Record<string, unknown>);
    else out[k] = v;
  }
  if (schema.properties && schema.additionalProperties === undefined && !schema['x-kubernetes-preserve-unknown-fields']) out.additionalProperties = false;
  return out;
}

const ajv = new Ajv({ strict: false, allErrors: true });
const crds = new Map<string, ValidateFunction>();
function crdValidator(kind: string): ValidateFunction | undefined {
  const file = path.join(ROOT, 'test/fixtures/k8s', `keda-${kind}.json`);
  if (!crds.has(kind) && fs.existsSync(file)) {
    const schema = strict(JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>);
    // metadata is the API server's ObjectMeta, not the CRD's to describe.
    (schema.properties as Record<string, unknown>).metadata = { type: 'object' };
    crds.set(kind, ajv.compile(schema));
  }
  return crds.get(kind);
}

/** Problems with an object's shape; empty when its schema accepts it. */
export function schemaProblems(o: K8sObject): string[] {
  const where = `${o.kind}/${o.metadata?.name}`;
  const Model = CORE[`${o.apiVersion}/${o.kind}`];
  if (Model) {
    try {
      new Model(o as never).validate();
      return [];
    } catch (err) {
      return [`${where}: ${(err as Error).message}`];
    }
  }
  if (o.apiVersion === 'keda.sh/v1alpha1') {
    const validate = crdValidator(o.kind);
    if (!validate) return [`${where}: no vendored schema for ${o.kind}`];
    return validate(o) ? [] : (validate.errors ?? []).map((e) => `${where}: ${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);
  }
  return [`${where}: no schema known for ${o.apiVersion}`];
}
