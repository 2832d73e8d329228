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
/**
 * `example` is the API docs' too, and the page reads it of the backgrounds only (choosing one shows
 * its example: options-panel.ts initialText): the other options' examples are left out as well.
 * These are options.ts's BACKGROUND_OPTIONS (each must be found in the table).
 */
const PAGE_EXAMPLES = ['bg_color', 'bg_image', 'bg_blur'];
const optionsForThePage = {
  name: 'options-for-the-page',
  setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/]options[\\/]table\.ts$/ }, async (args) => {
      const text = await fs.readFile(args.path, 'utf8');
      const source = ts.createSourceFile(args.path, text, ts.ScriptTarget.Latest, true);
      const cuts = [];
      const kept = [];
      /** The option an `example` belongs to: the `name` of the object literal it is in. */
      const optionOf = (node) =>
        node.parent.properties.find((p) => ts.isPropertyAssignment(p) && p.name.getText(source) === 'name' && ts.isStringLiteral(p.initializer))?.initializer.text;
      const visit = (node) => {
        const prop = ts.isPropertyAssignment(node) ? node.name.getText(source) : '';
        if (PAGE_UNREAD.includes(prop)) cuts.push(node);
        else if (prop === 'example' && PAGE_EXAMPLES.includes(optionOf(node))) kept.push(optionOf(node));
        else if (prop === 'example') cuts.push(node);
        else ts.forEachChild(node, visit);
      };
      visit(source);
      const found = new Set(cuts.map((n) => n.name.getText(source)));
      const missing = [...PAGE_UNREAD, 'example'].filter((name) => !found.has(name)).concat(PAGE_EXAMPLES.filter((name) => !kept.includes(name)));
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

/**
 * The CSS colour names (src/options/colors.ts, some 1.4 KB gzipped) are how a person may write
 * bg_color to the api or the CLI. The page's colour control is a colour picker, whose value is
 * always #rrggbb (and so is bg_color's example, which the page parses): no name can reach the
 * page's parsing, so its bundle gets the colour names as an empty table.
 */
const noColourNames = {
  name: 'no-colour-names',
  setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/]options[\\/]colors\.ts$/ }, () => ({
      contents: 'export const CSS_COLOURS: Readonly<Record<string, string>> = {};',
      loader: 'ts',
    }));
  },
};

/** The HTML without its lines' indentation (it has no <pre> or <textarea>, where that would show). */
async function copyHtml(from, to) {
  const html = await fs.readFile(from, 'utf8');
  if (/<(pre|textarea)\b/i.test(html)) throw new Error(`${from}: has <pre> or <textarea>; copy it as it is`);
  await fs.writeFile(to, html.replace(/\n[ \t]+/g, '\n'));
}

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
  plugins: [optionsForThePage, noColourNames],
  logLevel: 'warning',
});
await copyHtml('src/web/index.html', path.join(out, 'index.html'));
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
