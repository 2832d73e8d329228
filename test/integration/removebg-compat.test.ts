// remove.bg's API on the real stack (Redis, api, worker; a stand-in model: the options are the
// point, asserted on the job each request made): sources and bodies, the parameter mapping, the
// answers and every error remove.bg lists, each held to remove.bg's own API description.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import yauzl from 'yauzl';
import sharp from 'sharp';
import type { StatusView } from '../../src/jobs/contract.js';
import { startServer, type TestServer } from '../helpers/http-servers.js';
import { subjectOnBackground } from '../helpers/images.js';
import { assertRemoveBgAnswer, REMOVEBG_400_CODES, type Answer } from '../helpers/removebg-doc.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { standInCutter, type StandInCutter } from '../helpers/stand-in.js';

type Fields = Record<string, string | { bytes: Buffer; name?: string }>;

function form(fields: Fields): FormData {
  const f = new FormData();
  for (const [name, v] of Object.entries(fields)) {
    if (typeof v === 'string') f.append(name, v);
    else f.append(name, new Blob([new Uint8Array(v.bytes)]), v.name ?? 'photo.png');
  }
  return f;
}

async function entriesOf(zip: Buffer): Promise<Record<string, Buffer>> {
  const file = await new Promise<yauzl.ZipFile>((resolve, reject) => yauzl.fromBuffer(zip, { lazyEntries: true }, (e, z) => (e ? reject(e) : resolve(z))));
  const out: Record<string, Buffer> = {};
  await new Promise<void>((resolve, reject) => {
    file.on('entry', (entry: yauzl.Entry) =>
      file.openReadStream(entry, async (e, s) => {
        if (e) return reject(e);
        const chunks: Buffer[] = [];
        for await (const c of s) chunks.push(c as Buffer);
        out[entry.fileName] = Buffer.concat(chunks);
        file.readEntry();
      }),
    );
    file.on('end', resolve);
    file.readEntry();
  });
  return out;
}

describe('remove.bg API: POST /v1.0/removebg, GET /v1.0/account', () => {
  let stack: Stack;
  let cutter: StandInCutter;
  let images: TestServer;
  let photo: Buffer;

  const send = async (body: FormData | string | URLSearchParams, headers: Record<string, string> = {}): Promise<Answer> => {
    const res = await fetch(`${stack.baseUrl}/v1.0/removebg`, { method: 'POST', body, headers });
    return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
  };
  const optionsOf = async (res: Answer) => {
    const id = res.headers.get('x-job-id');
    assert.ok(id, 'the answer names its job');
    return ((await (await fetch(`${stack.baseUrl}/status/${id}`)).json()) as StatusView).options!;
  };

  before(async () => {
    photo = await subjectOnBackground(64, 48, 'png');
    cutter = await standInCutter();
    images = await startServer({
      '/photo.png': (_req, res) => res.writeHead(200, { 'content-type': 'image/png' }).end(photo),
      '/missing.png': (_req, res) => res.writeHead(404).end(),
    });
    stack = await startStack({
      cutter,
      env: { URL_FETCH_ALLOW_HOSTS: '127.0.0.1', SYNC_TIMEOUT_SECONDS: '4', MAX_UPLOAD_BYTES: String(200 * 1024), MAX_IMAGE_PIXELS: '1000000' },
    });
  });
  after(async () => {
    await stack.stop();
    await images.close();
  });

  it('answers an uploaded image at once, with its sizes and no credits charged, as remove.bg does', async () => {
    const res = await send(form({ image_file: { bytes: photo } }), { 'x-api-key': 'anything' });
    assertRemoveBgAnswer(['post', '/removebg'], res, 'multipart upload');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'image/png');
    assert.deepEqual((await sharp(res.body).metadata()).format, 'png');
    assert.equal(res.headers.get('x-credits-charged'), '0');
    assert.equal(res.headers.get('x-width'), '4');
    assert.equal(res.headers.get('x-foreground-width'), '4');
    const options = await optionsOf(res);
    assert.equal(options.size, 'preview', "remove.bg's default size is preview");
    assert.equal(options.format, 'auto');
  });

  it('takes image_url in JSON, image_file_b64 in a urlencoded form, and answers JSON when asked', async () => {
    const json = await send(JSON.stringify({ image_url: `${images.origin}/photo.png`, size: 'auto' }), { 'content-type': 'application/json', accept: 'application/json' });
    assertRemoveBgAnswer(['post', '/removebg'], json, 'JSON body, JSON answer');
    const data = JSON.parse(json.body.toString()).data as Record<string, unknown>;
    assert.equal((await sharp(Buffer.from(String(data.result_b64), 'base64')).metadata()).width, 4);
    assert.deepEqual([data.foreground_top, data.foreground_left, data.foreground_width, data.foreground_height], [0, 0, 4, 3]);
    assert.equal((await optionsOf(json)).size, 'full', 'size=auto is the photo\'s own size');

    const b64 = new URLSearchParams({ image_file_b64: photo.toString('base64'), size: 'regular' });
    const urlencoded = await send(b64, { 'content-type': 'application/x-www-form-urlencoded' });
    assertRemoveBgAnswer(['post', '/removebg'], urlencoded, 'urlencoded base64');
    assert.equal((await optionsOf(urlencoded)).size, 'preview');
  });

  it('maps every parameter onto Cutout\'s options, and names those without effect', async () => {
    const res = await send(form({
      image_file: { bytes: photo }, size: 'hd', format: 'jpg', crop: 'true', crop_margin: '10%', scale: '80%', roi: '0% 0% 100% 100%',
      channels: 'rgba', bg_color: '81d4fa', add_shadow: 'true', type: 'product', type_level: '2', semitransparency: 'false', shadow_method: 'latest',
    }));
    assertRemoveBgAnswer(['post', '/removebg'], res, 'every parameter');
    assert.deepEqual(
      { ...(await optionsOf(res)) },
      {
        format: 'jpg', size: 'hd', max_width: null, max_height: null, crop: true, crop_margin: '10%', canvas: null, position: 'center',
        scale: '80%', bg_color: '#81d4faff', bg_image: null, bg_blur: null, shadow: 'soft', channels: 'rgba', refine: 'fast',
        model: 'isnet-general-use', // the service's default model (MODELS), recorded on the job
      },
    );
    assert.equal(res.headers.get('x-cutout-ignored'), 'type,type_level,semitransparency,shadow_method');
    const alpha = await send(form({ image_file: { bytes: photo }, channels: 'alpha', size: '4k', position: '50% 100%', scale: '50%' }));
    const options = await optionsOf(alpha);
    assert.deepEqual([options.channels, options.size, options.position, options.scale], ['alpha', 'full', '50% 100%', '50%']);
    assert.equal(alpha.headers.get('x-cutout-ignored'), null);
  });

  it('answers format=zip as remove.bg does: color.jpg and alpha.png', async () => {
    const res = await send(form({ image_file: { bytes: photo }, format: 'zip' }));
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/zip');
    const entries = await entriesOf(res.body);
    assert.deepEqual(Object.keys(entries).sort(), ['alpha.png', 'color.jpg']);
    const color = await sharp(entries['color.jpg']).metadata();
    const alpha = await sharp(entries['alpha.png']).metadata();
    assert.deepEqual([color.format, color.width, color.channels], ['jpeg', 4, 3]);
    assert.deepEqual([alpha.format, alpha.width, alpha.channels], ['png', 4, 1]);
    assert.equal((await optionsOf(res)).format, 'png');
  });

  it('takes a background image by file or by URL', async () => {
    const bg = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#00ff00' } }).png().toBuffer();
    const byFile = await send(form({ image_file: { bytes: photo }, bg_image_file: { bytes: bg, name: 'bg.png' } }));
    assert.equal(byFile.status, 200);
    assert.match(String((await optionsOf(byFile)).bg_image), /^[0-9a-f]{64}$/);
    const byUrl = await send(form({ image_file: { bytes: photo }, bg_image_url: `${images.origin}/photo.png` }));
    assert.equal(byUrl.status, 200);
    assert.match(String((await optionsOf(byUrl)).bg_image), /^[0-9a-f]{64}$/);
  });

  it('answers every mistake with remove.bg\'s error body, status and code', async () => {
    const text = Buffer.from('hello, not an image');
    const big = await sharp({ create: { width: 1200, height: 1000, channels: 3, background: '#888' } }).png({ compressionLevel: 9 }).toBuffer();
    const cases: [string, Fields | string, string][] = [
      ['missing_source', { size: 'preview' }, 'missing_source'],
      ['multiple_sources', { image_file: { bytes: photo }, image_url: `${images.origin}/photo.png` }, 'multiple_sources'],
      ['multiple_bg_sources', { image_file: { bytes: photo }, bg_color: 'fff', bg_image_url: `${images.origin}/photo.png` }, 'multiple_bg_sources'],
      ['bad size', { image_file: { bytes: photo }, size: 'huge' }, 'invalid_size'],
      ['bad format', { image_file: { bytes: photo }, format: 'gif' }, 'invalid_format'],
      ['bad channels', { image_file: { bytes: photo }, channels: 'cmyk' }, 'invalid_channels'],
      ['bad crop_margin', { image_file: { bytes: photo }, crop: 'true', crop_margin: '-5px' }, 'invalid_crop_margin'],
      ['bad scale', { image_file: { bytes: photo }, scale: '300%' }, 'invalid_scale'],
      ['bad position', { image_file: { bytes: photo }, position: 'left' }, 'invalid_position'],
      ['bad bg_color', { image_file: { bytes: photo }, bg_color: 'javascript:' }, 'invalid_bg_color'],
      ['bad roi', { image_file: { bytes: photo }, roi: 'a b c d' }, 'invalid_roi'],
      ['a region of interest', { image_file: { bytes: photo }, roi: '10% 10% 90% 90%' }, 'invalid_roi'],
      ['bad semitransparency', { image_file: { bytes: photo }, semitransparency: 'maybe' }, 'invalid_semitransparency'],
      ['refused image_url', { image_url: 'http://169.254.169.254/latest/meta-data/' }, 'invalid_image_url'],
      ['failed download', { image_url: `${images.origin}/missing.png` }, 'failed_image_download'],
      ['refused bg_image_url', { image_file: { bytes: photo }, bg_image_url: 'file:///etc/passwd' }, 'invalid_bg_image_url'],
      ['failed bg download', { image_file: { bytes: photo }, bg_image_url: `${images.origin}/missing.png` }, 'failed_bg_download'],
      ['not an image', { image_file: { bytes: text, name: 'a.txt' } }, 'invalid_file_type'],
      ['truncated image', { image_file: { bytes: photo.subarray(0, photo.length - 20) } }, 'failed_to_read_image'],
      ['bad base64', { image_file_b64: '%%%' }, 'failed_to_read_image'],
      ['too large a file', { image_file: { bytes: Buffer.concat([photo, Buffer.alloc(300 * 1024)]) } }, 'file_too_large'],
      ['too many pixels', { image_file: { bytes: big } }, 'resolution_too_high'],
    ];
    const seen = new Set<string>();
    for (const [what, fields, code] of cases) {
      const res = await send(form(fields as Fields));
      assertRemoveBgAnswer(['post', '/removebg'], res, what);
      assert.equal(res.status, 400, what);
      const [error] = (JSON.parse(res.body.toString()) as { errors: { code: string; title: string; detail: string }[] }).errors;
      assert.equal(error!.code, code, `${what}: ${error!.detail}`);
      assert.ok(error!.title && error!.detail, `${what}: a title and a detail`);
      seen.add(code);
    }
    // The codes remove.bg lists that this server never answers: it does not read dimensions apart
    // from decoding, and supports no region of interest (so none exceeds or is empty).
    // unknown_foreground (no subject to crop) needs the real model's empty mask: not with a stand-in.
    const never = ['invalid_dimensions', 'roi_exceeds_bounds', 'roi_region_empty', 'unknown_foreground'];
    assert.deepEqual(REMOVEBG_400_CODES.filter((c) => !seen.has(c) && !never.includes(c)), []);
    const unknown = await send(form({ image_file: { bytes: photo }, image_filename: 'x.png' }));
    assert.equal(unknown.status, 400);
    assert.equal(JSON.parse(unknown.body.toString()).errors[0].code, 'unknown_parameter');
  });

  it('answers 504 with the job id when the job outlives SYNC_TIMEOUT_SECONDS, and the job goes on', async () => {
    cutter.hold();
    const res = await send(form({ image_file: { bytes: photo } }));
    assert.equal(res.status, 504);
    const jobId = res.headers.get('x-job-id')!;
    assert.equal(res.headers.get('location'), `/status/${jobId}`);
    const body = JSON.parse(res.body.toString()) as { errors: { code: string; detail: string }[] };
    assert.equal(body.errors[0]!.code, 'sync_timeout');
    assert.ok(body.errors[0]!.detail.includes(jobId));
    cutter.proceed();
    assert.equal((await stack.waitFor(jobId)).status, 'done');
  });

  it('reports the account as remove.bg\'s clients read it', async () => {
    const res = await fetch(`${stack.baseUrl}/v1.0/account`, { headers: { 'x-api-key': 'anything' } });
    const answer = { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
    assertRemoveBgAnswer(['get', '/account'], answer, 'account');
    const { credits, api } = JSON.parse(answer.body.toString()).data.attributes;
    assert.ok(credits.total >= 1_000_000 && api.free_calls >= 1_000_000 && api.sizes === 'all');
  });
});
