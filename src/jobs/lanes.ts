// Lanes: one BullMQ queue per model, so a job is only handed to workers that have its model
// loaded. The default model (the first in MODELS) keeps the queue's own name (QUEUE_NAME), so a
// deployment with one model, its Redis keys and its KEDA triggers are what they always were;
// another model's lane is the queue `<QUEUE_NAME>.<model>`, under the same BullMQ prefix. In a
// Redis Cluster that prefix carries the hash tag {<QUEUE_NAME>} (redis-keys.ts), so every lane's
// keys share one slot and the status script finds a job in whichever lane it is, in one call.
//
// Workers advertise the lanes they serve: a sorted set per model (members: worker ids, scores:
// when their advertisement runs out), refreshed every HEARTBEAT_MS, removed at shutdown. A worker
// killed without a shutdown drops out once its score is past (HEARTBEAT_TTL_MS).
import type { Config } from '../config.js';
import type { RedisClient } from './redis-connection.js';
import type { RedisKeys } from './redis-keys.js';

export interface Lane {
  /** The model its jobs ask for. */
  model: string;
  /** Its BullMQ queue's name. */
  name: string;
  /** Whether it is the default model's lane (the queue named QUEUE_NAME). */
  isDefault: boolean;
}

/** How often a worker renews its advertisement, and how long one lasts without renewal. */
export const HEARTBEAT_MS = 10_000;
export const HEARTBEAT_TTL_MS = 3 * HEARTBEAT_MS;

/** The lane of each model in MODELS, the default model's first. */
export function lanesOf(queue: string, models: readonly string[]): Lane[] {
  return models.map((model, i) => ({ model, name: i === 0 ? queue : `${queue}.${model}`, isDefault: i === 0 }));
}

/** The lane a job asking for `model` goes to; the default lane when it names none (or one without a lane). */
export function laneFor(lanes: readonly Lane[], model: unknown): Lane {
  return lanes.find((lane) => lane.model === model) ?? lanes[0]!;
}

/**
 * The models this worker loads and serves: WORKER_MODELS (each one of MODELS), in MODELS order,
 * or every model in MODELS when it is empty.
 */
export function workerModels(config: Pick<Config, 'MODELS' | 'WORKER_MODELS'>): string[] {
  return config.WORKER_MODELS.length === 0 ? [...config.MODELS] : config.MODELS.filter((m) => config.WORKER_MODELS.includes(m));
}

/** The live workers serving each model (advertisements in Redis, beside the queue). */
export class LaneRegistry {
  constructor(
    private readonly connection: RedisClient,
    private readonly keys: RedisKeys,
  ) {}

  private key(model: string): string {
    return this.keys.own('serving', model);
  }

  /** Advertises (or renews) `workerId` as serving `models`. */
  async advertise(workerId: string, models: readonly string[]): Promise<void> {
    const now = Date.now();
    const multi = this.connection.multi();
    for (const model of models) {
      multi
        .zadd(this.key(model), now + HEARTBEAT_TTL_MS, workerId)
        .zremrangebyscore(this.key(model), '-inf', now)
        .pexpire(this.key(model), HEARTBEAT_TTL_MS * 2);
    }
    await multi.exec();
  }

  /** Withdraws `workerId` (it is shutting down). */
  async withdraw(workerId: string, models: readonly string[]): Promise<void> {
    const multi = this.connection.multi();
    for (const model of models) multi.zrem(this.key(model), workerId);
    await multi.exec();
  }

  /** Live workers per model (0 for a model none serves). */
  async liveWorkers(models: readonly string[]): Promise<Record<string, number>> {
    const now = Date.now();
    const counts = await Promise.all(models.map((model) => this.connection.zcount(this.key(model), now, '+inf')));
    return Object.fromEntries(models.map((model, i) => [model, counts[i]!]));
  }

  /** Distinct live workers serving any of `models`. */
  async count(models: readonly string[]): Promise<number> {
    const now = Date.now();
    const lists = await Promise.all(models.map((model) => this.connection.zrangebyscore(this.key(model), now, '+inf')));
    return new Set(lists.flat()).size;
  }
}

/**
 * Keeps a worker advertised while it runs: at once (awaited), then every HEARTBEAT_MS. The returned closer
 * stops the renewals and withdraws it.
 */
export async function startHeartbeat(registry: LaneRegistry, workerId: string, models: readonly string[], onError: (err: unknown) => void): Promise<() => Promise<void>> {
  const beat = () => registry.advertise(workerId, models).catch(onError);
  await beat();
  const timer = setInterval(() => void beat(), HEARTBEAT_MS);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await registry.withdraw(workerId, models).catch(onError);
  };
}
