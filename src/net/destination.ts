// Where a URL may lead: the URL checked (scheme, credentials, literal address), then its host name
// resolved ONCE and every answer checked. The checked addresses are what the connection uses, so
// there is no second lookup for an attacker's DNS to answer differently.
import dns from 'node:dns';
import { classifyIp, formatIp, parseIp, type Ip } from './address.js';
import { allowsHost, allowsIp, type AllowList } from './allow-list.js';
import { FetchFailedError, UrlRefusedError } from './errors.js';

/** One address of a host name, as dns.lookup answers it. */
export interface ResolvedAddress {
  address: string;
  family: number;
}

/** Resolves a host name to all of its addresses. */
export type Resolver = (host: string) => Promise<ResolvedAddress[]>;

export const systemResolver: Resolver = (host) => dns.promises.lookup(host, { all: true, verbatim: true });

/** A URL cleared for a connection, and the addresses to connect to. */
export interface Destination {
  url: URL;
  /** The host name (or literal address, without brackets) as the request names it. */
  host: string;
  addresses: ResolvedAddress[];
}

/** The longest URL accepted (long signed URLs fit). */
export const MAX_URL_LENGTH = 8192;

/** The URL, parsed and checked before any lookup: http or https, no credentials, a host. */
export function checkUrl(text: string): URL {
  if (text.length > MAX_URL_LENGTH) throw new UrlRefusedError(`it is longer than ${MAX_URL_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UrlRefusedError(`"${text.slice(0, 100)}" is not an absolute URL (such as https://example.com/photo.jpg)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UrlRefusedError(`the scheme "${url.protocol.slice(0, -1).slice(0, 20)}" is not supported (only http and https are)`);
  }
  if (url.username || url.password) throw new UrlRefusedError('it carries a user name or password (user:pass@host), which is not accepted');
  if (!url.hostname) throw new UrlRefusedError('it has no host');
  return url;
}

/** Why an address may not be connected to, or null when it may. */
function refusal(ip: Ip, allow: AllowList): string | null {
  return allowsIp(allow, ip) ? null : classifyIp(ip);
}

/** The addresses of the URL's host, every one checked (unless the operator allowed the host by name). */
export async function resolveDestination(url: URL, allow: AllowList, resolver: Resolver): Promise<Destination> {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const literal = parseIp(host);
  if (literal) {
    const why = refusal(literal, allow);
    if (why) throw new UrlRefusedError(`${formatIp(literal)} is ${why}`);
    return { url, host, addresses: [{ address: formatIp(literal), family: literal.family }] };
  }
  let answers: ResolvedAddress[];
  try {
    answers = await resolver(host);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new FetchFailedError('dns', `the host name ${host} could not be resolved${code ? ` (${code})` : ''}`);
  }
  if (answers.length === 0) throw new FetchFailedError('dns', `the host name ${host} has no address`);
  if (allowsHost(allow, host)) return { url, host, addresses: answers };
  for (const answer of answers) {
    const ip = parseIp(answer.address);
    const why = ip ? refusal(ip, allow) : 'not an IP address';
    if (why) throw new UrlRefusedError(`${host} resolves to ${answer.address}, which is ${why}`);
  }
  return { url, host, addresses: answers };
}

/**
 * A `lookup` for http.request that answers with the checked addresses only (all of them when
 * asked for all, as Node's happy-eyeballs connect does), never asking DNS again.
 */
export function pinnedLookup(addresses: ResolvedAddress[]) {
  return (_host: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (options.all) callback(null, addresses);
    else callback(null, addresses[0]!.address, addresses[0]!.family);
  };
}
