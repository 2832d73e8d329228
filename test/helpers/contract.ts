// Holds one HTTP answer to the api's own OpenAPI document: the status is documented for the
// operation (or is a 405/404 the document explains), the content type too, a JSON body fits its
// schema, an error's code is among the documented ones, and X-Request-Id is always there.
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';

type Json = Record<string, unknown>;
export interface Media { schema?: Json; example?: unknown; examples?: Record<string, { value: unknown }> }
export interface DocResponse { description: string; headers?: Record<string, unknown>; content?: Record<string, Media> }
export interface Operation {
  operationId?: string; summary?: string; description?: string; tags?: string[]; security?: unknown[];
  parameters?: { name: string; in: string; description?: string; example?: unknown; schema: Json }[];
  requestBody?: { content: Record<string, Media> };
  responses: Record<string, DocResponse>;
}
export interface Doc { paths: Record<string, Record<string, Operation>>; components?: { securitySchemes?: Json } }

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
export const ajv = addFormats(new Ajv({ strict: false, allErrors: true }));
ajv.addFormat('binary', true);

/** Every example of a media type, by name. */
export const examplesOf = (m: Media): [string, unknown][] =>
  m.examples ? Object.entries(m.examples).map(([k, v]) => [k, v.value]) : 'example' in m ? [['example', m.example]] : [];

/** The document's path template a concrete path matches (`/status/{job_id}`), if any. */
export function templateOf(doc: Doc, path: string, method?: string): string | undefined {
  const matching = Object.keys(doc.paths).filter((t) =>
    new RegExp(`^${t.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{[^}]+\\?\}|\{[^}]+\}/g, '[^/]+')}$`).test(path),
  );
  // `/jobs/failed` is both a path of its own (GET) and a job id (DELETE /jobs/{job_id}).
  return matching.find((t) => method && doc.paths[t]![method]) ?? matching[0];
}

/** What is wrong with this answer, or null when it keeps the contract. */
export function contractProblem(doc: Doc, method: string, path: string, a: Answer): string | null {
  if (!a.headers['x-request-id']) return 'no X-Request-Id';
  // A 504 is an answer the synchronous routes document (SYNC_TIMEOUT_SECONDS); any other 5xx is a fault.
  if (a.status >= 500 && a.status !== 504) return `a server error ${a.status}: ${a.body.slice(0, 200)}`;
  const template = templateOf(doc, path, method === 'head' ? 'get' : method);
  const ops = template ? doc.paths[template]! : undefined;
  const op = ops?.[method === 'head' ? 'get' : method];
  const type = String(a.headers['content-type'] ?? '').split(';')[0]!;
  if (!op) {
    // No such operation: 405 (Allow) on a known path, 404 elsewhere; 400/431 for bytes that are not a request.
    const expected = ops ? [405, 404, 400, 431] : [404, 400, 431]; // 404 on a known path: a URL that does not decode
    if (!expected.includes(a.status)) return `${a.status} for an undocumented ${method} ${path}`;
    if (a.status === 405 && !a.headers.allow) return '405 without Allow';
    return method === 'head' ? null : errorShape(a, type);
  }
  const documented = op.responses[String(a.status)];
  if (!documented) return `${a.status} is not documented for ${method} ${template}: ${a.body.slice(0, 200)}`;
  if (method === 'head' || a.status === 204 || a.status === 101) return null;
  const media = documented.content?.[type] ?? (documented.content ? undefined : { schema: documented as unknown as Json });
  if (!media) return `${type} is not documented for ${a.status} of ${method} ${template}`;
  if (type !== 'application/json') return null;
  let body: unknown;
  try {
    body = JSON.parse(a.body);
  } catch {
    return `not JSON: ${a.body.slice(0, 100)}`;
  }
  if (media.schema && !ajv.validate(media.schema, body)) return `the body does not fit the schema: ${ajv.errorsText()} ${a.body.slice(0, 200)}`;
  if (a.status >= 400) {
    // Cutout's {error: {code}}, remove.bg's {errors: [{code}]}; rembg's FastAPI {detail} has no code.
    const b = body as { error?: { code?: string }; errors?: { code?: string }[]; detail?: unknown };
    if (b.detail !== undefined && !b.error) return null;
    const code = b.error?.code ?? b.errors?.[0]?.code ?? '';
    const codes = examplesOf(media).map(([name]) => name);
    if (!codes.includes(code)) return `error code ${code} is not among the documented ${codes.join(', ')}`;
  }
  return null;
}

function errorShape(a: Answer, type: string): string | null {
  if (type !== 'application/json') return `an error as ${type}`;
  try {
    const body = JSON.parse(a.body) as { error?: { code?: unknown; message?: unknown } };
    if (typeof body.error?.code !== 'string' || typeof body.error.message !== 'string') return `not our error body: ${a.body.slice(0, 200)}`;
  } catch {
    return `not JSON: ${a.body.slice(0, 100)}`;
  }
  return null;
}
