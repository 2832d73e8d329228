import fs from 'node:fs';
import { CutoutPipeline } from '../../src/cutout/pipeline.js';
import { loadConfig, pipelineOptions } from '../../src/config.js';
import { parseOptions } from '../../src/options/options.js';
const config = loadConfig({ ...process.env });
const p = await CutoutPipeline.create(pipelineOptions(config, {}));
const dir = '/work/shared/fixtures/rembg/';
const cases: [string, Record<string,string>][] = [
  ['cloth-1.jpg', { crop: 'face', crop_margin: '5%', format: 'jpg', bg_color: 'lightblue' }],
  ['anime-girl-1.jpg', { canvas: '800x1000', bg_color: 'white', crop_margin: '5%', shadow: 'soft', position: '50% 100%' }],
  // ['cloth-1.jpg', { crop: 'face', crop_margin: '10%', format: 'jpg', bg_color: 'lightblue' }],
  ['car-1.jpg', { canvas: '1000x1000', bg_color: 'white', crop_margin: '5%', shadow: 'soft', format: 'jpg' }],
  ['car-1.jpg', { crop: 'true', format: 'webp', size: 'preview' }],
  ['cloth-1.jpg', { bg_blur: '50' }],
  ['cloth-1.jpg', { channels: 'alpha', crop: 'true' }],
  ['plants-1.png', { scale: '50%', position: '50% 100%', bg_color: '#333' }],
];
let mask: Buffer | undefined;
for (const [i, [f, o]] of cases.entries()) {
  const t = performance.now();
  const out = await p.process(fs.readFileSync(dir + f), undefined, { options: parseOptions(o), mask: i === 4 ? mask : undefined });
  if (i === 3) mask = out.mask;
  fs.writeFileSync(`/tmp/smoke-${i}.${out.format}`, out.bytes);
  console.log(i, f, JSON.stringify(o), out.format, out.width, out.height, JSON.stringify(out.foreground), out.maskReused, Math.round(performance.now() - t), 'ms', JSON.stringify(out.timings));
}
await p.release();
