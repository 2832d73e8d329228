// The two ways a server-side fetch ends without a body: the URL (or the address behind it) is not
// allowed, or the server answered badly. Each carries a sentence-part saying why; the callers
// (image_url, webhooks) turn them into their own errors.

/** The URL or the address it leads to is not allowed: nothing was (or will be) sent to it. */
export class UrlRefusedError extends Error {
  override name = 'UrlRefusedError';
  /** Why, in words: "169.254.169.254 is the cloud metadata address (169.254.169.254, link-local)". */
  constructor(readonly reason: string) {
    super(`The URL is not allowed: ${reason}.`);
  }
}

export type FetchFailure = 'status' | 'timeout' | 'too_large' | 'redirects' | 'dns' | 'connection' | 'tls';

/** The fetch was allowed, but did not end with a usable answer. */
export class FetchFailedError extends Error {
  override name = 'FetchFailedError';
  constructor(
    readonly kind: FetchFailure,
    /** Why, in words: "the server answered 404 Not Found". */
    readonly reason: string,
    /** The HTTP status, when the server answered one (kind 'status'). */
    readonly status?: number,
  ) {
    super(`The fetch failed: ${reason}.`);
  }
}
