// Packed RGBA read a pixel at a time: one 32-bit load instead of four byte loads, for the passes
// over every pixel of a large photo (refine.ts's working copy, png.ts's rows).
import os from 'node:os';

/** A little-endian machine: a pixel word holds R, G, B, A from the lowest bits up (and typed arrays read file bytes least significant first). */
export const LITTLE_ENDIAN = os.endianness() === 'LE';

/** Where a pixel word's alpha byte is (its fourth byte in memory). */
export const ALPHA_SHIFT = LITTLE_ENDIAN ? 24 : 0;

/** The pixels as 32-bit words, when they start on a 4-byte boundary (else null: read them byte by byte). */
export function pixelWords(rgba: Uint8Array, from = 0, pixels = (rgba.length >>> 2) - from): Uint32Array | null {
  const at = rgba.byteOffset + from * 4;
  return at % 4 === 0 ? new Uint32Array(rgba.buffer, at, pixels) : null;
}
