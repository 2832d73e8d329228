// Builds the demo page into dist/web: one minified script, one stylesheet, the HTML. No CDN.
import { build } from 'esbuild';
import fs from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

const out = 'dist/web';
await fs.rm(out, { recursive: true, force: true });
await fs.mkdir(out, { recursive: true });
await build({
  entryPoints: ['src/web/app.ts', 'src/web/styles.css'],
  outdir: out,
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['chrome100', 'firefox100', 'safari15'],
  logLevel: 'warning',
});
await fs.copyFile('src/web/index.html', path.join(out, 'index.html'));

let total = 0;
const sizes = [];
for (const f of await fs.readdir(out)) {
  const gz = gzipSync(await fs.readFile(path.join(out, f))).length;
  total += gz;
  sizes.push(`${f} ${(gz / 1024).toFixed(1)} KB`);
}
console.log(`web page: ${sizes.join(', ')} (gzipped; ${(total / 1024).toFixed(1)} KB in all)`);
