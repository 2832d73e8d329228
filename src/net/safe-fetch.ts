// A server-side fetch of a URL a client gave us, safe against SSRF: http/https only, the host
// resolved once and every address checked (src/net/address.ts) before the connection is made to
// that checked address; redirects followed by hand, each hop checked the same way; the body
// streamed under a byte cap; one time limit over everything (lookups, connects, headers, body).
import http from 'node:http';
import https from 'node:https';
import { NOTHING_ALLOWED, type AllowList } from './allow-list.js';
import { checkUrl, pinnedLookup, resolveDestination, systemResolver, type Destination, type Resolver } from './destination.js';
import { FetchFailedError, UrlRefusedError } from './errors.js';

export { FetchFailedError, UrlRefusedError, type FetchFailure } from './errors.js';
export { parseAllowList, NOTHING_ALLOWED, type AllowList } from './allow-list.js';
export type { Resolver, ResolvedAddress } from './destination.js';

export interface SafeFetchOptions {
  /** The largest body accepted, in bytes: past it the fetch ends with FetchFailedError 'too_large'. */
  maxBytes: number;
  /** One limit for the whole fetch, redirects included. */
  timeoutMs: number;
  /** The operator's exceptions (URL_FETCH_ALLOW_HOSTS); nothing by default. */
  allow?: AllowList;
  /** How host names are resolved (tests inject one); default dns.promises.lookup(host, {all: true}). */
  resolver?: Resolver;
  /** Redirects followed (GET and HEAD only); default 5. */
  maxRedirects?: number;
  method?: string;
  headers?: Record<string, string>;
  /** A request body (for POST; a POST never follows redirects). */
  body?: Buffer | string;
  /** Answers of any status resolve (their body read under the same cap), not only 2xx. */
  anyStatus?: boolean;
}

export interface SafeResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** The final URL, after redirects. */
  url: string;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const DEFAULT_HEADERS = { 'user-agent': 'Cutout (server-side fetch)', accept: '*/*' };
/** Headers not carried to another origin by a redirect. */
const PRIVATE_HEADERS = ['authorization', 'cookie', 'proxy-authorization'];

/**
 * Fetches the URL; resolves with a 2xx answer (any answer with `anyStatus`) and its whole body. Throws UrlRefusedError when the
 * URL or an address it leads to is not allowed (before any connection to it), FetchFailedError
 * when the answer is not usable (status, time limit, size, connection, TLS, DNS, redirects).
 */
export async function safeFetch(url: string, opts: SafeFetchOptions): Promise<SafeResponse> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), opts.timeoutMs);
  const method = (opts.method ?? 'GET').toUpperCase();
  const follows = method === 'GET' || method === 'HEAD';
  let headers: Record<string, string> = { ...DEFAULT_HEADERS, ...lowerCase(opts.headers ?? {}) };
  try {
    let current = checkUrl(url);
    for (let redirects = 0; ; redirects++) {
      const dest = await untilAborted(resolveDestination(current, opts.allow ?? NOTHING_ALLOWED, opts.resolver ?? systemResolver), controller.signal);
      const res = await send(dest, method, headers, opts.body, controller.signal);
      const location = res.headers.location;
      if (follows && REDIRECTS.has(res.statusCode ?? 0) && location) {
        res.destroy();
        if (redirects >= (opts.maxRedirects ?? 5)) throw new FetchFailedError('redirects', `the server redirected more than ${opts.maxRedirects ?? 5} times`);
        const next = checkUrl(new URL(location, current).href);
        if (next.origin !== current.origin) headers = withoutPrivate(headers);
        current = next;
        continue;
      }
      const status = res.statusCode ?? 0;
      if (!opts.anyStatus && (status < 200 || status > 299)) {
        res.destroy();
        throw new FetchFailedError('status', `the server answered ${status}${res.statusMessage ? ` ${res.statusMessage}` : ''}`, status);
      }
      return { status, headers: res.headers, body: await readBody(res, opts.maxBytes), url: current.href };
    }
  } catch (err) {
    throw explain(err, controller.signal.aborted, opts.timeoutMs);
  } finally {
    clearTimeout(timer);
  }
}

const lowerCase = (h: Record<string, string>) => Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
const withoutPrivate = (h: Record<string, string>) => Object.fromEntries(Object.entries(h).filter(([k]) => !PRIVATE_HEADERS.includes(k)));

/** The promise, or an AbortError as soon as the signal fires (a resolver that hangs). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(Object.assign(new Error('aborted'), { name: 'AbortError' }));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** One request to the checked addresses of the destination, its host name kept for Host and SNI. */
function send(dest: Destination, method: string, headers: Record<string, string>, body: Buffer | string | undefined, signal: AbortSignal) {
  const client = dest.url.protocol === 'https:' ? https : http;
  return new Promise<http.IncomingMessage>((resolve, reject) => {
    const req = client.request(
      {
        method,
        hostname: dest.host,
        port: dest.url.port || undefined,
        path: `${dest.url.pathname}${dest.url.search}`,
        headers,
        lookup: pinnedLookup(dest.addresses) as never,
        agent: false, // no pooled socket: each request connects to its own checked address
        signal,
      },
      resolve,
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The whole body, refused early by its Content-Length, and cut off once it passes the cap. */
async function readBody(res: http.IncomingMessage, maxBytes: number): Promise<Buffer> {
  const tooLarge = () => new FetchFailedError('too_large', `the answer is larger than the ${maxBytes}-byte limit`);
  if (Number(res.headers['content-length'] ?? 0) > maxBytes) {
    res.destroy();
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) {
      res.destroy();
      throw tooLarge();
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Any failure as one of the two errors, with a reason a person can read. */
function explain(err: unknown, timedOut: boolean, timeoutMs: number): Error {
  if (err instanceof UrlRefusedError || err instanceof FetchFailedError) return err;
  if (timedOut) return new FetchFailedError('timeout', `no complete answer within ${timeoutMs / 1000} seconds`);
  const code = String((err as NodeJS.ErrnoException).code ?? '');
  const message = err instanceof Error ? err.message : String(err);
  if (code === 'ECONNREFUSED') return new FetchFailedError('connection', 'the server refused the connection');
  if (/^(ECONNRESET|EPIPE|ECONNABORTED|ERR_STREAM_PREMATURE_CLOSE)$/.test(code)) {
    return new FetchFailedError('connection', 'the connection was closed before the answer was complete');
  }
  if (/^(ETIMEDOUT|ENETUNREACH|EHOSTUNREACH|EADDRNOTAVAIL)$/.test(code)) return new FetchFailedError('connection', `the server could not be reached (${code})`);
  if (/^ERR_TLS|CERT|SSL|^ERR_SSL/.test(code) || /ssl|tls|certificate/i.test(message)) {
    return new FetchFailedError('tls', `the TLS connection failed (${code || message.slice(0, 100)})`);
  }
  if (code.startsWith('HPE_')) return new FetchFailedError('connection', 'the server did not answer valid HTTP');
  return new FetchFailedError('connection', `the connection failed (${code || message.slice(0, 100)})`);
}
