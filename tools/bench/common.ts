// What every part of `npm run bench` shares: its flags, the configuration, output and statistics.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadConfigOrExit } from '../../src/config.js';

const { values } = parseArgs({ options: { quick: { type: 'boolean' }, json: { type: 'boolean' }, soak: { type: 'boolean' } } });
/** --quick: fewer images and repetitions, a shorter burst, no soak (under 4 minutes on 2 cores). */
export const quick = values.quick ?? false;
/** --soak: the 300-job soak alone. */
export const soakOnly = values.soak ?? false;
export const json = values.json ?? false;
export const config = loadConfigOrExit();

/** Progress lines: stdout, or stderr with --json (stdout's last line is then the JSON). */
export function say(s: string): void {
  if (!json) console.log(s);
  else process.stderr.write(`${s}\n`);
}

export function median(a: readonly number[]): number {
  if (a.length === 0) return NaN;
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

export const round = (n: number, d = 1) => Math.round(n * 10 ** d) / 10 ** d;

/**
 * A part measured in a process of its own: this folder's compiled `script` (peer.js, bare-run.js)
 * with `args` and `env`, its stderr shown or not; its result is the JSON on its last line of stdout.
 */
export function runPart<T>(script: string, args: readonly string[], opts: { env?: NodeJS.ProcessEnv; stderr: 'inherit' | 'ignore' }): T {
  const out = execFileSync(process.execPath, [fileURLToPath(new URL(`./${script}`, import.meta.url)), ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
    stdio: ['ignore', 'pipe', opts.stderr],
    env: opts.env ?? process.env,
  });
  return JSON.parse(out.trim().split('\n').at(-1)!) as T;
}
