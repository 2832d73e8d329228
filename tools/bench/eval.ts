// `npm run eval [-- --json] [--model M]`: mask quality on real images, against rembg's own outputs
// for the same model (parity) and against the 40 ECSSD ground-truth masks.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfigOrExit, pipelineOptions } from '../../src/config.js';
import { CutoutPipeline } from '../../src/cutout/pipeline.js';
import { maskIoU, maskMAE, readAlpha } from '../../src/cutout/quality.js';
import { ECSSD_DIR, FIXTURES_DIR, haveFixtures, REMBG_DIR } from './fixtures.js';

const { values } = parseArgs({ options: { json: { type: 'boolean' }, model: { type: 'string' } } });
if (!haveFixtures()) {
  console.error(`The real images are not at ${FIXTURES_DIR} (../shared/fixtures beside the repo, or set FIXTURES_DIR).`);
  process.exit(1);
}
const config = loadConfigOrExit();
const model = values.model ?? config.MODEL;
const pipeline = await CutoutPipeline.create(pipelineOptions(config, { model, pngCompressionLevel: 1 }));

const parity: Record<string, number> = {};
for (const file of fs.readdirSync(REMBG_DIR).filter((f) => /\.(jpg|png)$/.test(f)).sort()) {
  const out = await pipeline.process(fs.readFileSync(path.join(REMBG_DIR, file)));
  const ours = await readAlpha(out.bytes);
  const ref = await readAlpha(path.join(REMBG_DIR, 'expected', `${file.replace(/\.\w+$/, '')}.isnet-general-use.png`));
  parity[file] = Number(maskIoU(ours.data, ref.data).toFixed(4));
  if (!values.json) console.log(`parity  ${file.padEnd(18)} IoU ${parity[file]!.toFixed(4)}`);
}

const ious: number[] = [];
const maes: number[] = [];
for (const file of fs.readdirSync(path.join(ECSSD_DIR, 'images')).sort()) {
  const out = await pipeline.process(fs.readFileSync(path.join(ECSSD_DIR, 'images', file)));
  const ours = await readAlpha(out.bytes);
  const truth = await readAlpha(path.join(ECSSD_DIR, 'masks', file.replace(/\.jpg$/, '.png')));
  ious.push(maskIoU(ours.data, truth.data));
  maes.push(maskMAE(ours.data, truth.data));
}
const mean = (a: number[]) => a.reduce((s, x) => s + x, 0) / a.length;
const ecssd = { n: ious.length, miou: Number(mean(ious).toFixed(5)), mae: Number(mean(maes).toFixed(5)) };
await pipeline.release();
if (!values.json) console.log(`ECSSD   ${ecssd.n} images      mIoU ${ecssd.miou.toFixed(5)}  MAE ${ecssd.mae.toFixed(5)}  (model ${model})`);
console.log(JSON.stringify({ model, parity, ecssd }));
