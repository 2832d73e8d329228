// docker-compose.yml as `docker compose` reads it on a machine with no .env file: `${VAR:-default}`
// becomes its default (compose interpolates before it parses), then YAML with merge keys.
import fs from 'node:fs';
import path from 'node:path';
import { parse, type ParseOptions, type SchemaOptions } from 'yaml';
import { ROOT } from './fixtures.js';

export function readCompose<T>(file = 'docker-compose.yml', options: Pick<SchemaOptions, 'customTags'> & ParseOptions = {}): T {
  const text = fs
    .readFileSync(path.join(ROOT, file), 'utf8')
    // A whole value (quoted or not) becomes a quoted string, so an empty default stays "" (not null).
    .replace(/"\$\{\w+:-([^}]*)\}"/g, (_m, d: string) => JSON.stringify(d))
    .replace(/(:[ \t]*)\$\{\w+:-([^}]*)\}[ \t]*$/gm, (_m, head: string, d: string) => head + JSON.stringify(d))
    .replace(/\$\{\w+:-([^}]*)\}/g, '$1');
  return parse(text, { merge: true, ...options }) as T;
}
