// The real pipeline (decode, mask, refine, options, encode) on a synthetic segmentation session:
// the model's output is a soft-edged disk in the middle of the frame. For tests where the image
// work matters but the model does not (the mask editor): fast, deterministic, no weights.
import { CutoutPipeline } from '../../src/cutout/pipeline.js';
import type { SegmentationSession } from '../../src/cutout/session.js';
import { DEFAULT_MODEL, resolveModel } from '../../src/cutout/models.js';

/** A disk of radius 0.3 (of the side) centred in the model's square, with a soft edge 3 % wide. */
export function diskSession(): SegmentationSession {
  return {
    inputName: 'input',
    outputName: 'output',
    weights: 'a stand-in',
    async run(_input, size) {
      const out = new Float32Array(size * size);
      const c = size / 2;
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) {
          const d = Math.hypot(x + 0.5 - c, y + 0.5 - c) / size;
          out[y * size + x] = Math.min(1, Math.max(0, (0.3 - d) / 0.03 + 0.5));
        }
      }
      return out;
    },
    async release() {},
  };
}

export function syntheticCutter(): CutoutPipeline {
  return CutoutPipeline.withSession(resolveModel(DEFAULT_MODEL), diskSession(), {
    models: [DEFAULT_MODEL],
    modelDir: '',
    threads: 1,
    maxPixels: 50_000_000,
    pngCompressionLevel: 6,
  });
}
