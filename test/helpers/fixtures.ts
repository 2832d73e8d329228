import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const FIXTURES = path.resolve(ROOT, '../shared/fixtures');
export const REMBG = path.join(FIXTURES, 'rembg');
export const ECSSD = path.join(FIXTURES, 'ecssd');

/** False, with the reason as a string, when ../shared/fixtures is absent (a user's clone). */
export const fixturesSkip: string | false = fs.existsSync(path.join(REMBG, 'car-1.jpg'))
  ? false
  : `skipped: real test images not found at ${FIXTURES} (they live in ../shared beside the repo)`;

/**
 * rembg fixture → the IoU its alpha must reach against rembg's own output (issues #2, #14). Reached:
 * 0.9999 / 1.0000 / 1.0000 / 0.9996 (the rest is the fp16 weights against rembg's fp32 ones).
 */
export const PARITY: Record<string, number> = {
  'anime-girl-1.jpg': 0.997,
  'car-1.jpg': 0.998,
  'cloth-1.jpg': 0.998,
  'plants-1.png': 0.997,
};

export const expectedFor = (file: string) =>
  path.join(REMBG, 'expected', `${file.replace(/\.\w+$/, '')}.isnet-general-use.png`);
