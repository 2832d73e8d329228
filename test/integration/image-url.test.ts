// POST /remove-bg with an image_url, through the real api, queue and worker (a stand-in model),
// fetching from local servers that URL_FETCH_ALLOW_HOSTS=127.0.0.1 allows. Every connection is
// checked to be loopback (test/helpers/loopback-only).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { HttpError } from '../../src/api/http-errors.js';
import { fetchImageUrl } from '../../src/api/services/image-url.js';
import { endless, redirect, startServer, type TestServer } from '../helpers/http-servers.js';
import { subjectOnBackground } from '../helpers/images.js';
import { installLoopbackGuard, type LoopbackGuard } from '../helpers/loopback-only.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { standInCutter } from '../helpers/stand-in.js';

interface Answer {
  status: number;
  body: { job_id?: string; error?: { code: string; message: string } };
}

describe('image_url on POST /remove-bg', () => {
  let guard: LoopbackGuard;
  let stack: Stack;
  let images: TestServer;
  let png: Buffer;
  before(async () => {
    guard = installLoopbackGuard();
    png = await subjectOnBackground(64, 48, 'png');
    const hops = Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`/loop${i}`, redirect(i < 5 ? `/loop${i + 1}` : '/photos/red%20shoe.png')]));
    images = await startServer({
      '/photos/red%20shoe.png': (_req, res) => res.writeHead(200, { 'content-type': 'image/png' }).end(png),
      '/page.html': (_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><p>not an image</p>'),
      // The bytes decide, not the header: a page that calls itself a PNG, and a PNG sent as anything.
      '/fake.png': (_req, res) => res.writeHead(200, { 'content-type': 'image/png' }).end('<!doctype html><p>not an image</p>'),
      '/download': (_req, res) => res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(png),
      '/to-metadata': redirect('http://169.254.169.254/latest/meta-data/iam/'),
      '/drip': endless(Buffer.from([0x89]), 100, { 'content-type': 'image/png' }),
      '/endless': endless(Buffer.alloc(8192, 7), 1, { 'content-type': 'image/png' }),
      ...hops,
    });
    stack = await startStack({
      cutter: await standInCutter(),
      env: { URL_FETCH_ALLOW_HOSTS: '127.0.0.1', URL_FETCH_TIMEOUT_SECONDS: '1', MAX_UPLOAD_BYTES: String(256 * 1024) },
    });
  });
  after(async () => {
    await stack?.stop();
    await images?.close();
    guard.remove();
    guard.check();
  });

  const answer = async (res: Response): Promise<Answer> => ({ status: res.status, body: (await res.json()) as Answer['body'] });
  const postJson = async (body: unknown) =>
    answer(await fetch(`${stack.baseUrl}/remove-bg`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }));
  const postForm = async (fields: Record<string, string>, file?: Buffer) => {
    const form = new FormData();
    for (const [name, value] of Object.entries(fields)) form.append(name, value);
    if (file) form.append('file', new Blob([new Uint8Array(file)]), 'upload.png');
    return answer(await fetch(`${stack.baseUrl}/remove-bg`, { method: 'POST', body: form }));
  };
  const expectError = (a: Answer, status: number, code: string, text: RegExp) => {
    assert.equal(a.status, status, JSON.stringify(a.body));
    assert.equal(a.body.error?.code, code);
    assert.match(a.body.error!.message, text);
  };

  it('a JSON body: the image is fetched, processed, named after the URL, with its options', async () => {
    const a = await postJson({ image_url: `${images.origin}/photos/red%20shoe.png`, format: 'webp', crop: true, crop_margin: 10 });
    assert.equal(a.status, 202, JSON.stringify(a.body));
    const view = await stack.waitFor(a.body.job_id!);
    assert.equal(view.status, 'done');
    assert.equal(view.filename, 'red shoe.png');
    assert.equal(view.options?.format, 'webp');
    assert.equal(view.options?.crop, true);
  });

  it('a form field, and a redirect chain of 5, end done too', async () => {
    const a = await postForm({ image_url: `${images.origin}/loop1`, format: 'png' });
    assert.equal(a.status, 202, JSON.stringify(a.body));
    assert.equal((await stack.waitFor(a.body.job_id!)).status, 'done');
  });

  it('refuses addresses that are not public, also behind a redirect, before connecting to them', async () => {
    expectError(await postJson({ image_url: `${images.origin}/to-metadata` }), 400, 'invalid_image_url', /169\.254\.169\.254 is the cloud metadata address/);
    const mapped = await startServer({ '/go': redirect(`http://[::ffff:127.0.0.1]:${images.port}/photos/red%20shoe.png`) });
    try {
      expectError(await postJson({ image_url: `${mapped.origin}/go` }), 400, 'invalid_image_url', /IPv4-mapped/);
    } finally {
      await mapped.close();
    }
    // 127.0.0.1 is allowed here (and so is any spelling of it); its neighbour is not.
    expectError(await postJson({ image_url: `http://0x7f.0.0.2:${images.port}/photos/red%20shoe.png` }), 400, 'invalid_image_url', /127\.0\.0\.2 is a loopback/);
    expectError(await postForm({ image_url: 'http://[::1]/x.png' }), 400, 'invalid_image_url', /loopback/);
  });

  it('refuses what is not an http(s) URL', async () => {
    expectError(await postJson({ image_url: 'file:///etc/passwd' }), 400, 'invalid_image_url', /scheme "file"/);
    expectError(await postJson({ image_url: 'photo.png' }), 400, 'invalid_image_url', /not an absolute URL/);
    expectError(await postJson({ image_url: `http://me:secret@127.0.0.1:${images.port}/photos/red%20shoe.png` }), 400, 'invalid_image_url', /password/);
    expectError(await postJson({ image_url: 42 }), 400, 'invalid_image_url', /string/);
  });

  it('says why a download failed: status, redirects, time limit, size, not an image', async () => {
    expectError(await postJson({ image_url: `${images.origin}/gone.png` }), 422, 'failed_image_download', /404 Not Found/);
    expectError(await postJson({ image_url: `${images.origin}/loop0` }), 422, 'failed_image_download', /redirected more than 5 times/);
    expectError(await postJson({ image_url: `${images.origin}/drip` }), 422, 'failed_image_download', /within 1 seconds/);
    expectError(await postJson({ image_url: `${images.origin}/endless` }), 422, 'failed_image_download', /larger than the 256 KB upload limit/);
    expectError(await postJson({ image_url: `${images.origin}/page.html` }), 422, 'failed_image_download', /not an image \(text\/html\)/);
  });

  it('sniffs the bytes like an upload: a page sent as image/png is refused, a PNG sent as octet-stream is taken', async () => {
    expectError(await postJson({ image_url: `${images.origin}/fake.png` }), 422, 'failed_image_download', /not an image \(image\/png\)/);
    const a = await postJson({ image_url: `${images.origin}/download` });
    assert.equal(a.status, 202, JSON.stringify(a.body));
    assert.equal((await stack.waitFor(a.body.job_id!)).status, 'done');
  });

  it('takes exactly one source', async () => {
    expectError(await postJson({ format: 'png' }), 400, 'missing_source', /field "file", or an image_url/);
    expectError(await postForm({ format: 'png' }), 400, 'missing_source', /field "file", or an image_url/);
    expectError(await postForm({ image_url: `${images.origin}/photos/red%20shoe.png` }, png), 400, 'multiple_sources', /not both/);
    expectError(await postForm({ image_url: 'https://a.example/1.png', image_url2: 'x' }), 400, 'unknown_field', /image_url2/);
    expectError(await postJson({ image_url: `${images.origin}/photos/red%20shoe.png`, file: 'x' }), 400, 'unknown_field', /"file"/);
    expectError(await postJson({ image_url: `${images.origin}/photos/red%20shoe.png`, crop: { yes: 1 } }), 400, 'invalid_crop', /string, a number or true\/false/);
  });

  it('a host name that resolves to a private address is refused (an injected resolver)', async () => {
    const resolver = async () => [{ address: '10.0.0.1', family: 4 }];
    await assert.rejects(
      fetchImageUrl(stack.config, 'https://images.example.com/shoe.png', { resolver }),
      (err) => err instanceof HttpError && err.statusCode === 400 && err.code === 'invalid_image_url' && /images\.example\.com resolves to 10\.0\.0\.1/.test(err.message),
    );
  });
});
