// `npm run eval [-- --json] [--model M]`: mask quality on real images, against rembg's own outputs
// for the same model (parity, refine=none) and against the 40 ECSSD ground-truth masks (refine=none
// and the defaults); edge measures (refine=none and fast); and how well the confidence ranks results.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { loadConfigOrExit, pipelineOptions } from '../../src/config.js';
import { CutoutPipeline, type CutoutResult } from '../../src/cutout/pipeline.js';
import { maskIoU, maskMAE, readAlpha } from '../../src/cutout/quality.js';
import { defaultOptions, parseOptions } from '../../src/options/options.js';
import { BACKGROUNDS, boundaryError, compositeOver, edgeBand, haloError, mean, readPixels, spearman, type Raw } from './edges.js';
import { ECSSD_DIR, FIXTURES_DIR, haveFixtures, REMBG_DIR } from './fixtures.js';

const { values } = parseArgs({ options: { json: { type: 'boolean' }, model: { type: 'string' } } });
if (!haveFixtures()) {
  console.error(`The real images are not at ${FIXTURES_DIR} (../shared/fixtures beside the repo, or set FIXTURES_DIR).`);
  process.exit(1);
}
const config = loadConfigOrExit();
const model = values.model ?? config.MODELS[0]!;
const pipeline = await CutoutPipeline.create(pipelineOptions(config, { models: [model], pngCompressionLevel: 1 }));
const NONE = parseOptions({ refine: 'none' });
const FAST = parseOptions({ refine: 'fast' });
const defaultsRefine = defaultOptions().refine;
const log = (line: string) => values.json || console.log(line);
const round = (x: number, digits = 5) => Number(x.toFixed(digits));

const parity: Record<string, number> = {};
for (const file of fs.readdirSync(REMBG_DIR).filter((f) => /\.(jpg|png)$/.test(f)).sort()) {
  const out = await pipeline.process(fs.readFileSync(path.join(REMBG_DIR, file)), undefined, { options: NONE });
  const ours = await readAlpha(out.bytes);
  const ref = await readAlpha(path.join(REMBG_DIR, 'expected', `${file.replace(/\.\w+$/, '')}.isnet-general-use.png`));
  parity[file] = round(maskIoU(ours.data, ref.data), 4);
  log(`parity  ${file.padEnd(18)} IoU ${parity[file]!.toFixed(4)}`);
}

/** One photo cut out with refine=none (the model runs) and refine=fast (its mask reused). */
async function both(bytes: Buffer): Promise<{ none: CutoutResult; fast: CutoutResult; refined: CutoutResult }> {
  const none = await pipeline.process(bytes, undefined, { options: NONE });
  const fast = await pipeline.process(bytes, undefined, { options: FAST, mask: none.mask });
  return { none, fast, refined: defaultsRefine === 'fast' ? fast : none };
}

const rgbaOf = async (png: Buffer) => (await readPixels(png, 4)).data;

const m = { iou: [] as number[], mae: [] as number[], iouRefined: [] as number[], maeRefined: [] as number[] };
const e = { boundaryNone: [] as number[], boundaryFast: [] as number[], haloNone: [] as number[], haloFast: [] as number[] };
const conf = { confidence: [] as number[], iou: [] as number[] };
const ids = fs.readdirSync(path.join(ECSSD_DIR, 'images')).sort().map((f) => f.replace(/\.jpg$/, ''));
for (const [k, id] of ids.entries()) {
  const bytes = fs.readFileSync(path.join(ECSSD_DIR, 'images', `${id}.jpg`));
  const truth: Raw = await readAlpha(path.join(ECSSD_DIR, 'masks', `${id}.png`));
  const band = edgeBand(truth);
  const { none, fast, refined } = await both(bytes);
  const [a0, a1, ad] = await Promise.all([none, fast, refined].map((o) => readAlpha(o.bytes)));
  m.iou.push(maskIoU(a0!.data, truth.data));
  m.mae.push(maskMAE(a0!.data, truth.data));
  m.iouRefined.push(maskIoU(ad!.data, truth.data));
  m.maeRefined.push(maskMAE(ad!.data, truth.data));
  e.boundaryNone.push(boundaryError(a0!.data, truth, band) ?? 0);
  e.boundaryFast.push(boundaryError(a1!.data, truth, band) ?? 0);
  conf.confidence.push(none.confidence ?? 0);
  conf.iou.push(m.iouRefined.at(-1)!);

  // The halo: the subject (its true mask) over a strong colour, cut out, put on another colour.
  const photo = await readPixels(bytes, 3);
  const composite = compositeOver(photo, truth, BACKGROUNDS[k % BACKGROUNDS.length]!);
  const png = await sharp(composite, { raw: { width: truth.width, height: truth.height, channels: 3 } }).png().toBuffer();
  const c = await both(png);
  const second = BACKGROUNDS[(k + 3) % BACKGROUNDS.length]!;
  e.haloNone.push(haloError(await rgbaOf(c.none.bytes), photo, truth, second, band) ?? 0);
  e.haloFast.push(haloError(await rgbaOf(c.fast.bytes), photo, truth, second, band) ?? 0);
  conf.confidence.push(c.none.confidence ?? 0);
  conf.iou.push(maskIoU((await readAlpha(c.refined.bytes)).data, truth.data));
}
await pipeline.release();

const ecssd = {
  n: ids.length,
  miou: round(mean(m.iou)),
  mae: round(mean(m.mae)),
  miou_refined: round(mean(m.iouRefined)),
  mae_refined: round(mean(m.maeRefined)),
};
const edges = {
  boundary_none: round(mean(e.boundaryNone)),
  boundary_fast: round(mean(e.boundaryFast)),
  halo_none: round(mean(e.haloNone), 3),
  halo_fast: round(mean(e.haloFast), 3),
};
const confidence = { n: conf.iou.length, spearman: round(spearman(conf.confidence, conf.iou), 3) };
log(`ECSSD   ${ecssd.n} images      mIoU ${ecssd.miou.toFixed(5)}  MAE ${ecssd.mae.toFixed(5)}  (refine=none, model ${model})`);
log(`ECSSD   defaults (refine=${defaultsRefine})  mIoU ${ecssd.miou_refined.toFixed(5)}  MAE ${ecssd.mae_refined.toFixed(5)}`);
log(`edges   alpha error within 10 px of the edge: none ${edges.boundary_none}  fast ${edges.boundary_fast}`);
log(`halo    colour error on a new background (0..255): none ${edges.halo_none}  fast ${edges.halo_fast}`);
log(`confidence  Spearman with IoU over ${confidence.n} cut-outs: ${confidence.spearman}`);
console.log(JSON.stringify({ model, parity, ecssd, edges, confidence }));
