// The issue's targets (issue 19), each figure printed against its own, and the result file.
import fs from 'node:fs';
import path from 'node:path';
import { REPO_DIR } from '../repo.js';
import { say } from './common.js';

type Target = { field: string; atMost?: number; atLeast?: number; aim?: string };

export const TARGETS: readonly Target[] = [
  { field: 'rss_ratio', atMost: 1.0, aim: 'aim 0.75' },
  { field: 'burst_ratio', atLeast: 1.1 },
  { field: 'model_ratio', atMost: 1.05 },
  { field: 'overhead_ratio', atMost: 1.1 },
  { field: 'peer_ratio', atMost: 0.6 },
  { field: 'large_ratio', atMost: 1.5 },
  { field: 'large_rss_ratio', atMost: 1.05 },
  { field: 'soak_rss_growth', atMost: 0.02 },
  { field: 'status_p99_ms', atMost: 20 },
];

/** One line per target: the figure, the target, and whether it is met (or why there is no figure). */
export function printTargets(result: Record<string, unknown>, skipped: Record<string, string> = {}): void {
  say('');
  for (const t of TARGETS) {
    const bound = t.atMost !== undefined ? `≤ ${t.atMost}` : `≥ ${t.atLeast}`;
    const v = result[t.field];
    if (v === undefined && !(t.field in skipped)) continue; // not a figure of this run (--soak alone)
    if (typeof v !== 'number' || Number.isNaN(v)) {
      say(`${t.field.padEnd(16)} —       (target ${bound}; ${skipped[t.field] ?? 'not measured'})`);
      continue;
    }
    const met = t.atMost !== undefined ? v <= t.atMost : v >= t.atLeast!;
    say(`${t.field.padEnd(16)} ${String(v).padEnd(7)} (target ${bound}${t.aim ? `, ${t.aim}` : ''}: ${met ? 'met' : 'NOT met'})`);
  }
}

/** Writes the result to bench-results/ (git-ignored) and prints it as stdout's last line. */
export function writeResult(result: Record<string, unknown>): void {
  fs.mkdirSync(path.join(REPO_DIR, 'bench-results'), { recursive: true });
  fs.writeFileSync(path.join(REPO_DIR, 'bench-results', `${new Date().toISOString().replace(/[:.]/g, '-')}.json`), `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify(result));
}
