// Real service processes (the built dist/), for tests that kill and restart them.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from './fixtures.js';
import { TEST_MODEL_DIR } from './stack.js';

export interface Proc {
  child: ChildProcess;
  exited: Promise<number | null>;
  /** Resolves when the process printed a log line whose msg matches. */
  logged(msg: RegExp, timeoutMs?: number): Promise<void>;
}

export function startProcess(kind: 'api' | 'worker', env: Record<string, string>): Proc {
  const script = path.join(ROOT, `dist/${kind}/main.js`);
  if (!fs.existsSync(script)) throw new Error(`${script} is missing: run npm run build (npm test does)`);
  const child = spawn(process.execPath, [script], {
    env: { PATH: process.env.PATH ?? '', MODEL_DIR: TEST_MODEL_DIR, LOG_LEVEL: 'info', LOG_PRETTY: 'false', RATE_LIMIT_PER_MINUTE: '0', WORKER_METRICS_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  const waiters: { re: RegExp; resolve: () => void }[] = [];
  let buf = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      lines.push(line);
      for (const w of [...waiters]) {
        if (!w.re.test(line)) continue;
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return {
    child,
    exited,
    logged(re, timeoutMs = 60_000) {
      if (lines.some((l) => re.test(l))) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`${kind} did not log ${re} within ${timeoutMs} ms`)), timeoutMs);
        waiters.push({
          re,
          resolve: () => {
            clearTimeout(t);
            resolve();
          },
        });
        void exited.then((code) => reject(new Error(`${kind} exited (${code}) before logging ${re}`)));
      });
    },
  };
}
