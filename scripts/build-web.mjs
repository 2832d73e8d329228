// Builds the demo page into dist/web: one minified script, one stylesheet, the HTML. No CDN.
// Also the web component <cutout-remover> (embed.js, a classic script that defines the element)
// and its demo page (embed.html with embed-demo.js and embed-demo.css).
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
await build({
  entryPoints: [
    { in: 'src/web/embed/element.ts', out: 'embed' },
    { in: 'src/web/embed/demo.ts', out: 'embed-demo' },
    { in: 'src/web/embed/demo.css', out: 'embed-demo' },
  ],
  outdir: out,
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
  logLevel: 'warning',
});
await fs.copyFile('src/web/embed/embed.html', path.join(out, 'embed.html'));

const embed = await fs.readFile(path.join(out, 'embed.js'));
console.log(`web component: embed.js ${(gzipSync(embed).length / 1024).toFixed(1)} KB gzipped (${(embed.length / 1024).toFixed(1)} KB raw; budget 15 KB gzipped)`);

let total = 0;
const sizes = [];
for (const f of await fs.readdir(out)) {
  if (f.startsWith('embed')) continue;
  const gz = gzipSync(await fs.readFile(path.join(out, f))).length;
  total += gz;
  sizes.push(`${f} ${(gz / 1024).toFixed(1)} KB`);
}
console.log(`web page: ${sizes.join(', ')} (gzipped; ${(total / 1024).toFixed(1)} KB in all)`);
