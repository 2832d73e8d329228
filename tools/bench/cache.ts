// Part 8: the result cache (a service of its own, RESULT_CACHE=true): repeats of the same photo,
// and the cost of each option on a reused mask (no inference).
import type { Client } from './client.js';
import { median, round } from './common.js';

const OPTION_SETS: Record<string, Record<string, string>> = {
  png_reused_mask: { format: 'png' },
  webp: { format: 'webp' },
  jpg_white: { format: 'jpg', bg_color: 'white' },
  crop: { crop: 'true', crop_margin: '5%' },
  canvas_2000: { canvas: '2000x2000', bg_color: 'white', crop_margin: '5%' },
  preview: { size: 'preview' },
  bg_blur: { bg_blur: '40' },
  shadow: { shadow: 'soft', bg_color: 'white' },
  mask_only: { channels: 'alpha' },
  face: { crop: 'face' },
};

export interface CacheResult {
  firstMs: number;
  repeatMs: number;
  optionMs: Record<string, number>;
}

export async function runCache(c: Client, base: string, images: readonly string[], runsPerOption: number): Promise<CacheResult> {
  const photo = images[0]!;
  // A face crop needs a face: the person photo among the fixtures when there is one.
  const person = images.find((f) => /cloth/.test(f)) ?? photo;
  const timed = async (fields: Record<string, string>) => {
    const t = performance.now();
    const { id } = await c.send(fields.crop === 'face' ? person : photo, fields);
    await c.finish(id);
    return performance.now() - t;
  };
  const firstMs = await timed({});
  if (person !== photo) await c.finish((await c.send(person)).id); // its mask, for the face crops
  const repeatMs: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t = performance.now();
    const { id, status } = await c.send(photo);
    if (status !== 200) throw new Error(`repeat ${i} was not answered from the cache (${status})`);
    await (await fetch(`${base}/result/${id}`)).arrayBuffer();
    repeatMs.push(performance.now() - t);
  }
  const optionMs: Record<string, number> = {};
  for (const [name, fields] of Object.entries(OPTION_SETS)) {
    const runs: number[] = [];
    // Each run differs in a setting with no effect here (a width limit above the photo's, a hair
    // more margin), so it is rendered, not answered from the cache.
    const vary = (r: number): Record<string, string> => (fields.canvas ? { crop_margin: `${5 + r / 100}%` } : { max_width: String(10_000 - r) });
    for (let r = 0; r < runsPerOption; r++) runs.push(await timed({ ...fields, ...vary(r) }).catch(() => NaN));
    optionMs[name] = round(median(runs.filter((n) => !Number.isNaN(n))), 0);
  }
  return { firstMs, repeatMs: median(repeatMs), optionMs };
}
