// Idempotency keys in Redis, beside the queue's keys: one record per client and key, holding the
// request's fingerprint and, once answered, the answer. A record is claimed atomically (SET NX),
// so two concurrent requests with one key cannot both create jobs.
import type { RedisClient } from './redis-connection.js';
import type { RedisKeys } from './redis-keys.js';

/** How long a key is remembered (the IETF draft suggests at least 24 hours). */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 3600;
/** How long a claim without an answer holds the key (a request that died mid-way frees it). */
const PENDING_TTL_SECONDS = 120;

/** The answer replayed to a retry: the same status, body and Location. */
export interface StoredAnswer {
  status: number;
  body: unknown;
  location?: string;
}

type Record_ = { fingerprint: string; answer?: StoredAnswer };

export type Claim =
  | { kind: 'claimed' }
  | { kind: 'replay'; answer: StoredAnswer }
  | { kind: 'mismatch' }
  | { kind: 'in_flight' };

export class IdempotencyStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {}

  private key(scope: string, idemKey: string): string {
    return this.keys.own('idem', scope, idemKey);
  }

  /**
   * Claims a key for a request with this fingerprint, or says why not: the same request was
   * answered (replay), is being answered (in flight), or the key was used for another request.
   */
  async claim(scope: string, idemKey: string, fingerprint: string): Promise<Claim> {
    const key = this.key(scope, idemKey);
    const record: Record_ = { fingerprint };
    const set = await this.redis.set(key, JSON.stringify(record), 'EX', PENDING_TTL_SECONDS, 'NX');
    if (set === 'OK') return { kind: 'claimed' };
    const raw = await this.redis.get(key);
    if (!raw) return this.claim(scope, idemKey, fingerprint); // expired between the two commands
    const found = JSON.parse(raw) as Record_;
    if (found.fingerprint !== fingerprint) return { kind: 'mismatch' };
    return found.answer ? { kind: 'replay', answer: found.answer } : { kind: 'in_flight' };
  }

  /** Keeps the answer for the key's lifetime. */
  async answer(scope: string, idemKey: string, fingerprint: string, answer: StoredAnswer): Promise<void> {
    const record: Record_ = { fingerprint, answer };
    await this.redis.set(this.key(scope, idemKey), JSON.stringify(record), 'EX', IDEMPOTENCY_TTL_SECONDS);
  }

  /** Frees a claimed key whose request failed, so the client's retry is tried again. */
  async release(scope: string, idemKey: string): Promise<void> {
    await this.redis.del(this.key(scope, idemKey));
  }
}
