// The SDK's two errors: the api answered with an error (CutoutApiError, from its
// {"error": {code, message, request_id}} body), or it could not be reached (CutoutNetworkError).

/** The api answered with an error status. */
export class CutoutApiError extends Error {
  override readonly name = 'CutoutApiError';
  constructor(
    /** The HTTP status (400, 401, 404, 410, 429, 500, …). */
    readonly status: number,
    /** The api's stable reason (`invalid_format`, `unknown_job`, …); `http_<status>` when the body was not the api's. */
    readonly code: string,
    message: string,
    /** The request's X-Request-Id: quote it when reporting a problem. */
    readonly requestId: string | undefined,
    /** What was asked: "POST /remove-bg". */
    readonly request: string,
  ) {
    super(message);
  }
}

/** The request never got an answer: the server is down, the address is wrong, the connection broke. */
export class CutoutNetworkError extends Error {
  override readonly name = 'CutoutNetworkError';
  constructor(
    /** Where the service was looked for. */
    readonly baseUrl: string,
    /** Why it could not be reached (the connection's error: "connect ECONNREFUSED 127.0.0.1:9"). */
    readonly reason: string,
    /** What was asked: "GET /status/…". */
    readonly request: string,
    options?: { cause?: unknown },
  ) {
    super(`Cannot reach ${baseUrl}: ${reason}`, options);
  }
}

/** The error of a non-2xx answer: the api's own code and sentence when the body is its error JSON. */
export async function apiError(res: Response, request: string): Promise<CutoutApiError> {
  const text = await res.text().catch(() => '');
  const headerId = res.headers.get('x-request-id') ?? undefined;
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown; request_id?: unknown } };
    const e = body.error;
    if (e && typeof e.code === 'string' && typeof e.message === 'string') {
      return new CutoutApiError(res.status, e.code, e.message, typeof e.request_id === 'string' ? e.request_id : headerId, request);
    }
  } catch {
    /* not JSON: the text as it is */
  }
  return new CutoutApiError(res.status, `http_${res.status}`, text.slice(0, 300) || `The server answered ${res.status}.`, headerId, request);
}
