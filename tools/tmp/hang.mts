// Reproduce: POST /api/remove with content-type application/json and a multipart body.
import { startStack } from '../../test/helpers/stack.js';
import { standInCutter } from '../../test/helpers/stand-in.js';
const stack = await startStack({ workers: 1, cutter: await standInCutter() });
const body = '--b\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n\r\npng\r\n--b--\r\n';
for (const ct of ['application/json', 'text/plain', 'application/x-www-form-urlencoded']) {
  for (const path of ['/api/remove', '/v1.0/removebg', '/remove-bg', '/batches']) {
    const ac = new AbortController();
    const t = setTimeout(() => ac.abort(), 3000);
    const r = await fetch(stack.baseUrl + path, { method: 'POST', body, headers: { 'content-type': ct, accept: 'application/json' }, signal: ac.signal }).then(async (r) => `${r.status} ${(await r.text()).slice(0, 100)}`, (e: Error) => `ERR ${e.name}`);
    clearTimeout(t);
    console.log(ct, path, r);
  }
}
await stack.stop();
