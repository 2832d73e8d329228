// The repository's root, found from this file whether it runs from source (tsx) or compiled
// (dist-tools/tools/...): the nearest folder above with a package.json.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

export const REPO_DIR = findRoot(path.dirname(fileURLToPath(import.meta.url)));

/** A built service entry point (dist/…), with a clear message when `npm run build` has not run. */
export function builtScript(relative: string): string {
  const file = path.join(REPO_DIR, 'dist', relative);
  if (!fs.existsSync(file)) throw new Error(`${file} is missing: run npm run build first`);
  return file;
}
