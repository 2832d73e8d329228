// Writes the hostile/odd-file corpus (test/corpus/hostile.ts) to test-output/corpus.
import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_LIMITS } from '../src/vocabulary.js';
import { hostileCorpus } from '../test/corpus/hostile.js';

const out = path.resolve('test-output/corpus');
fs.mkdirSync(out, { recursive: true });
for (const f of await hostileCorpus(DEFAULT_LIMITS.maxUploadBytes)) {
  fs.writeFileSync(path.join(out, f.name), f.bytes);
  console.log(`${f.name.padEnd(28)} ${String(f.bytes.length).padStart(10)} bytes  ${JSON.stringify(f.expect)}`);
}
