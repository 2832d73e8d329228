// The per-job options as CLI flags (made from the options table).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseArgs } from 'node:util';
import { givenOptions, OPTION_FLAGS, optionsUsage, withDefaultValues } from '../../src/cli/option-flags.js';
import { OPTIONS, parseOptions } from '../../src/options/options.js';

const flags = (argv: string[]) => {
  const { values, positionals } = parseArgs({ args: withDefaultValues(argv), options: OPTION_FLAGS, allowPositionals: true });
  return { ...givenOptions(values), positionals };
};

describe('CLI option flags', () => {
  it('reads the issue\'s example as the api would read the same options', () => {
    const { given, positionals } = flags(['shoe.jpg', '--crop', '--crop-margin', '5%', '--canvas', '2000x2000', '--bg-color', 'white', '--format', 'jpg']);
    assert.deepEqual(positionals, ['shoe.jpg']);
    assert.deepEqual(given, { crop: 'true', crop_margin: '5%', canvas: '2000x2000', bg_color: 'white', format: 'jpg' });
    const options = parseOptions(given);
    assert.equal(options.crop, true);
    assert.equal(options.bg_color, '#ffffffff');
  });

  it('takes --crop alone as true, --crop face as face, and never swallows a file name', () => {
    assert.equal(flags(['--crop']).given.crop, 'true');
    assert.equal(flags(['--crop', 'face', 'a.jpg']).given.crop, 'face');
    assert.equal(flags(['--crop=face']).given.crop, 'face');
    assert.deepEqual(flags(['--crop', 'a.jpg']), { given: { crop: 'true' }, files: {}, positionals: ['a.jpg'] });
    assert.equal(flags(['--crop', '--format', 'webp']).given.format, 'webp');
  });

  it('keeps the background image as a file to read', () => {
    assert.deepEqual(flags(['--bg-image', 'beach.jpg']).files, { bg_image: 'beach.jpg' });
  });

  it('lists every option in the help', () => {
    const usage = optionsUsage();
    for (const o of OPTIONS) assert.match(usage, new RegExp(`--${o.flag} `));
  });
});
