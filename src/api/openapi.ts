// The OpenAPI document's frame: info, tags, security schemes, and what every operation shares
// (the X-Request-Id header, the 405, 431 and 500 bodies, 401/403 when API keys are on). Each route describes
// its own parameters and responses in its schema; nothing here repeats them.
import type { SwaggerOptions } from '@fastify/swagger';
import type { Config } from '../config.js';
import { apiKeyInvalid, apiKeyRequired, isOpenPath } from './auth.js';
import { CLIENT_ERRORS } from './edge-errors.js';
import { fastifyErrorCase, internalError, methodNotAllowed, shuttingDown } from './errors.js';
import { EXAMPLE, HEADERS, REQUEST_ID_PATTERN, errorResponse } from './schemas.js';
import { COMPAT_TAGS, isCompatOperation } from './compat/docs.js';

type Schema = Record<string, unknown>;

const COMMON = {
  405: {
    ...errorResponse('This path exists, but not with this method; `Allow` lists the methods it takes', methodNotAllowed('PUT', ['GET', 'HEAD'])),
    headers: { Allow: { type: 'string', description: 'The methods this path takes.' } },
  },
  413: errorResponse('The request body is larger than the limit for requests that are not uploads (1 MB)', fastifyErrorCase('FST_ERR_CTP_BODY_TOO_LARGE', 0)),
  431: errorResponse('The request headers are larger than the server reads (16 KB)', CLIENT_ERRORS.HPE_HEADER_OVERFLOW!),
  500: errorResponse('An unexpected error on the server; the details are in its log under the request id', internalError()),
  401: errorResponse('API keys are on and the request carries none', apiKeyRequired()),
  403: errorResponse('The API key is not one of API_KEYS', apiKeyInvalid()),
  503: errorResponse(
    'This api process is shutting down (Retry-After: 1); the request can be sent again, to another replica',
    shuttingDown(),
  ),
};

const REQUEST_ID_HEADER = {
  type: 'object',
  properties: {
    'x-request-id': {
      type: 'string',
      pattern: REQUEST_ID_PATTERN.source,
      description:
        'Your id for this request (1 to 128 letters, digits, `.`, `_`, `:` or `-`). It is echoed in the response, in error ' +
        'bodies, and in the api and worker log lines of the job. Without it, or when invalid, a UUID is generated.',
      examples: [EXAMPLE.requestId],
    },
  },
};

/** A response schema in the explicit form: application/json, whatever the route produces. */
function jsonMedia(r: Schema): Schema {
  const { description, headers, 'x-examples': named, examples, ...schema } = r;
  const example = named ? { examples: named } : Array.isArray(examples) ? { example: examples[0] } : {};
  return { description, headers, content: { 'application/json': { schema: singleExamples(schema), ...example } } };
}

/** One error response with the named examples of both, and both descriptions. */
function mergeErrors(a: Schema, b: Schema): Schema {
  return {
    ...a,
    description: `${String(a.description)}; or ${String(b.description)}`,
    'x-examples': { ...(a['x-examples'] as Schema), ...(b['x-examples'] as Schema) },
  };
}

/** OpenAPI 3.0 schemas take one `example`, not JSON Schema's `examples` list (a deep copy). */
function singleExamples(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(singleExamples);
  if (!node || typeof node !== 'object') return node;
  const out: Schema = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === 'examples' && Array.isArray(v)) out.example = v[0];
    else out[k] = singleExamples(v);
  }
  return out;
}

export function openapiOptions(config: Pick<Config, 'PUBLIC_URL'>, apiKeysOn: boolean): SwaggerOptions {
  return {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Cutout API',
        version: '1.0.0',
        description:
          'Background removal for advertising images: upload an image, follow the job, download the PNG cutout.\n\n' +
          'Typical use: `POST /remove-bg` → 202 with a `job_id`; then either poll `GET /status/{job_id}` or listen to ' +
          '`GET /events/{job_id}` (Server-Sent Events); when the status is `done`, `GET /result/{job_id}` returns the PNG. ' +
          'Errors are JSON `{"error": {"code", "message", "request_id"}}`; `message` is meant for people, `code` for programs.' +
          (apiKeysOn
            ? '\n\nAPI keys are on for this deployment: send `Authorization: Bearer <key>` or `X-Api-Key: <key>` ' +
              '(or `?api_key=` where headers cannot be set, as with EventSource and `<img>`).'
            : ''),
      },
      servers: config.PUBLIC_URL ? [{ url: config.PUBLIC_URL }] : [],
      tags: [
        { name: 'jobs', description: 'Upload an image, follow its job, fetch the cutout, cancel.' },
        { name: 'editor', description: 'The mask editor: a done job\'s mask and photo, and saving an edited mask (the result is re-rendered from it).' },
        { name: 'batches', description: 'Many images at once (files or a ZIP archive), one set of options: follow them together, download them as one ZIP.' },
        { name: 'uploads', description: 'What uploads are accepted.' },
        { name: 'operations', description: 'Probes, metrics and maintenance, for operators and orchestrators.' },
        ...COMPAT_TAGS,
      ],
      // Documented only where keys are on, so the docs of an open deployment show no Authorize button.
      components: apiKeysOn
        ? {
            securitySchemes: {
              bearer: { type: 'http', scheme: 'bearer', description: 'One of API_KEYS.' },
              apiKeyHeader: { type: 'apiKey', in: 'header', name: 'X-Api-Key', description: 'One of API_KEYS.' },
              apiKeyQuery: { type: 'apiKey', in: 'query', name: 'api_key', description: 'For clients that cannot set headers.' },
            },
          }
        : {},
    },
    // What every operation shares is added here, to the document only (validation is untouched).
    transform: ({ schema, url, route }) => ({ schema: withSharedResponses(schema as Schema | undefined, url, [route.method].flat(), apiKeysOn) as typeof schema, url }),
  };
}

/** One operation's document with what every operation shares: headers, common errors, security. */
function withSharedResponses(s: Schema | undefined, url: string, methods: string[], apiKeysOn: boolean): Schema | undefined {
  if (!s || s.hide) return s;
  const protectedRoute = apiKeysOn && !isOpenPath(url);
  const responses: Record<string, Schema> = {};
  const own = s.response as Record<string, Schema>;
  // Compat endpoints (remove.bg, rembg) answer their errors in their own shapes: they document
  // them all themselves; only the answers given before their routes (405, 431) are shared.
  const compat = isCompatOperation(s.tags);
  const all: Record<string, Schema> = compat
    ? { ...own, 405: COMMON[405], 431: COMMON[431] }
    : { ...own, 405: COMMON[405], 431: COMMON[431], 500: COMMON[500], ...(protectedRoute ? { 401: COMMON[401], 403: COMMON[403] } : {}) };
  if (!compat) all[503] = own[503] ? mergeErrors(own[503], COMMON[503]) : COMMON[503];
  // Methods that carry a body: a stray one past the 1 MB limit is refused (plugins/bodies.ts).
  if (!compat && methods.some((m) => m === 'POST' || m === 'PUT' || m === 'DELETE')) {
    all[413] = own[413] ? mergeErrors(own[413], COMMON[413]) : COMMON[413];
  }
  for (const [code, r] of Object.entries(all)) {
    const headers = { 'X-Request-Id': HEADERS.requestId, ...(r.headers as Schema | undefined) };
    // Errors are JSON even where the success is a PNG or a stream, so they name their media type.
    responses[code] = Number(code) >= 400 ? { ...jsonMedia(r), headers } : { ...r, headers };
  }
  return {
    ...s,
    // A route's own request headers (Idempotency-Key) are documented beside X-Request-Id.
    headers: { ...REQUEST_ID_HEADER, properties: { ...REQUEST_ID_HEADER.properties, ...((s.headers as Schema | undefined)?.properties as Schema | undefined) } },
    response: responses,
    ...(protectedRoute ? { security: [{ bearer: [] }, { apiKeyHeader: [] }, { apiKeyQuery: [] }] } : {}),
  };
}

/** A few lines of what /metrics returns, as its example. */
export const METRICS_EXAMPLE = [
  '# HELP cutout_http_requests_total HTTP requests by route, method and status',
  '# TYPE cutout_http_requests_total counter',
  'cutout_http_requests_total{route="/remove-bg",method="POST",status="202",process="api"} 42',
  '# HELP cutout_queue_jobs Jobs in the queue by state',
  '# TYPE cutout_queue_jobs gauge',
  'cutout_queue_jobs{state="waiting",process="api"} 3',
  '',
].join('\n');
