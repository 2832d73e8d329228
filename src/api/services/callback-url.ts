// callback_url at upload: webhooks must be signable (WEBHOOK_SECRET), and the URL usable (http or
// https, no credentials, not a literal refused address). A host name is resolved and checked at
// each delivery (src/worker/webhook-delivery.ts), where its answers are pinned for the connection.
import type { Config } from '../../config.js';
import { checkUrl, resolveDestination } from '../../net/destination.js';
import { parseIp } from '../../net/address.js';
import { UrlRefusedError } from '../../net/errors.js';
import { badRequest } from '../http-errors.js';
import { allowListOf } from './image-url.js';

export const webhooksNotConfigured = () =>
  badRequest(
    'Webhooks are not set up on this server (WEBHOOK_SECRET is empty), so callback_url cannot be used. Poll the status URL or listen to the events URL instead.',
    'webhooks_not_configured',
  );

export const invalidCallbackUrl = (reason: string) =>
  badRequest(`The callback_url cannot be used: ${reason}. Give a public http or https address that accepts POST requests.`, 'invalid_callback_url');

/** The callback URL as it will be called; throws the 400 that says why not. */
export async function checkCallbackUrl(config: Pick<Config, 'WEBHOOK_SECRET' | 'URL_FETCH_ALLOW_HOSTS'>, text: string): Promise<string> {
  if (!config.WEBHOOK_SECRET) throw webhooksNotConfigured();
  try {
    const url = checkUrl(text);
    if (parseIp(url.hostname.replace(/^\[(.*)\]$/, '$1'))) {
      await resolveDestination(url, allowListOf(config), () => Promise.resolve([]));
    }
    return url.href;
  } catch (err) {
    if (err instanceof UrlRefusedError) throw invalidCallbackUrl(err.reason);
    throw err;
  }
}
