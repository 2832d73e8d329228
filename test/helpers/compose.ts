// docker-compose.yml as `docker compose` reads it on a machine with no .env file: `${VAR:-default}`
// becomes its default (compose interpolates before it parses), then YAML with merge keys.
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { ROOT } from './fixtures.js';

export function readCompose<T>(file = 'docker-compose.yml'): T {
  const text = fs.readFileSync(path.join(ROOT, file), 'utf8').replace(/\$\{\w+:-([^}]*)\}/g, '$1');
  return parse(text, { merge: true }) as T;
}
