// Holds an answer of POST /v1.0/removebg or GET /v1.0/account to remove.bg's own API description
// (test/fixtures/removebg-openapi.json): the status is one it documents, the media type fits, the
// documented headers have their types, a JSON body fits its schema, and a 400's code is one of
// the codes remove.bg lists.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ajv } from './contract.js';

type Json = Record<string, unknown>;
interface Media { schema?: Json; examples?: Record<string, unknown> }
interface Resp { headers?: Record<string, { schema: Json }>; content?: Record<string, Media> }

const here = path.dirname(fileURLToPath(import.meta.url));
export const REMOVEBG_DOC = JSON.parse(fs.readFileSync(path.join(here, '../fixtures/removebg-openapi.json'), 'utf8')) as {
  paths: Record<string, Record<string, { responses: Record<string, Resp> }>>;
  components: { schemas: Record<string, Json> };
};

/** A schema with its $refs (#/components/schemas/…) replaced by what they name. */
function deref(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(deref);
  if (!node || typeof node !== 'object') return node;
  const ref = (node as { $ref?: string }).$ref;
  if (ref) return deref(REMOVEBG_DOC.components.schemas[ref.split('/').pop()!]);
  return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, deref(v)]));
}

/** The error codes remove.bg's document lists for its 400. */
export const REMOVEBG_400_CODES = Object.keys(REMOVEBG_DOC.paths['/removebg']!.post!.responses['400']!.content!['*/*']!.examples!);

export interface Answer {
  status: number;
  headers: Headers;
  body: Buffer;
}

const mediaFor = (content: Record<string, Media>, type: string): Media | undefined =>
  content[type] ?? content[`${type.split('/')[0]}/*`] ?? content['*/*'];

/** Asserts the answer is one remove.bg documents for `op` (`post /removebg`, `get /account`). */
export function assertRemoveBgAnswer(op: ['post' | 'get', string], res: Answer, what: string): void {
  const documented = REMOVEBG_DOC.paths[op[1]]![op[0]]!.responses[String(res.status)];
  assert.ok(documented, `${what}: status ${res.status} is one remove.bg documents (${res.body.toString('utf8', 0, 300)})`);
  const type = String(res.headers.get('content-type') ?? '').split(';')[0]!;
  const media = mediaFor(documented.content ?? {}, type);
  assert.ok(media, `${what}: ${type} is documented for ${res.status}`);
  for (const [name, h] of Object.entries(documented.headers ?? {})) {
    const value = res.headers.get(name);
    if (name === 'X-Type') {
      assert.equal(value, null, `${what}: X-Type is not sent (Cutout does not classify)`);
      continue;
    }
    assert.ok(value !== null, `${what}: header ${name} is sent`);
    assert.ok(ajv.validate(h.schema.type === 'string' ? h.schema : { ...h.schema, format: undefined }, Number(value)), `${what}: ${name}=${value} fits ${JSON.stringify(h.schema)}`);
  }
  if (type !== 'application/json') return;
  const body = JSON.parse(res.body.toString('utf8')) as { errors?: { code?: string }[] };
  assert.ok(ajv.validate(deref(media.schema) as Json, body), `${what}: the body fits remove.bg's schema: ${ajv.errorsText()}`);
  if (res.status === 400) {
    const code = body.errors?.[0]?.code ?? '';
    assert.ok(REMOVEBG_400_CODES.includes(code), `${what}: ${code} is one of remove.bg's 400 codes`);
  }
}
