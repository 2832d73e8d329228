// Builds the demo page into dist/web: one minified script, one stylesheet, the HTML. No CDN.
// Also the web component <cutout-remover> (embed.js, a classic script that defines the element)
// and its demo page (embed.html with embed-demo.js and embed-demo.css).
import { build } from 'esbuild';
import fs from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import ts from 'typescript';

/**
 * The options table's entries carry what only the server side reads: the API docs' `description`
 * texts (OpenAPI, the CLI's help), the CLI's `flag`, the OpenAPI enum `values` and the renderer's
 * `apply`. The page never reads them (it checks options and shows controls; the api renders), so
 * its bundle gets the table without those properties (found in the parsed source, not by text).
 */
const PAGE_UNREAD = ['description', 'flag', 'values', 'apply'];
const optionsForThePage = {
  name: 'options-for-the-page',
  setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/]options[\\/]table\.ts$/ }, async (args) => {
      const text = await fs.readFile(args.path, 'utf8');
      const source = ts.createSourceFile(args.path, text, ts.ScriptTarget.Latest, true);
      const cuts = [];
      const visit = (node) => {
        if (ts.isPropertyAssignment(node) && PAGE_UNREAD.includes(node.name.getText(source))) cuts.push(node);
        else ts.forEachChild(node, visit);
      };
      visit(source);
      const found = new Set(cuts.map((n) => n.name.getText(source)));
      const missing = PAGE_UNREAD.filter((name) => !found.has(name));
      if (missing.length) throw new Error(`${args.path}: no ${missing.join(', ')} found to leave out of the page`);
      let out = text;
      for (const n of cuts.reverse()) {
        const end = text[n.getEnd()] === ',' ? n.getEnd() + 1 : n.getEnd();
        out = `${out.slice(0, n.getStart(source))}${out.slice(end)}`;
      }
      return { contents: out, loader: 'ts' };
    });
  },
};

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
  plugins: [optionsForThePage],
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
  plugins: [optionsForThePage],
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
