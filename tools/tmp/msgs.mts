import { parseOptions } from '../../src/options/options.js';
for (const [k, v] of [['channels', 'cmyk'], ['crop_margin', '-5px'], ['scale', '300%'], ['crop', 'maybe']]) {
  try { parseOptions({ [k]: v }); } catch (e) { console.log(k, JSON.stringify((e as Error).message)); }
}
