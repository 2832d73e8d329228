// What the images run imports only what the images have: every module in the built dist/ (the
// Dockerfile copies dist/ and prunes devDependencies) imports Node built-ins, packages from
// package.json's dependencies, and files inside dist/. A dev tool that imports a devDependency
// (the benchmark and autocannon) belongs in tools/, which is compiled apart.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from '../helpers/fixtures.js';

const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const builtins = new Set(builtinModules);

/** Every module specifier a compiled ES module names: static and dynamic imports, re-exports, require(). */
function specifiers(code: string): string[] {
  const found: string[] = [];
  const patterns = [
    /(?<![.\w$])from\s*(['"])([^'"\n]+)\1/g, // import … from 'x', export … from 'x'
    /(?<![.\w$])import\s*(['"])([^'"\n]+)\1/g, // import 'x'
    /(?<![.\w$])import\s*\(\s*(['"])([^'"\n]+)\1\s*\)/g, // import('x')
    /(?<![.\w$])require(?:\.resolve)?\s*\(\s*(['"])([^'"\n]+)\1\s*\)/g, // require('x'), require.resolve('x')
  ];
  for (const re of patterns) for (const m of code.matchAll(re)) found.push(m[2]!);
  return found;
}

/** The package a bare specifier belongs to: `@scope/name` or `name`. */
const packageOf = (spec: string) => spec.split('/').slice(0, spec.startsWith('@') ? 2 : 1).join('/');

function jsFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? jsFiles(p) : e.name.endsWith('.js') ? [p] : [];
  });
}

/** The problems with one module's imports; empty when it runs with production dependencies only. */
function problems(file: string, dist: string): string[] {
  const out: string[] = [];
  for (const spec of specifiers(fs.readFileSync(file, 'utf8'))) {
    if (spec.startsWith('.') || spec.startsWith('/')) {
      const target = path.resolve(path.dirname(file), spec);
      if (!target.startsWith(dist + path.sep) || !fs.existsSync(target)) out.push(`${spec}: not a file in dist/`);
      continue;
    }
    if (spec.startsWith('node:') || builtins.has(spec)) continue;
    const name = packageOf(spec);
    if (name in pkg.dependencies) continue;
    out.push(name in pkg.devDependencies ? `${spec}: only a devDependency (pruned from the images)` : `${spec}: not in dependencies`);
  }
  return out;
}

describe('dist/ imports', () => {
  it('finds the specifiers a compiled module names, and nothing else', () => {
    const code = [
      "import autocannon from 'autocannon';",
      "import { a,\n  b } from '@scope/pkg/sub';",
      "export { c } from './c.js';",
      "import 'side-effect';",
      "const d = await import('dynamic');",
      "const r = require('req'); require.resolve('@imgly/x');",
      "const tag = Buffer.from('IEND'); const s = 'x'.from;",
    ].join('\n');
    assert.deepEqual(specifiers(code).sort(), ['./c.js', '@imgly/x', '@scope/pkg/sub', 'autocannon', 'dynamic', 'req', 'side-effect'].sort());
    assert.equal(packageOf('@scope/pkg/sub'), '@scope/pkg');
    assert.equal(packageOf('sharp'), 'sharp');
  });

  it('no built module imports a devDependency, an undeclared package or a file outside dist/', () => {
    const dist = path.join(ROOT, 'dist');
    assert.ok(fs.existsSync(path.join(dist, 'api/main.js')), 'run npm run build first (npm test does)');
    const files = jsFiles(dist);
    assert.ok(files.length > 20, `${files.length} modules in dist/`);
    const found = files.flatMap((f) => problems(f, dist).map((p) => `${path.relative(ROOT, f)}: ${p}`));
    assert.deepEqual(found, []);
  });
});
