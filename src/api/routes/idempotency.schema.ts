// The Idempotency-Key header as POST routes document it: the request header, the replay header,
// and the errors a key can cause. Shared by every route that creates jobs.
import { HEADERS, errorResponse } from '../schemas.js';

export const IDEMPOTENCY_REQUEST_HEADERS = {
  type: 'object',
  properties: {
    'idempotency-key': {
      type: 'string',
      description:
        'Makes a retry safe (IETF httpapi Idempotency-Key draft): the same key with the same request within 24 hours answers ' +
        'the original answer, with the same ids and `Idempotent-Replayed: true`, and creates nothing. 1–255 visible ASCII ' +
        'characters, for example a UUID. Keys belong to one API key (or to all clients when keys are off) and one route.',
      examples: ['3f0c6a5e-4d4b-4c1e-9d61-2a7f0e9b1c55'],
    },
  },
};

/** Headers of an answer that may be a replay. */
export const REPLAY_HEADERS = {
  Location: HEADERS.location,
  'Idempotent-Replayed': { type: 'string', enum: ['true'], description: 'Present when this answer is a replay of an earlier request with the same Idempotency-Key.' },
};

export const INVALID_KEY_CASE: [string, string] = ['invalid_idempotency_key', 'The Idempotency-Key header must be 1 to 255 visible ASCII characters, for example a UUID.'];
export const KEY_REUSED_CASE: [string, string] = [
  'idempotency_key_reused',
  'This Idempotency-Key was already used for a different request. Use a new key for a new request; retry with the same request to get the original answer.',
];

export const keyInFlightResponse = () => ({
  ...errorResponse('A request with the same Idempotency-Key is still being answered', [
    'idempotency_key_in_flight',
    'A request with this Idempotency-Key is still being answered. Retry in a moment to get its answer.',
  ]),
  headers: { 'Retry-After': HEADERS.retryAfter },
});
