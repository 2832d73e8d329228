// A remove.bg client nobody on this project wrote, the npm package `remove.bg` (MIT, the most used
// one), against Cutout's /v1.0/removebg. Its API address is fixed (https://api.remove.bg), so it
// runs in a child process that trusts a certificate made for that name (NODE_EXTRA_CA_CERTS) and
// reaches a local TLS-terminating proxy in front of Cutout (remote-host-preload.ts): nothing leaves
// this machine. It exercises upload from a file, from a URL and from base64, size, bg_color and
// crop, and its error path (a refused key, an unreadable image).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { ROOT } from '../helpers/fixtures.js';
import { startServer, type TestServer } from '../helpers/http-servers.js';
import { corruptPng, subjectOnBackground } from '../helpers/images.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { darkSubjectCutter } from '../helpers/stand-in.js';
import { opensslPath, selfSignedCert, startTlsProxy, type SelfSigned, type TlsProxy } from '../helpers/tls-proxy.js';

const KEY = 'client-test-key';
const HOST = 'api.remove.bg';

interface Outcome {
  ok: boolean;
  result?: { base64img: string; creditsCharged?: string; resultWidth?: string; resultHeight?: string };
  error?: { title?: string; code?: string; detail?: string }[];
}

describe('the npm client `remove.bg` against Cutout', { skip: opensslPath() ? false : 'the openssl CLI is needed to make a certificate for api.remove.bg' }, () => {
  let stack: Stack;
  let proxy: TlsProxy;
  let images: TestServer;
  let tls: SelfSigned;
  let dir: string;
  let photo: Buffer;

  /** One call of the client in its own process; its answer. */
  const client = (fn: 'file' | 'url' | 'base64', options: Record<string, unknown>) =>
    new Promise<Outcome>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', '--import', path.join(ROOT, 'test/helpers/remote-host-preload.ts'), path.join(ROOT, 'test/helpers/removebg-client-run.ts')],
        {
          cwd: ROOT,
          env: { PATH: process.env.PATH ?? '', NODE_EXTRA_CA_CERTS: tls.certFile, REMOTE_HOST: HOST, REMOTE_PORT: String(proxy.port), CLIENT_CALL: JSON.stringify({ fn, options }) },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('exit', (code) => {
        const line = out.trim().split('\n').pop();
        if (code !== 0 || !line) return reject(new Error(`the client exited ${code}: ${err.slice(0, 2000)}`));
        resolve(JSON.parse(line) as Outcome);
      });
    });

  const decoded = (o: Outcome) => sharp(Buffer.from(o.result!.base64img, 'base64'));

  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cutout-client-'));
    tls = await selfSignedCert(HOST, dir);
    photo = await subjectOnBackground(240, 180, 'png');
    await fs.writeFile(path.join(dir, 'photo.png'), photo);
    stack = await startStack({ cutter: darkSubjectCutter(), env: { API_KEYS: KEY, URL_FETCH_ALLOW_HOSTS: '127.0.0.1' } });
    proxy = await startTlsProxy(tls, stack.baseUrl);
    images = await startServer({ '/photo.png': (_req, res) => void res.writeHead(200, { 'content-type': 'image/png' }).end(photo) });
  });
  after(async () => {
    await images?.close();
    await proxy?.close();
    await stack?.stop();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('uploads a file (multipart) and saves the cut-out, over TLS to "api.remove.bg"', async () => {
    const outputFile = path.join(dir, 'out.png');
    const answer = await client('file', { path: path.join(dir, 'photo.png'), apiKey: KEY, size: 'regular', outputFile });
    assert.ok(answer.ok, JSON.stringify(answer.error));
    assert.deepEqual([answer.result!.resultWidth, answer.result!.resultHeight, answer.result!.creditsCharged], ['240', '180', '0']);
    const saved = await fs.readFile(outputFile);
    assert.ok(saved.equals(Buffer.from(answer.result!.base64img, 'base64')), 'outputFile holds the result');
    const { data, info } = await sharp(saved).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    assert.equal(info.width, 240);
    assert.equal(data[3], 0, 'the background is transparent');
    assert.equal(data[(90 * 240 + 150) * 4 + 3], 255, 'the subject is opaque');
    assert.ok(proxy.hits.includes('POST /v1.0/removebg'), 'the call went through the TLS proxy');
  });

  it('sends an image_url (JSON), with bg_color: an opaque JPEG', async () => {
    const answer = await client('url', { url: `${images.origin}/photo.png`, apiKey: KEY, size: 'full', bg_color: '00ff00' });
    assert.ok(answer.ok, JSON.stringify(answer.error));
    assert.equal((await decoded(answer).metadata()).format, 'jpeg', 'format=auto gives JPEG when nothing is transparent');
    const { data } = await decoded(answer).raw().toBuffer({ resolveWithObject: true });
    assert.ok(data[1]! > 200 && data[0]! < 60, `the corner is green: ${[...data.subarray(0, 3)]}`);
    assert.ok(images.hits.includes('GET /photo.png'), 'Cutout downloaded the image_url');
  });

  it('sends base64 (JSON) with crop: the subject alone', async () => {
    const answer = await client('base64', { base64img: photo.toString('base64'), apiKey: KEY, size: 'auto', crop: true });
    assert.ok(answer.ok, JSON.stringify(answer.error));
    const width = Number(answer.result!.resultWidth);
    const height = Number(answer.result!.resultHeight);
    assert.ok(width < 240 && height < 180 && width > 50, `cropped to the subject: ${width}x${height}`);
    assert.deepEqual([(await decoded(answer).metadata()).width, (await decoded(answer).metadata()).height], [width, height]);
  });

  it("rejects with remove.bg's errors: a refused key, an unreadable image", async () => {
    const refused = await client('base64', { base64img: photo.toString('base64'), apiKey: 'wrong-key' });
    assert.equal(refused.ok, false);
    assert.equal(refused.error?.[0]?.code, 'auth_failed');
    assert.ok(refused.error?.[0]?.title);
    const unreadable = await client('base64', { base64img: (await corruptPng()).toString('base64'), apiKey: KEY });
    assert.equal(unreadable.ok, false);
    assert.equal(unreadable.error?.[0]?.code, 'failed_to_read_image', JSON.stringify(unreadable.error));
  });
});
