// The options table: parsing, normalising, refusing (each with its code), combining; and the
// layout rules (pure geometry). No services.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidOptionError } from '../../src/errors.js';
import { headAndShoulders, layout, subjectBox, toOutput } from '../../src/cutout/layout.js';
import { defaultOptions, OPTIONS, optionsAsText, optionsKey, parseOptions, renderSpec } from '../../src/options/options.js';

function refused(given: Record<string, string>, code: string): string {
  try {
    parseOptions(given);
  } catch (err) {
    assert.ok(err instanceof InvalidOptionError, String(err));
    assert.equal(err.code, code, `${JSON.stringify(given)}: ${err.message}`);
    assert.match(err.message, /^([A-Z"]|[a-z]+_[a-z_]+ )/, 'a sentence (or the option\'s name first)');
    return err.message;
  }
  assert.fail(`${JSON.stringify(given)} was accepted`);
}

describe('options table', () => {
  it('every option has a description, an example that parses, a default, a flag and a control', () => {
    for (const o of OPTIONS) {
      assert.ok(o.description.length > 20, o.name);
      assert.ok(o.flag && o.control.label, o.name);
      if (!('file' in o && o.file)) assert.doesNotThrow(() => parseOptions({ [o.name]: o.example, ...(o.name === 'position' ? { scale: '80%' } : {}) }), o.name);
    }
  });

  it('fills defaults and normalises what it is given; the normalised text parses back to itself', () => {
    const o = parseOptions({ format: 'JPEG', crop: '1', crop_margin: '5%  10px', bg_color: 'White', canvas: '2000X2000', scale: '80', position: 'centre' });
    assert.equal(o.format, 'jpg');
    assert.equal(o.crop, true);
    assert.equal(o.crop_margin, '5% 10px');
    assert.equal(o.bg_color, '#ffffffff');
    assert.equal(o.canvas, '2000x2000');
    assert.equal(o.scale, '80%');
    assert.equal(o.position, 'center');
    assert.equal(o.shadow, 'none');
    assert.deepEqual(parseOptions(optionsAsText(o)), o);
    assert.deepEqual(parseOptions({}), defaultOptions());
    assert.equal(optionsKey(parseOptions({ bg_color: 'fff' })), optionsKey(parseOptions({ bg_color: '#FFFFFFFF' })), 'same meaning, same key');
    assert.notEqual(optionsKey(parseOptions({ bg_color: 'fff' })), optionsKey(parseOptions({})));
  });

  it('reads colours as hex (3, 4, 6, 8 digits) and CSS names', () => {
    assert.equal(parseOptions({ bg_color: 'f00' }).bg_color, '#ff0000ff');
    assert.equal(parseOptions({ bg_color: '#0f08' }).bg_color, '#00ff0088');
    assert.equal(parseOptions({ bg_color: 'rebeccapurple' }).bg_color, '#663399ff');
    assert.equal(parseOptions({ bg_color: '11223344' }).bg_color, '#11223344');
  });

  it('refuses every bad value with invalid_<option> and a sentence saying what is allowed', () => {
    const cases: [string, string][] = [
      ['format', 'gif'], ['size', 'huge'], ['max_width', '0'], ['max_width', '-5'], ['max_height', '1e9'],
      ['crop', 'maybe'], ['crop_margin', '-5px'], ['crop_margin', '501px'], ['crop_margin', '51%'], ['crop_margin', '1px 2px 3px'],
      ['crop_margin', '10em'], ['canvas', '99999x99999'], ['canvas', '8000x8000'], ['canvas', '0x10'], ['canvas', 'big'],
      ['position', 'left'], ['position', '120% 0%'], ['scale', '5%'], ['scale', '300%'], ['bg_color', 'javascript:'],
      ['bg_color', '#12345'], ['bg_color', 'url(x)'], ['bg_image', '../../etc/passwd'], ['bg_blur', '500'], ['bg_blur', '-1'],
      ['shadow', 'hard'], ['channels', 'cmyk'], ['refine', 'slow'], ['refine', 'true'],
    ];
    for (const [name, value] of cases) {
      const message = refused({ [name]: value }, `invalid_${name}`);
      assert.ok(message.length < 300, message);
    }
    assert.match(refused({ canvas: '99999x99999' }, 'invalid_canvas'), /10000/);
  });

  it('refine: fast by default (the evaluation\'s better), none gives the model\'s mask as it is', () => {
    assert.equal(defaultOptions().refine, 'fast');
    assert.equal(renderSpec(defaultOptions()).refine, 'fast');
    const none = parseOptions({ refine: 'NONE ' });
    assert.equal(none.refine, 'none');
    assert.equal(renderSpec(none).refine, 'none');
    assert.deepEqual(optionsAsText(none), { refine: 'none' });
    assert.notEqual(optionsKey(none), optionsKey(defaultOptions()), 'a different result, so a different cache entry');
    const o = OPTIONS.find((x) => x.name === 'refine')!;
    assert.deepEqual([o.flag, o.control.label, o.values], ['refine', 'Refine edges', ['none', 'fast']]);
  });

  it('refuses combinations that make no sense, and unknown names', () => {
    refused({ bg_color: 'white', bg_blur: '20' }, 'multiple_bg_sources');
    refused({ canvas: '100x100', size: 'preview' }, 'invalid_size');
    refused({ canvas: '100x100', max_width: '50' }, 'invalid_max_width');
    refused({ position: 'center' }, 'invalid_position');
    refused({ colour: 'red' }, 'unknown_option');
    assert.doesNotThrow(() => parseOptions({ position: 'center', scale: '50%' }));
    assert.doesNotThrow(() => parseOptions({ position: '50% 100%', canvas: '10x10' }));
  });
});

describe('layout', () => {
  const subject = { left: 100, top: 50, width: 200, height: 100 };
  const spec = (given: Record<string, string>) => renderSpec(parseOptions(given));

  it('without options: the photo, untouched', () => {
    const l = layout(spec({}), 1000, 800, subject);
    assert.deepEqual([l.width, l.height], [1000, 800]);
    assert.deepEqual(l.dest, { left: 0, top: 0, width: 1000, height: 800 });
  });

  it('crop: the subject box, with margins in px or percent of the subject, CSS order', () => {
    let l = layout(spec({ crop: 'true' }), 1000, 800, subject);
    assert.deepEqual([l.width, l.height], [200, 100]);
    assert.deepEqual(l.region, subject);
    l = layout(spec({ crop: 'true', crop_margin: '10px 20px' }), 1000, 800, subject);
    assert.deepEqual([l.width, l.height], [240, 120]);
    assert.deepEqual([l.dest.left, l.dest.top], [20, 10]);
    l = layout(spec({ crop: 'true', crop_margin: '10%' }), 1000, 800, subject);
    assert.deepEqual([l.width, l.height], [240, 120]);
    l = layout(spec({ crop: 'true', crop_margin: '1px 2px 3px 4px' }), 1000, 800, subject);
    assert.deepEqual([l.width, l.height, l.dest.left, l.dest.top], [206, 104, 4, 1]);
  });

  it('canvas: exactly W×H, the subject fitted inside the margins (percent of the canvas), centred or positioned', () => {
    let l = layout(spec({ canvas: '2000x2000', crop_margin: '5%' }), 1000, 800, subject);
    assert.deepEqual([l.width, l.height], [2000, 2000]);
    assert.equal(l.dest.width, 1800, 'the long side fills the space inside 5% margins');
    assert.equal(l.dest.height, 900);
    assert.deepEqual([l.dest.left, l.dest.top], [100, 550]);
    l = layout(spec({ canvas: '2000x2000', crop_margin: '5%', position: '50% 100%' }), 1000, 800, subject);
    assert.equal(l.dest.top + l.dest.height, 1900, 'at the bottom margin');
    l = layout(spec({ canvas: '1000x1000', scale: '50%' }), 1000, 800, subject);
    assert.equal(l.dest.width, 500, 'scale: the long side is half the canvas');
  });

  it('scale without canvas or crop: the photo\'s frame, the subject resized at position', () => {
    const l = layout(spec({ scale: '50%', position: '50% 100%' }), 1000, 800, subject);
    assert.deepEqual([l.width, l.height], [1000, 800]);
    assert.equal(l.dest.width, 500);
    assert.equal(l.dest.top + l.dest.height, 800);
  });

  it('size limits shrink, never enlarge', () => {
    let l = layout(spec({ size: 'preview' }), 2000, 1500, subject);
    assert.ok(l.width * l.height <= 250_000, `${l.width}x${l.height}`);
    assert.ok(l.width * l.height > 240_000);
    l = layout(spec({ max_width: '500' }), 2000, 1500, subject);
    assert.deepEqual([l.width, l.height], [500, 375]);
    l = layout(spec({ size: 'hd' }), 200, 100, subject);
    assert.deepEqual([l.width, l.height], [200, 100]);
  });

  it('maps the subject into the output and finds the subject box of an alpha plane', () => {
    const l = layout(spec({ crop: 'true', crop_margin: '10px' }), 1000, 800, subject);
    assert.deepEqual(toOutput(subject, l), { left: 10, top: 10, width: 200, height: 100 });
    const rgba = new Uint8Array(10 * 6 * 4);
    for (const [x, y] of [[2, 1], [7, 4]] as const) rgba[(y * 10 + x) * 4 + 3] = 200;
    rgba[(5 * 10 + 9) * 4 + 3] = 15; // below the threshold
    assert.deepEqual(subjectBox(rgba, 10, 6), { left: 2, top: 1, width: 6, height: 4 });
    assert.equal(subjectBox(new Uint8Array(16), 2, 2), null);
  });

  it('finds the same subject box as reading every pixel, on random alpha planes', () => {
    const everyPixel = (p: Uint8Array, w: number, h: number, stride: number, offset: number) => {
      const xs: number[] = [];
      const ys: number[] = [];
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          if (p[(y * w + x) * stride + offset]! < 16) continue;
          xs.push(x);
          ys.push(y);
        }
      }
      if (!xs.length) return null;
      const [left, top] = [Math.min(...xs), Math.min(...ys)];
      return { left, top, width: Math.max(...xs) - left + 1, height: Math.max(...ys) - top + 1 };
    };
    let seed = 5;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let k = 0; k < 500; k++) {
      const [w, h] = [1 + Math.floor(rnd() * 25), 1 + Math.floor(rnd() * 25)];
      const [stride, offset] = rnd() < 0.5 ? [4, 3] : [1, 0];
      const p = new Uint8Array(w * h * stride);
      const density = rnd() * 0.2;
      for (let i = offset; i < p.length; i += stride) p[i] = rnd() < density ? 16 + Math.floor(rnd() * 240) : Math.floor(rnd() * 16);
      assert.deepEqual(subjectBox(p, w, h, stride, offset), everyPixel(p, w, h, stride, offset), `${w}×${h}, stride ${stride}`);
    }
  });

  it('a head-and-shoulders frame stays inside the photo', () => {
    const f = headAndShoulders({ left: 5, top: 2, width: 40, height: 50 }, 100, 120);
    assert.ok(f.left >= 0 && f.top >= 0 && f.left + f.width <= 100 && f.top + f.height <= 120, JSON.stringify(f));
    assert.equal(f.height, 120);
  });
});

describe('result cache key', () => {
  it('depends on the bytes, the model or engine and the client, never on the file name', async () => {
    const { photoCacheKey } = await import('../../src/api/services/upload.js');
    const { loadConfig } = await import('../../src/config.js');
    const config = loadConfig({});
    const a = Buffer.from('photo a');
    assert.equal(photoCacheKey(config, a, 'public'), photoCacheKey(config, Buffer.from('photo a'), 'public'));
    assert.notEqual(photoCacheKey(config, a, 'public'), photoCacheKey(config, Buffer.from('photo b'), 'public'));
    assert.notEqual(photoCacheKey(config, a, 'client-1'), photoCacheKey(config, a, 'client-2'), 'scoped per API key');
    assert.notEqual(photoCacheKey(config, a, 'public'), photoCacheKey(loadConfig({ MODELS: 'isnet-quint8' }), a, 'public'));
    const two = loadConfig({ MODELS: 'isnet-general-use,u2netp' });
    assert.notEqual(photoCacheKey(two, a, 'public', 'u2netp'), photoCacheKey(two, a, 'public', 'isnet-general-use'), 'a mask of one model never serves another');
    const remote = (url: string) => loadConfig({ ENGINE: 'removebg', REMOVEBG_API_URL: url, REMOVEBG_API_KEY: 'k' });
    assert.notEqual(photoCacheKey(remote('https://api.remove.bg/v1.0'), a, 'public'), photoCacheKey(config, a, 'public'), 'nor one engine another');
    assert.notEqual(photoCacheKey(remote('https://api.remove.bg/v1.0'), a, 'public'), photoCacheKey(remote('http://other:8000/v1.0'), a, 'public'));
    assert.equal(photoCacheKey(remote('https://api.remove.bg/v1.0/'), a, 'public'), photoCacheKey(remote('https://api.remove.bg/v1.0'), a, 'public'), 'the same address written two ways');
  });
});
