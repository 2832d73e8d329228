// A client of a remove.bg-compatible API (remove.bg itself, or another Cutout's /v1.0/removebg),
// for the external engine. It asks for one thing: the photo's alpha mask at the highest size the
// API gives (`size=auto&format=png&channels=alpha`); Cutout applies the job's options itself.
// Its answers become Cutout's errors: a 400 is the photo's fault (final), 401/403 a refused key
// (final), 402/429/5xx and network faults are retried (after Retry-After when given). The API key
// is sent in X-Api-Key only; it is scrubbed from every text that comes back.
import { EngineRefusedError, EngineUnavailableError, InvalidImageError, UnknownForegroundError, type CutoutError } from '../errors.js';
import { FetchFailedError, parseAllowList, safeFetch, UrlRefusedError, type SafeResponse } from '../net/safe-fetch.js';

export interface RemoveBgClientSettings {
  /** The API's base, e.g. https://api.remove.bg/v1.0 (POST {base}/removebg, GET {base}/account). */
  baseUrl: string;
  apiKey: string;
  /** One time limit for a whole call. */
  timeoutMs: number;
  /** The largest answer read. */
  maxBytes: number;
}

/** What the engine asks the API for: the mask alone, at full size, as a lossless PNG. */
export const MASK_REQUEST = { size: 'auto', format: 'png', channels: 'alpha' } as const;

/** The longest Retry-After honoured (a longer one is cut to this). */
const MAX_RETRY_AFTER_MS = 3600_000;
/** The most characters of the API's own error text carried into a job's failure. */
const MAX_TEXT = 300;

/** `https://api.remove.bg/v1.0/removebg/` → `https://api.remove.bg/v1.0`: the base either way. */
export function engineBaseUrl(url: string): string {
  return url.replace(/\/+$/, '').replace(/\/removebg$/, '');
}

/** Retry-After (seconds, or an HTTP date) in milliseconds; undefined when absent or unreadable. */
export function retryAfterMs(header: string | string[] | undefined, now = Date.now()): number | undefined {
  const text = (Array.isArray(header) ? header[0] : header)?.trim();
  if (!text) return undefined;
  const ms = /^\d+$/.test(text) ? Number(text) * 1000 : Date.parse(text) - now;
  return Number.isFinite(ms) ? Math.min(Math.max(0, ms), MAX_RETRY_AFTER_MS) : undefined;
}

export class RemoveBgClient {
  private readonly base: string;
  /** The configured host may be private (another Cutout beside this one): it is the operator's choice. */
  private readonly allow;

  constructor(private readonly settings: RemoveBgClientSettings) {
    this.base = engineBaseUrl(settings.baseUrl);
    this.allow = parseAllowList([new URL(this.base).hostname.replace(/^\[(.*)\]$/, '$1')]);
  }

  /**
   * The photo's mask as the API returns it (a greyscale PNG; an RGBA cut-out from APIs that ignore
   * `channels`). `workKey` (the job's id) goes as Idempotency-Key: an API that honours it (another
   * Cutout) answers a retry after a timeout with the job it already made, not a second one.
   */
  async mask(photo: Buffer, workKey?: string): Promise<Buffer> {
    const form = new FormData();
    form.set('image_file', new Blob([new Uint8Array(photo)]), 'photo');
    for (const [name, value] of Object.entries(MASK_REQUEST)) form.set(name, value);
    const encoded = new Request('http://form.invalid/', { method: 'POST', body: form });
    const res = await this.call('/removebg', {
      method: 'POST',
      headers: { 'content-type': encoded.headers.get('content-type')!, accept: 'image/*', ...(workKey ? { 'idempotency-key': `cutout-${workKey}` } : {}) },
      body: Buffer.from(await encoded.arrayBuffer()),
    });
    if (res.status === 200) return res.body;
    throw this.failureOf(res);
  }

  /** GET /account: null when the API takes the key, else why not (for readiness). */
  async accountProblem(): Promise<string | null> {
    try {
      const res = await this.call('/account', { method: 'GET', headers: { accept: 'application/json' } });
      return res.status === 200 ? null : this.failureOf(res).message;
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    }
  }

  private async call(path: string, init: { method: string; headers: Record<string, string>; body?: Buffer }): Promise<SafeResponse> {
    try {
      return await safeFetch(`${this.base}${path}`, {
        ...init,
        headers: { ...init.headers, 'x-api-key': this.settings.apiKey, 'user-agent': 'Cutout (external engine)' },
        maxBytes: this.settings.maxBytes,
        timeoutMs: this.settings.timeoutMs,
        allow: this.allow,
        anyStatus: true,
      });
    } catch (err) {
      if (err instanceof FetchFailedError || err instanceof UrlRefusedError) {
        throw new EngineUnavailableError(`The external background-removal engine could not be reached: ${this.scrub(err.reason)}.`);
      }
      throw err;
    }
  }

  /** The API's error answer as Cutout's error. */
  private failureOf(res: SafeResponse): CutoutError {
    const said = this.saidOf(res);
    const status = `HTTP ${res.status}`;
    // The photo's fault: remove.bg answers 400; a proxy in front of an API may answer 413 or 415.
    if (res.status === 400 || res.status === 413 || res.status === 415) {
      if (said.code === 'unknown_foreground') return new UnknownForegroundError();
      return new InvalidImageError(`The external background-removal engine could not process this image: ${said.text || status}.`);
    }
    if (res.status === 401 || res.status === 403) {
      return new EngineRefusedError(`The external engine refused the API key (${status}${said.text ? `: ${said.text}` : ''}). The operator should check REMOVEBG_API_KEY.`);
    }
    const later = retryAfterMs(res.headers['retry-after']);
    if (res.status === 402) return new EngineUnavailableError(`The external background-removal engine has no credits left (${status}${said.text ? `: ${said.text}` : ''}); please try again later.`, later);
    if (res.status === 429) return new EngineUnavailableError(`The external background-removal engine is rate limiting this service (${status}); please try again later.`, later);
    // Another Cutout still answering the same Idempotency-Key (an earlier attempt that timed out here).
    if (res.status === 409) return new EngineUnavailableError(`The external background-removal engine is still working on this image (${status}); please try again later.`, later);
    if (res.status >= 500) return new EngineUnavailableError(`The external background-removal engine failed (${status}${said.text ? `: ${said.text}` : ''}); please try again later.`, later);
    return new EngineRefusedError(
      `The external engine at REMOVEBG_API_URL answered ${status}${said.text ? ` (${said.text})` : ''}: it does not look like a remove.bg-compatible API. The operator should check REMOVEBG_API_URL.`,
    );
  }

  /** remove.bg's {"errors": [{title, code, detail}]}, as one short line. */
  private saidOf(res: SafeResponse): { code?: string; text: string } {
    try {
      const body = JSON.parse(res.body.toString('utf8')) as { errors?: { title?: unknown; code?: unknown; detail?: unknown }[] };
      const first = body.errors?.[0];
      if (!first) return { text: '' };
      const parts = [first.title, first.detail].filter((p): p is string => typeof p === 'string' && p.trim() !== '');
      return { code: typeof first.code === 'string' ? first.code : undefined, text: this.scrub(parts.join(': ')).slice(0, MAX_TEXT) };
    } catch {
      return { text: '' };
    }
  }

  /** The key never travels back into a message, even if an API echoes it. */
  private scrub(text: string): string {
    return this.settings.apiKey ? text.split(this.settings.apiKey).join('[redacted]') : text;
  }
}
