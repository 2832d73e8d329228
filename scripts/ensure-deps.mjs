// Makes the README's two commands work on a fresh machine: installs npm dependencies when they
// are missing or older than package-lock.json, and the system programs the command needs
// (`redis-server` for the demo and the tests, `chromium` for the browser tests). A missing
// program is installed with apt-get when that is possible without a password (root, or
// passwordless sudo), with a visible message; otherwise it stops with the command to run.
// Usage: node scripts/ensure-deps.mjs [redis-server] [chromium]
import { execSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';

const stamp = 'node_modules/.package-lock.json';
const stale =
  !fs.existsSync(stamp) || fs.statSync('package-lock.json').mtimeMs > fs.statSync(stamp).mtimeMs + 1000;
if (stale) {
  console.log('Installing dependencies (npm ci)...');
  execSync('npm ci --no-fund --no-audit', { stdio: 'inherit' });
}

/** Each program: how to tell it is there, its package per system. */
const PROGRAMS = {
  'redis-server': {
    present: () => has('redis-server') || Boolean(process.env.REDIS_URL),
    apt: 'redis-server', dnf: 'redis', brew: 'brew install redis',
  },
  chromium: {
    present: () => fs.existsSync(process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'),
    apt: 'chromium', dnf: 'chromium', brew: 'brew install --cask chromium  (then CHROMIUM_PATH=/Applications/Chromium.app/Contents/MacOS/Chromium)',
  },
};

function has(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/** "" as root, "sudo -n " with passwordless sudo, null when apt-get cannot be run unattended. */
function aptPrefix() {
  if (os.platform() !== 'linux' || !has('apt-get')) return null;
  if (process.getuid?.() === 0) return '';
  return has('sudo') && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0 ? 'sudo -n ' : null;
}

function howToInstall(names) {
  const pick = (key) => names.map((n) => PROGRAMS[n][key]);
  if (os.platform() === 'darwin') return pick('brew').join('\n  ');
  if (has('dnf')) return `sudo dnf install -y ${pick('dnf').join(' ')}`;
  return `sudo apt-get update && sudo apt-get install -y ${pick('apt').join(' ')}`;
}

const wanted = process.argv.slice(2).filter((n) => n in PROGRAMS);
const missing = wanted.filter((n) => !PROGRAMS[n].present());
if (missing.length) {
  const prefix = aptPrefix();
  if (prefix === null) {
    console.error(`${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} needed and not installed. Install with:\n  ${howToInstall(missing)}`);
    process.exit(1);
  }
  const packages = missing.map((n) => PROGRAMS[n].apt).join(' ');
  console.log(`Installing ${packages} with apt-get (not found on this machine)...`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execSync(`${prefix}apt-get update -qq`, { stdio: 'inherit', env });
  execSync(`${prefix}apt-get install -y -qq --no-install-recommends ${packages}`, { stdio: 'inherit', env });
}
