// Idempotent retries (the IETF httpapi "Idempotency-Key" draft): the same key and the same request
// within 24 hours get the original answer, with the same ids and `Idempotent-Replayed: true`; the
// same key with another request is a 422; a retry while the first is still being answered, a 409.
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { IdempotencyStore, StoredAnswer } from '../../jobs/idempotency.js';
import { badRequest, conflict, HttpError } from '../http-errors.js';
import { queueUnavailable } from './upload.js';

export const IDEMPOTENCY_HEADER = 'idempotency-key';
/** A key is 1–255 visible ASCII characters; the draft's quoted form ("…") is accepted too. */
const KEY = /^[\x21-\x7e]{1,255}$/;

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

/** The client's key, or undefined without the header; 400 when it is not a usable key. */
export function idempotencyKeyOf(req: FastifyRequest): string | undefined {
  const raw = req.headers[IDEMPOTENCY_HEADER];
  if (raw === undefined) return undefined;
  const text = (Array.isArray(raw) ? raw.join(',') : raw).trim().replace(/^"(.*)"$/, '$1');
  if (!KEY.test(text)) {
    throw badRequest('The Idempotency-Key header must be 1 to 255 visible ASCII characters, for example a UUID.', 'invalid_idempotency_key');
  }
  return text;
}

/**
 * What makes two requests "the same": every value the client sent, files by their digest. Keys
 * are sorted, so the order of form fields does not matter.
 */
export function fingerprintOf(value: unknown): string {
  const canonical = (v: unknown): unknown => {
    if (Buffer.isBuffer(v)) return { sha256: sha256(v) };
    if (Array.isArray(v)) return v.map(canonical);
    if (v && typeof v === 'object') {
      return Object.fromEntries(
        Object.entries(v as Record<string, unknown>)
          .filter(([, x]) => x !== undefined)
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
          .map(([k, x]) => [k, canonical(x)]),
      );
    }
    return v;
  };
  return sha256(JSON.stringify(canonical(value)));
}

const keyReused = () =>
  new HttpError(
    422,
    'idempotency_key_reused',
    'This Idempotency-Key was already used for a different request. Use a new key for a new request; retry with the same request to get the original answer.',
  );

const inFlight = () =>
  conflict('A request with this Idempotency-Key is still being answered. Retry in a moment to get its answer.', 'idempotency_key_in_flight');

/**
 * Answers a request once per key: runs `answer` for a new key and keeps what it returned; replays
 * that for a retry. Without the header (or without Redis) it just runs. A request that fails frees
 * its key, so the retry is tried again.
 */
export async function idempotent(
  store: IdempotencyStore | undefined,
  req: FastifyRequest,
  reply: FastifyReply,
  fingerprint: () => string,
  answer: () => Promise<StoredAnswer>,
): Promise<StoredAnswer> {
  const key = idempotencyKeyOf(req);
  if (!key || !store) return answer();
  // One client's keys are their own, and a key used on /batches is not one used on /remove-bg.
  const scope = req.clientScope;
  const idemKey = sha256(`${req.routeOptions.url ?? req.url}|${key}`).slice(0, 40);
  const print = fingerprint();
  const claim = await store.claim(scope, idemKey, print).catch(() => {
    throw queueUnavailable();
  });
  if (claim.kind === 'mismatch') throw keyReused();
  if (claim.kind === 'in_flight') {
    reply.header('retry-after', '1');
    throw inFlight();
  }
  if (claim.kind === 'replay') {
    reply.header('idempotent-replayed', 'true');
    return claim.answer;
  }
  let result: StoredAnswer;
  try {
    result = await answer();
  } catch (err) {
    await store.release(scope, idemKey).catch(() => undefined);
    throw err;
  }
  await store.answer(scope, idemKey, print, result).catch((err: unknown) => req.log.warn({ err }, 'idempotent answer not kept'));
  return result;
}
