// The ZIP reader of batches against hostile archives: bombs (declared and lying), too many or too
// large files, names that climb out, symlinks, nested archives, encrypted entries, metadata.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import yazl from 'yazl';
import { csvField, uniqueNames } from '../../src/names.js';
import { entryName, isZip, readZip, type BatchSource, type ZipLimits } from '../../src/api/services/zip-input.js';
import { deflatedZeros, makeZip } from '../helpers/zip.js';

const limits: ZipLimits = { maxItems: 10, maxEntryBytes: 5 * 1024 * 1024, maxTotalBytes: 20 * 1024 * 1024 };
const read = (bytes: Buffer, l: ZipLimits = limits) => readZip({ bytes, filename: 'shoot.zip' }, l);
const png = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), randomBytes(200)]);
const byName = (sources: BatchSource[]) => Object.fromEntries(sources.map((s) => [s.filename, 'error' in s ? s.error.code : 'ok']));

/** The error a promise rejects with, as code and HTTP status. */
async function refusal(p: Promise<unknown>): Promise<{ code: string; statusCode: number; message: string }> {
  try {
    await p;
  } catch (err) {
    return err as { code: string; statusCode: number; message: string };
  }
  throw new Error('expected a refusal');
}

describe('ZIP input', () => {
  it('reads an honest archive made by yazl: images in order, folders flattened', async () => {
    const zip = new yazl.ZipFile();
    zip.addBuffer(png, 'shoot/a.png');
    zip.addBuffer(png, 'shoot/sub/b.png', { compress: false });
    zip.addEmptyDirectory('shoot/empty');
    zip.end();
    const chunks: Buffer[] = [];
    for await (const c of zip.outputStream as AsyncIterable<Buffer>) chunks.push(c);
    const bytes = Buffer.concat(chunks);
    assert.ok(isZip(bytes));
    const { sources, expandedBytes } = await read(bytes);
    assert.deepEqual(sources.map((s) => s.filename), ['a.png', 'b.png']);
    assert.ok(sources.every((s) => 'bytes' in s && s.bytes.equals(png)));
    assert.equal(expandedBytes, png.length * 2);
  });

  it('sanitises names, skips folders, dotfiles and macOS metadata, and reports what it will not open', async () => {
    const { sources } = await read(makeZip([
      { name: '../evil.png', data: png },
      { name: '/etc/abs.png', data: png },
      { name: 'C:\\win\\drive.png', data: png },
      { name: 'folder/', data: Buffer.alloc(0) },
      { name: '__MACOSX/._evil.png', data: png },
      { name: '.DS_Store', data: png },
      { name: 'sub/.hidden.png', data: png },
      { name: 'link.png', data: Buffer.from('/etc/passwd'), unixMode: 0o120777 },
      { name: 'inner.zip', data: makeZip([{ name: 'x.png', data: png }]) },
      { name: 'disguised.png', data: makeZip([{ name: 'x.png', data: png }]) },
      { name: 'secret.png', data: png, encrypted: true, deflate: false },
      { name: 'notes.txt', data: Buffer.from('not an image') },
    ]));
    assert.deepEqual(byName(sources), {
      'evil.png': 'ok',
      'abs.png': 'ok',
      'drive.png': 'ok',
      'link.png': 'unsupported_entry',
      'inner.zip': 'nested_archive',
      'disguised.png': 'nested_archive',
      'secret.png': 'unsupported_entry',
      'notes.txt': 'ok', // not an image: the batch finds out when it inspects the bytes, as for any upload
    });
    for (const s of sources) assert.doesNotMatch(s.filename, /[/\\]|\.\./);
  });

  it('names: unique case-insensitively, formula-safe in CSV', () => {
    assert.deepEqual(uniqueNames(['a.png', 'A.png', 'a.png', 'b', 'b']), ['a.png', 'A-2.png', 'a-3.png', 'b', 'b-2']);
    assert.equal(entryName('a/b/../../c.png'), 'c.png');
    assert.equal(entryName('dir/'), null);
    assert.equal(csvField('=HYPERLINK("x")'), `"'=HYPERLINK(""x"")"`);
    assert.equal(csvField('-2+3'), "'-2+3");
    assert.equal(csvField('a,b'), '"a,b"');
    assert.equal(csvField('plain.png'), 'plain.png');
  });

  it('refuses a bomb from its declared sizes, before inflating anything', async () => {
    const bomb = await deflatedZeros(200 * 1024 * 1024);
    const err = await refusal(read(makeZip([{ name: 'a.png', data: png }, { name: 'big.png', raw: bomb }])));
    assert.equal(err.code, 'suspicious_archive');
    assert.equal(err.statusCode, 400);
    assert.match(err.message, /big\.png.*zip bomb/);
  });

  it('refuses a bomb whose header lies about its size, from the bytes counted while inflating', async () => {
    const bomb = await deflatedZeros(200 * 1024 * 1024);
    const before = process.memoryUsage().rss;
    const err = await refusal(read(makeZip([{ name: 'liar.png', raw: bomb, declaredSize: 4096 }])));
    assert.equal(err.code, 'suspicious_archive');
    assert.match(err.message, /^The archive was refused while it was expanded: an entry holds more bytes than its header declares \(4096\)/);
    const grown = process.memoryUsage().rss - before;
    assert.ok(grown < 50 * 1024 * 1024, `memory grew by ${Math.round(grown / 1e6)} MB for a 200 MB bomb`);
  });

  it('refuses too many files, and too many bytes, from the directory', async () => {
    const many = makeZip(Array.from({ length: 11 }, (_, i) => ({ name: `p${i}.png`, data: png })));
    const tooMany = await refusal(read(many));
    assert.deepEqual([tooMany.code, tooMany.statusCode], ['too_many_items', 400]);
    const big = makeZip([{ name: 'a.png', data: randomBytes(3000) }, { name: 'b.png', data: randomBytes(3000) }]);
    const tooBig = await refusal(read(big, { ...limits, maxTotalBytes: 5000 }));
    assert.deepEqual([tooBig.code, tooBig.statusCode], ['batch_too_large', 413]);
    // What other parts of the batch already hold counts too.
    const full = await refusal(readZip({ bytes: makeZip([{ name: 'a.png', data: png }]), filename: 'z.zip' }, limits, { items: 10, bytes: 0 }));
    assert.equal(full.code, 'too_many_items');
  });

  it('reports an entry too large for one image, and a damaged archive, per item', async () => {
    const { sources } = await read(makeZip([{ name: 'huge.png', data: randomBytes(6000) }, { name: 'ok.png', data: png }]), { ...limits, maxEntryBytes: 5000 });
    assert.deepEqual(byName(sources), { 'huge.png': 'file_too_large', 'ok.png': 'ok' });
    const damaged = await read(Buffer.concat([Buffer.from('PK\x03\x04'), randomBytes(100)]));
    assert.deepEqual(byName(damaged.sources), { 'shoot.zip': 'invalid_archive' });
  });
});
