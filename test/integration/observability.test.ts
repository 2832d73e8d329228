// OpenAPI, request ids end to end, Prometheus metrics of api and worker, after a real job.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { pino } from 'pino';
import { freePort } from '../../tools/local-redis.js';
import { subjectOnBackground } from '../helpers/images.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { upload } from '../helpers/multipart.js';

/** Prometheus text → map of "name{labels}" → value. */
function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^(\S+?(?:\{.*\})?)\s+(\S+)$/.exec(line);
    assert.ok(m, `a valid sample line: ${line}`);
    out.set(m[1]!, Number(m[2]));
  }
  return out;
}
const sample = (m: Map<string, number>, name: string, labels: Record<string, string>) => {
  for (const [k, v] of m) {
    if (!k.startsWith(`${name}{`)) continue;
    if (Object.entries(labels).every(([l, val]) => k.includes(`${l}="${val}"`))) return v;
  }
  return undefined;
};

describe('observability', { timeout: 300_000 }, () => {
  let stack: Stack;
  let workerPort: number;
  const logs: Record<string, unknown>[] = [];
  before(async () => {
    workerPort = await freePort();
    const sink = new Writable({
      write(chunk, _enc, done) {
        for (const line of String(chunk).split('\n')) if (line) logs.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    stack = await startStack({ workers: 1, env: { WORKER_METRICS_PORT: String(workerPort) }, logger: pino({ level: 'info' }, sink) });
  });
  after(() => stack?.stop());

  it('serves a valid OpenAPI 3 document listing every route, and the docs page', async () => {
    const doc = (await (await fetch(`${stack.baseUrl}/openapi.json`)).json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    const result = await new Validator().validate(doc as never);
    assert.equal(result.valid, true, JSON.stringify(result.errors)?.slice(0, 2000));
    const documented = new Set(Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`)));
    const routes = stack.app.routeList.filter((r) => !r.hidden && !r.url.startsWith('/docs'));
    assert.ok(routes.length >= 10);
    for (const r of routes) {
      const openapiPath = r.url.replace(/:(\w+)/g, '{$1}');
      assert.ok(documented.has(`${r.method} ${openapiPath}`), `${r.method} ${openapiPath} is documented`);
    }
    assert.ok(doc.paths['/remove-bg']?.post, 'upload documented');
    const docs = await fetch(`${stack.baseUrl}/docs/`);
    assert.equal(docs.status, 200);
    assert.match(await docs.text(), /swagger/i);
  });

  it('carries the request id from the upload to the worker log lines of that job', async () => {
    const res = await upload(stack.baseUrl, await subjectOnBackground(), 'traced.jpg', { 'x-request-id': 'trace-abc-123' });
    assert.equal(res.headers.get('x-request-id'), 'trace-abc-123');
    const { job_id } = (await res.json()) as { job_id: string };
    assert.equal((await stack.waitFor(job_id)).status, 'done');
    const jobLines = logs.filter((l) => l.jobId === job_id);
    assert.ok(jobLines.some((l) => l.msg === 'job started' && l.requestId === 'trace-abc-123' && typeof l.waitedMs === 'number'), 'the worker logs the start');
    assert.ok(jobLines.some((l) => l.msg === 'job done' && l.requestId === 'trace-abc-123' && l.outcome === 'done' && typeof l.ms === 'number'), 'and the outcome, with the request id');
    assert.ok(logs.some((l) => l.reqId === 'trace-abc-123' && l.msg === 'request' && l.route === '/remove-bg' && l.status === 202));
    const err = await fetch(`${stack.baseUrl}/status/nope`, { headers: { 'x-request-id': 'trace-err-9' } });
    assert.equal(((await err.json()) as { error: { request_id: string } }).error.request_id, 'trace-err-9');
    assert.ok(!JSON.stringify(logs).includes('/9j/'), 'no image bytes in logs');
  });

  it('exposes Prometheus metrics for the api and the worker after a real job', async () => {
    const api = parseMetrics(await (await fetch(`${stack.baseUrl}/metrics`)).text());
    assert.ok((sample(api, 'cutout_http_requests_total', { route: '/remove-bg', method: 'POST', status: '202' }) ?? 0) >= 1);
    assert.ok((sample(api, 'cutout_http_request_duration_seconds_count', { route: '/status/:job_id' }) ?? 0) >= 1);
    assert.ok((api.get('cutout_jobs_enqueued_total{process="api"}') ?? 0) >= 1);
    assert.ok((sample(api, 'cutout_queue_jobs', { state: 'completed' }) ?? 0) >= 1);
    assert.ok(sample(api, 'cutout_workers', {}) !== undefined || api.has('cutout_workers{process="api"}'));
    assert.ok((api.get('cutout_process_resident_memory_bytes{process="api"}') ?? 0) > 0);

    const w = parseMetrics(await (await fetch(`http://127.0.0.1:${workerPort}/metrics`)).text());
    assert.ok((sample(w, 'cutout_jobs_finished_total', { outcome: 'done', model: 'isnet-general-use' }) ?? 0) >= 1);
    assert.ok((sample(w, 'cutout_stage_duration_seconds_count', { stage: 'inference' }) ?? 0) >= 1);
    assert.ok((sample(w, 'cutout_job_duration_seconds_count', {}) ?? 0) >= 1);
    assert.equal((await fetch(`http://127.0.0.1:${workerPort}/ready`)).status, 200);
    assert.equal((await fetch(`http://127.0.0.1:${workerPort}/health`)).status, 200);
  });

  it("answers the worker's probes and metrics while it runs the model", async () => {
    const res = await stack.upload(await subjectOnBackground(1600, 1200));
    const { job_id } = (await res.json()) as { job_id: string };
    await stack.waitFor(job_id, (v) => v.progress?.stage === 'inference', 60_000);
    // The model runs in its own thread: the worker's HTTP server is not stuck behind it.
    const answered: number[] = [];
    for (const probe of ['/health', '/ready', '/metrics']) {
      const started = performance.now();
      const r = await fetch(`http://127.0.0.1:${workerPort}${probe}`, { signal: AbortSignal.timeout(5000) });
      answered.push(performance.now() - started);
      assert.equal(r.status, 200, probe);
    }
    const view = (await (await fetch(`${stack.baseUrl}/status/${job_id}`)).json()) as { status: string; progress?: { stage: string } };
    assert.equal(view.progress?.stage, 'inference', `still inferring after the probes (${answered.map(Math.round).join(', ')} ms)`);
    assert.equal((await stack.waitFor(job_id)).status, 'done');
  });
});
