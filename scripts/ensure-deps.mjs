// Installs npm dependencies when they are missing or older than package-lock.json, so that
// `npm run demo` and `npm test` work as the first commands on a fresh clone.
import { execSync } from 'node:child_process';
import fs from 'node:fs';

const stamp = 'node_modules/.package-lock.json';
const stale =
  !fs.existsSync(stamp) || fs.statSync('package-lock.json').mtimeMs > fs.statSync(stamp).mtimeMs + 1000;
if (stale) {
  console.log('Installing dependencies (npm ci)...');
  execSync('npm ci --no-fund --no-audit', { stdio: 'inherit' });
}
