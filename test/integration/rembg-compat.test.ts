// rembg's server API on the real stack (Redis, api, worker; a stand-in model: the parameters are
// the point, asserted on the job each request made): GET /api/remove?url=…, POST /api/remove.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import type { StatusView } from '../../src/jobs/contract.js';
import { startServer, type TestServer } from '../helpers/http-servers.js';
import { subjectOnBackground } from '../helpers/images.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { standInCutter } from '../helpers/stand-in.js';

describe("rembg's server API: /api/remove", () => {
  let stack: Stack;
  let images: TestServer;
  let photo: Buffer;

  const optionsOf = async (res: Response) => {
    const id = res.headers.get('x-job-id');
    assert.ok(id, 'the answer names its job');
    return ((await (await fetch(`${stack.baseUrl}/status/${id}`)).json()) as StatusView).options!;
  };
  const post = (fields: Record<string, string>, query = '', file: Buffer | null = photo) => {
    const form = new FormData();
    if (file) form.append('file', new Blob([new Uint8Array(file)]), 'photo.png');
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    return fetch(`${stack.baseUrl}/api/remove${query}`, { method: 'POST', body: form });
  };

  before(async () => {
    photo = await subjectOnBackground(64, 48, 'png');
    images = await startServer({ '/photo.png': (_req, res) => res.writeHead(200, { 'content-type': 'image/png' }).end(photo) });
    stack = await startStack({ cutter: await standInCutter(), env: { URL_FETCH_ALLOW_HOSTS: '127.0.0.1' } });
  });
  after(async () => {
    await stack.stop();
    await images.close();
  });

  it('answers the PNG of an uploaded file, full size, as rembg does', async () => {
    const res = await post({});
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'image/png');
    assert.equal((await sharp(Buffer.from(await res.arrayBuffer())).metadata()).format, 'png');
    const options = await optionsOf(res);
    assert.deepEqual([options.format, options.size, options.channels, options.bg_color, options.refine], ['png', 'full', 'rgba', null, 'none'], 'rembg\'s own answer: no refinement');
    assert.equal(res.headers.get('x-cutout-ignored'), null);
  });

  it('maps om to the mask alone and bgc to a background colour; names what has no effect', async () => {
    const mask = await post({ om: 'true', model: 'isnet-general-use', a: 'true', af: '240', ab: '10', ae: '10', ppm: 'true' }, '?bgc=255,0,0,255');
    assert.equal(mask.status, 200);
    const m = await optionsOf(mask);
    assert.deepEqual([m.channels, m.bg_color, m.refine], ['alpha', null, 'fast'], 'bgc does not apply to the mask alone, as in rembg; alpha matting is edge refinement');
    assert.equal(m.model, 'isnet-general-use');
    assert.equal(mask.headers.get('x-cutout-ignored'), 'ppm', 'a model loaded here (MODELS) is used, not ignored');
    const other = await post({ model: 'u2net_human_seg' });
    assert.equal(other.status, 200);
    assert.equal((await optionsOf(other)).model, 'isnet-general-use', 'a model not loaded here: the default answers');
    assert.equal(other.headers.get('x-cutout-ignored'), 'model');
    const coloured = await post({}, '?bgc=255,0,0,128&extras=%7B%22sam_prompt%22%3A1%7D');
    assert.equal((await optionsOf(coloured)).bg_color, '#ff000080');
    assert.equal(coloured.headers.get('x-cutout-ignored'), 'extras');
  });

  it('downloads the image of ?url= and takes the parameters from the query', async () => {
    const res = await fetch(`${stack.baseUrl}/api/remove?url=${encodeURIComponent(`${images.origin}/photo.png`)}&om=1`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'image/png');
    assert.equal((await optionsOf(res)).channels, 'alpha');
  });

  it('answers mistakes in FastAPI\'s shape: 422 for what rembg would refuse, 400 for a refused URL', async () => {
    const cases: [string, Promise<Response>, number][] = [
      ['no file', post({}, '', null), 422],
      ['af out of range', post({ af: '300' }), 422],
      ['not a model', post({ model: 'gpt' }), 422],
      ['bad bgc', post({}, '?bgc=red'), 422],
      ['bad boolean', post({ om: 'maybe' }), 422],
      ['no url', fetch(`${stack.baseUrl}/api/remove`), 422],
      ['private url', fetch(`${stack.baseUrl}/api/remove?url=${encodeURIComponent('http://10.0.0.8/a.png')}`), 400],
      ['not an image', post({}, '', Buffer.from('hello')), 415],
    ];
    for (const [what, pending, status] of cases) {
      const res = await pending;
      assert.equal(res.status, status, what);
      const body = (await res.json()) as { detail: unknown };
      assert.equal(typeof body.detail, 'string', `${what}: {"detail": "…"}`);
    }
  });
});
