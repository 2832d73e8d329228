// The demo page's weight budget (issue 18): everything the page loads (the HTML, one script, one
// stylesheet; no lazy chunks, no framework), under 25 KB gzipped.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { ROOT } from '../helpers/fixtures.js';

const WEB = path.join(ROOT, 'dist', 'web');
const BUDGET = 25 * 1024;

describe('page budget', () => {
  it('the built page, mask editor included, is under 25 KB gzipped', () => {
    assert.ok(fs.existsSync(path.join(WEB, 'index.html')), 'the page is built (npm run build; npm test does it)');
    // The page and what it names (dist/web also holds the web component, which the page does not load).
    const html = fs.readFileSync(path.join(WEB, 'index.html'), 'utf8');
    const files = ['index.html', ...Array.from(html.matchAll(/(?:src|href)="([\w.-]+\.(?:js|css))"/g), (m) => m[1]!)];
    const sizes = files.map((f) => [f, gzipSync(fs.readFileSync(path.join(WEB, f))).length] as const);
    const total = sizes.reduce((sum, [, n]) => sum + n, 0);
    console.log(`page: ${sizes.map(([f, n]) => `${f} ${n} B`).join(', ')}; ${total} B gzipped of ${BUDGET}`);
    assert.deepEqual(files.sort(), ['app.js', 'index.html', 'styles.css'], 'one script, one stylesheet');
    assert.doesNotMatch(fs.readFileSync(path.join(WEB, 'app.js'), 'utf8'), /\bimport\s*\(/, 'no chunk loaded later');
    assert.ok(total < BUDGET, `${total} bytes gzipped: over the budget by ${total - BUDGET}`);
  });
});
