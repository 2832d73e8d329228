// Where the shared real images are: ../shared/fixtures beside the repository (or FIXTURES_DIR).
import fs from 'node:fs';
import path from 'node:path';
import { REPO_DIR } from '../repo.js';

export const FIXTURES_DIR = path.resolve(process.env.FIXTURES_DIR ?? path.join(REPO_DIR, '../shared/fixtures'));
export const REMBG_DIR = path.join(FIXTURES_DIR, 'rembg');
export const ECSSD_DIR = path.join(FIXTURES_DIR, 'ecssd');
export const haveFixtures = () => fs.existsSync(path.join(REMBG_DIR, 'car-1.jpg'));
