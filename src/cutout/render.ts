// From the cut-out subject (full-resolution RGBA) to the file a job asked for: crop, canvas,
// scale and position (layout.ts), background, shadow, mask-only, size limits and format.
// The default (full size, transparent PNG) takes the shortest path: one PNG encode.
import sharp, { type OverlayOptions } from 'sharp';
import { UnprocessableOptionError } from '../errors.js';
import type { RenderSpec } from '../options/options.js';
import type { OutputFormat } from '../vocabulary.js';
import { encodePngRgba, PngWriter } from './png.js';
import { headAndShoulders, layout, subjectBox, toOutput, type Box, type Layout } from './layout.js';

export type { OutputFormat } from '../vocabulary.js';

export interface Rendered {
  bytes: Buffer;
  format: OutputFormat;
  width: number;
  height: number;
  /** The subject's box in the result's pixels (the whole result when nothing is found). */
  foreground: Box;
}

export interface RenderInput {
  /** The cut-out: packed RGBA at the photo's size, alpha = the mask. The photo's colours are intact. */
  rgba: Uint8Array;
  width: number;
  height: number;
  /** The background image's bytes, for `bg_image`. */
  background?: Buffer;
  /** Finds faces (largest first) in packed RGB; needed for crop=face only. */
  findFaces?: (rgb: Uint8Array, width: number, height: number) => Promise<Box[]>;
  pngCompressionLevel: number;
  /** Pixel limit for the background image (as for uploads). */
  maxPixels: number;
}

const raw = (width: number, height: number, channels: 1 | 3 | 4) => ({ raw: { width, height, channels } });

/** Faces are looked for on a copy this big (long side), which is plenty for a head-and-shoulders frame. */
const FACE_SEARCH_SIDE = 800;

async function faceFrame(input: RenderInput): Promise<Box> {
  if (!input.findFaces) throw new Error('render: crop=face without a face detector');
  const k = Math.min(1, FACE_SEARCH_SIDE / Math.max(input.width, input.height));
  const w = Math.max(1, Math.round(input.width * k));
  const h = Math.max(1, Math.round(input.height * k));
  const rgb = await sharp(input.rgba, raw(input.width, input.height, 4)).removeAlpha().resize(w, h, { fit: 'fill' }).raw().toBuffer();
  const [face] = await input.findFaces(rgb, w, h);
  if (!face) {
    throw new UnprocessableOptionError(
      'no_face_found',
      'No face was found in this photo, so it cannot be cropped to a face. Use crop=true to crop to the subject instead.',
    );
  }
  const scaled = { left: face.left / k, top: face.top / k, width: face.width / k, height: face.height / k };
  return headAndShoulders(scaled, input.width, input.height);
}

export async function render(input: RenderInput, spec: RenderSpec): Promise<Rendered> {
  const { width, height, rgba } = input;
  // The common case, as before options existed: one encode, nothing copied.
  if (isPlainPng(spec)) return plainPng(rgba, width, height, new PngWriter(rgba, width, height, input.pngCompressionLevel));
  const subject = subjectBox(rgba, width, height);
  const whole = { left: 0, top: 0, width, height };
  if (!subject && (spec.crop !== 'none' || spec.canvas || spec.scale !== null)) {
    throw new UnprocessableOptionError(
      'no_subject_found',
      'No subject was found in this photo, so there is nothing to crop, fit or scale. Try it without crop, canvas and scale.',
    );
  }
  const face = spec.crop === 'face' ? await faceFrame(input) : undefined;
  const l = layout(spec, width, height, subject, face);

  const layer = await subjectLayer(input, l);
  const fg = layer ? (subjectBox(layer.rgba, layer.width, layer.height) ?? null) : null;
  const foreground = fg && layer ? { left: fg.left + layer.left, top: fg.top + layer.top, width: fg.width, height: fg.height } : (toOutput(subject ?? whole, l) ?? { left: 0, top: 0, width: l.width, height: l.height });

  if (spec.channels === 'alpha') {
    const mask = new Uint8Array(l.width * l.height);
    if (layer) {
      for (let y = 0; y < layer.height; y++) {
        const row = (layer.top + y) * l.width + layer.left;
        for (let x = 0, i = y * layer.width * 4 + 3; x < layer.width; x++, i += 4) mask[row + x] = layer.rgba[i]!;
      }
    }
    const img = sharp(mask, raw(l.width, l.height, 1)).toColourspace('b-w');
    const format = spec.format === 'auto' ? 'png' : spec.format;
    return { bytes: await encode(img, format, input.pngCompressionLevel), format, width: l.width, height: l.height, foreground };
  }

  const base = await backgroundOf(input, spec, l);
  const overlays: OverlayOptions[] = [];
  if (layer && spec.shadow === 'soft') overlays.push(...(await shadowOf(layer, l)));
  if (layer) overlays.push({ input: layer.rgba, ...raw(layer.width, layer.height, 4), left: layer.left, top: layer.top });
  const composed = await sharp(base.data, raw(l.width, l.height, 4)).composite(overlays).raw().toBuffer();

  // jpg has no transparency: what is transparent lies on white.
  const format: OutputFormat = spec.format === 'auto' ? (isOpaque(composed) ? 'jpg' : 'png') : spec.format;
  const img = sharp(composed, raw(l.width, l.height, 4));
  const flat = format === 'jpg' ? img.flatten({ background: '#ffffff' }) : img;
  const bytes = format === 'png' ? await encodePngRgba(composed, l.width, l.height, input.pngCompressionLevel) : await encode(flat, format, input.pngCompressionLevel);
  return { bytes, format, width: l.width, height: l.height, foreground };
}

/** Whether `spec` asks for the photo as it is, its alpha the cut, as a PNG: one encode (`plainPng`). */
export function isPlainPng(spec: RenderSpec): boolean {
  const plain =
    spec.crop === 'none' && !spec.canvas && spec.scale === null && spec.maxPixels === null && spec.maxWidth === null &&
    spec.maxHeight === null && spec.background.kind === 'none' && spec.shadow === 'none' && spec.channels === 'rgba';
  return plain && (spec.format === 'png' || spec.format === 'auto');
}

/**
 * The plain PNG's result, from the writer its rows went to (all of them final now): the subject's
 * box is found while the pool compresses what the writer has been given.
 */
export async function plainPng(rgba: Uint8Array, width: number, height: number, writer: PngWriter): Promise<Rendered> {
  const subject = subjectBox(rgba, width, height);
  const bytes = await writer.finish();
  return { bytes, format: 'png', width, height, foreground: subject ?? { left: 0, top: 0, width, height } };
}

function isOpaque(rgba: Uint8Array): boolean {
  for (let i = 3; i < rgba.length; i += 4) if (rgba[i] !== 255) return false;
  return true;
}

function encode(img: sharp.Sharp, format: OutputFormat, pngCompressionLevel: number): Promise<Buffer> {
  if (format === 'webp') return img.webp({ lossless: true, effort: 2 }).toBuffer();
  if (format === 'jpg') return img.jpeg({ quality: 90, chromaSubsampling: '4:4:4' }).toBuffer();
  return img.png({ compressionLevel: pngCompressionLevel, adaptiveFiltering: false }).toBuffer();
}

interface Placed {
  rgba: Buffer;
  width: number;
  height: number;
  /** Where its top-left corner is in the output. */
  left: number;
  top: number;
}

/** The shown region of the cut-out, resized and clipped to the output; null when none of it shows. */
async function subjectLayer(input: RenderInput, l: Layout): Promise<Placed | null> {
  const dw = Math.max(1, Math.round(l.dest.width));
  const dh = Math.max(1, Math.round(l.dest.height));
  const dl = Math.round(l.dest.left);
  const dt = Math.round(l.dest.top);
  const vis = { left: Math.max(0, dl), top: Math.max(0, dt), right: Math.min(l.width, dl + dw), bottom: Math.min(l.height, dt + dh) };
  if (vis.right <= vis.left || vis.bottom <= vis.top) return null;
  const r = l.region;
  let img = sharp(input.rgba, raw(input.width, input.height, 4)).extract({ left: r.left, top: r.top, width: r.width, height: r.height });
  if (dw !== r.width || dh !== r.height) {
    // sharp premultiplies alpha around the resize, so no background colour bleeds into the edges.
    img = sharp(await img.raw().toBuffer(), raw(r.width, r.height, 4)).resize(dw, dh, { fit: 'fill', kernel: 'lanczos3' });
  }
  if (vis.left !== dl || vis.top !== dt || vis.right !== dl + dw || vis.bottom !== dt + dh) {
    img = sharp(await img.raw().toBuffer(), raw(dw, dh, 4)).extract({
      left: vis.left - dl,
      top: vis.top - dt,
      width: vis.right - vis.left,
      height: vis.bottom - vis.top,
    });
  }
  const rgba = await img.raw().toBuffer();
  return { rgba, width: vis.right - vis.left, height: vis.bottom - vis.top, left: vis.left, top: vis.top };
}

/** The output's background as RGBA pixels of the output's size. */
async function backgroundOf(input: RenderInput, spec: RenderSpec, l: Layout): Promise<{ data: Buffer }> {
  const bg = spec.background;
  const create = (r: number, g: number, b: number, a: number) =>
    sharp({ create: { width: l.width, height: l.height, channels: 4, background: { r, g, b, alpha: a / 255 } } }).raw().toBuffer();
  if (bg.kind === 'color') return { data: await create(...bg.rgba) };
  if (bg.kind === 'image') {
    if (!input.background) throw new Error('render: bg_image without its file');
    const data = await sharp(input.background, { limitInputPixels: input.maxPixels, failOn: 'error', pages: 1 })
      .rotate()
      .resize(l.width, l.height, { fit: 'cover', position: 'centre' })
      .toColourspace('srgb')
      .ensureAlpha()
      .raw()
      .toBuffer();
    return { data };
  }
  if (bg.kind === 'blur') return { data: await blurredPhoto(input, l, bg.amount) };
  return { data: await create(0, 0, 0, 0) };
}

/**
 * The photo itself behind the subject, lined up with it (the same crop and scale), blurred. It is
 * blurred on a small copy (at most BLUR_SIDE px) and enlarged: the same look, a fraction of the cost.
 */
const BLUR_SIDE = 512;
async function blurredPhoto(input: RenderInput, l: Layout, amount: number): Promise<Buffer> {
  const k = l.dest.width / l.region.width;
  // The part of the photo the whole output covers, in source pixels, clipped to the photo.
  const sx = l.region.left - l.dest.left / k;
  const sy = l.region.top - l.dest.top / k;
  const sw = l.width / k;
  const sh = l.height / k;
  const x0 = Math.max(0, Math.floor(sx));
  const y0 = Math.max(0, Math.floor(sy));
  const x1 = Math.min(input.width, Math.ceil(sx + sw));
  const y1 = Math.min(input.height, Math.ceil(sy + sh));
  const small = Math.min(1, BLUR_SIDE / Math.max(l.width, l.height));
  const bw = Math.max(1, Math.round(l.width * small));
  const bh = Math.max(1, Math.round(l.height * small));
  const photo = sharp(input.rgba, raw(input.width, input.height, 4)).removeAlpha();
  let img: sharp.Sharp;
  if (x1 - x0 < 2 || y1 - y0 < 2) {
    img = photo.resize(bw, bh, { fit: 'cover' });
  } else {
    // Where the output reaches past the photo, the photo's edge is mirrored, so nothing is empty.
    const part = await photo.extract({ left: x0, top: y0, width: x1 - x0, height: y1 - y0 }).raw().toBuffer();
    const scale = bw / sw;
    const pw = Math.max(1, Math.round((x1 - x0) * scale));
    const ph = Math.max(1, Math.round((y1 - y0) * scale));
    const resized = await sharp(part, raw(x1 - x0, y1 - y0, 3)).resize(pw, ph, { fit: 'fill' }).raw().toBuffer();
    const padLeft = Math.max(0, Math.round((x0 - sx) * scale));
    const padTop = Math.max(0, Math.round((y0 - sy) * scale));
    img = sharp(resized, raw(pw, ph, 3))
      .extend({
        left: padLeft,
        top: padTop,
        right: Math.max(0, bw - pw - padLeft),
        bottom: Math.max(0, bh - ph - padTop),
        extendWith: 'mirror',
      })
      .resize(bw, bh, { fit: 'fill' });
  }
  const sigma = (amount / 100) * 0.03 * Math.max(bw, bh);
  let blurred = sharp(await img.raw().toBuffer(), raw(bw, bh, 3));
  if (sigma >= 0.3) blurred = blurred.blur(sigma);
  return sharp(await blurred.raw().toBuffer(), raw(bw, bh, 3)).resize(l.width, l.height, { fit: 'fill' }).ensureAlpha().raw().toBuffer();
}

/**
 * A soft contact shadow: the subject's silhouette flattened to a sliver, blurred, darkened, and
 * laid under the subject's base, as if lit from above.
 */
async function shadowOf(layer: Placed, l: Layout): Promise<OverlayOptions[]> {
  const fg = subjectBox(layer.rgba, layer.width, layer.height);
  if (!fg) return [];
  const sliver = Math.max(2, Math.round(fg.height * 0.05));
  const sigma = Math.max(1, fg.height * 0.025);
  const pad = Math.ceil(sigma * 3);
  const w = fg.width + pad * 2;
  const h = sliver + pad * 2;
  const flat = await sharp(layer.rgba, raw(layer.width, layer.height, 4)).extract(fg).extractChannel(3).resize(fg.width, sliver, { fit: 'fill' }).raw().toBuffer();
  const padded = Buffer.alloc(w * h);
  for (let y = 0; y < sliver; y++) flat.copy(padded, (y + pad) * w + pad, y * fg.width, (y + 1) * fg.width);
  const { data: alpha, info } = await sharp(padded, raw(w, h, 1)).blur(sigma).raw().toBuffer({ resolveWithObject: true });
  const rgba = Buffer.alloc(w * h * 4);
  for (let i = 0; i < w * h; i++) rgba[i * 4 + 3] = Math.round(alpha[i * info.channels]! * 0.5);
  // Centred on the subject's base line, clipped to the output.
  const left = layer.left + fg.left - pad;
  const top = layer.top + fg.top + fg.height - Math.round(sliver / 2) - pad;
  const vis = { left: Math.max(0, left), top: Math.max(0, top), right: Math.min(l.width, left + w), bottom: Math.min(l.height, top + h) };
  if (vis.right <= vis.left || vis.bottom <= vis.top) return [];
  const clipped = await sharp(rgba, raw(w, h, 4))
    .extract({ left: vis.left - left, top: vis.top - top, width: vis.right - vis.left, height: vis.bottom - vis.top })
    .raw()
    .toBuffer();
  return [{ input: clipped, ...raw(vis.right - vis.left, vis.bottom - vis.top, 4), left: vis.left, top: vis.top }];
}
