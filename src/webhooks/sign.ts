// Standard Webhooks signatures (https://www.standardwebhooks.com): every delivery carries
// `webhook-id` (the same across retries), `webhook-timestamp` (seconds, the attempt's time) and
// `webhook-signature` = `v1,` + base64 HMAC-SHA256 over `id.timestamp.body` with the secret's key.
import { createHmac } from 'node:crypto';

const SECRET_PREFIX = 'whsec_';

/** True when the text is a Standard Webhooks secret: `whsec_` and base64 of at least 24 bytes. */
export function isWebhookSecret(text: string): boolean {
  if (!text.startsWith(SECRET_PREFIX)) return false;
  const b64 = text.slice(SECRET_PREFIX.length);
  return /^[A-Za-z0-9+/]+={0,2}$/.test(b64) && Buffer.from(b64, 'base64').length >= 24;
}

/** The HMAC key of a `whsec_` secret (its base64 part, decoded). */
export function webhookKey(secret: string): Buffer {
  return Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64');
}

export interface WebhookHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

export function signWebhook(key: Buffer, messageId: string, body: string, now = new Date()): WebhookHeaders {
  const timestamp = String(Math.floor(now.getTime() / 1000));
  const signature = createHmac('sha256', key).update(`${messageId}.${timestamp}.${body}`).digest('base64');
  return { 'webhook-id': messageId, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${signature}` };
}
