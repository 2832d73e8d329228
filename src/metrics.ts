// Prometheus metrics. Each process (api, worker) has its own registry and endpoint; Prometheus
// scrapes every api replica and every worker (WORKER_METRICS_PORT).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export function createRegistry(process: 'api' | 'worker'): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ process });
  collectDefaultMetrics({ register: registry, prefix: 'cutout_' });
  return registry;
}

export function apiMetrics(registry: Registry) {
  return {
    requests: new Counter({
      name: 'cutout_http_requests_total',
      help: 'HTTP requests by route, method and status',
      labelNames: ['route', 'method', 'status'] as const,
      registers: [registry],
    }),
    latency: new Histogram({
      name: 'cutout_http_request_duration_seconds',
      help: 'HTTP request latency by route and method',
      labelNames: ['route', 'method'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    enqueued: new Counter({ name: 'cutout_jobs_enqueued_total', help: 'Jobs accepted and queued', registers: [registry] }),
    canceled: new Counter({ name: 'cutout_jobs_canceled_total', help: 'Cancel requests that took effect', registers: [registry] }),
    cache: new Counter({
      name: 'cutout_result_cache_total',
      help: 'Uploads answered from the result cache: hit (same photo and options: done at once), mask (same photo: the mask is reused), miss',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
  };
}
export type ApiMetrics = ReturnType<typeof apiMetrics>;

/**
 * Gauges read from Redis at scrape time: queue depth by state (all lanes, and per lane: a queue per
 * model), live workers (all, and per model they serve), SSE clients.
 */
export function queueGauges(
  registry: Registry,
  read: {
    counts(): Promise<Record<string, number>>;
    laneCounts(): Promise<Record<string, Record<string, number>>>;
    workers(model?: string): Promise<number>;
    sseClients(): number;
  },
) {
  new Gauge({
    name: 'cutout_queue_jobs',
    help: 'Jobs in the queue by state',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      const counts = await read.counts().catch(() => ({}) as Record<string, number>);
      for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
    },
  });
  new Gauge({
    name: 'cutout_lane_jobs',
    help: 'Jobs in the lane of each model (its own queue) by state',
    labelNames: ['model', 'state'] as const,
    registers: [registry],
    async collect() {
      const lanes = await read.laneCounts().catch(() => ({}) as Record<string, Record<string, number>>);
      for (const [model, counts] of Object.entries(lanes)) for (const [state, n] of Object.entries(counts)) this.set({ model, state }, n);
    },
  });
  new Gauge({
    name: 'cutout_workers',
    help: 'Live worker processes (advertised in Redis)',
    registers: [registry],
    async collect() {
      this.set(await read.workers().catch(() => 0));
    },
  });
  new Gauge({
    name: 'cutout_model_workers',
    help: 'Live worker processes serving each model (its lane)',
    labelNames: ['model'] as const,
    registers: [registry],
    async collect() {
      const models = Object.keys(await read.laneCounts().catch(() => ({})));
      for (const model of models) this.set({ model }, await read.workers(model).catch(() => 0));
    },
  });
  new Gauge({
    name: 'cutout_sse_clients',
    help: 'Open event streams on this api process',
    registers: [registry],
    collect() {
      this.set(read.sseClients());
    },
  });
}

export function workerMetrics(registry: Registry) {
  return {
    finished: new Counter({
      name: 'cutout_jobs_finished_total',
      help: 'Jobs finished by outcome (done, failed_bad_image, failed_error, canceled) and model',
      labelNames: ['outcome', 'model'] as const,
      registers: [registry],
    }),
    stage: new Histogram({
      name: 'cutout_stage_duration_seconds',
      help: 'Processing time per stage and model',
      labelNames: ['stage', 'model'] as const,
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16],
      registers: [registry],
    }),
    inferences: new Counter({
      name: 'cutout_inferences_total',
      help: 'Times the model ran (a job that reused a stored mask does not count)',
      labelNames: ['model'] as const,
      registers: [registry],
    }),
    masksReused: new Counter({
      name: 'cutout_masks_reused_total',
      help: 'Jobs that reused the stored mask of an earlier job with the same photo (no inference)',
      labelNames: ['model'] as const,
      registers: [registry],
    }),
    job: new Histogram({
      name: 'cutout_job_duration_seconds',
      help: 'Processing time of a whole job by model',
      labelNames: ['model'] as const,
      buckets: [0.25, 0.5, 1, 2, 3, 4, 6, 8, 12, 16, 32],
      registers: [registry],
    }),
  };
}
export type WorkerMetrics = ReturnType<typeof workerMetrics>;
