// Part 1: the bare pipeline, in this process (no queue, no HTTP), and the model call alone: the
// pipeline's own timing of its inference stage (the same session, the same runs), which is the
// call into the model's thread and back, with nothing of the image work around it.
import fs from 'node:fs';
import { pipelineOptions } from '../../src/config.js';
import { CutoutPipeline } from '../../src/cutout/pipeline.js';
import { STAGES, type Stage } from '../../src/vocabulary.js';
import { config, median, round } from './common.js';

export interface BareResult {
  /** Whole pipeline per image (decode → model → PNG), ms. */
  ms: number[];
  /** p50 of each stage, ms; `inference` is the model call alone. */
  stages: Record<Stage, number>;
}

export async function runBare(images: readonly string[], reps: number): Promise<BareResult> {
  const pipeline = await CutoutPipeline.create(pipelineOptions(config));
  await pipeline.process(fs.readFileSync(images[0]!)); // the session's first run is slower
  const ms: number[] = [];
  const stages = Object.fromEntries(STAGES.map((s) => [s, [] as number[]])) as Record<Stage, number[]>;
  for (let r = 0; r < reps; r++) {
    for (const f of images) {
      const input = fs.readFileSync(f);
      const t = performance.now();
      const result = await pipeline.process(input);
      ms.push(performance.now() - t);
      for (const s of STAGES) stages[s].push(result.timings[s]);
    }
  }
  await pipeline.release();
  return { ms, stages: Object.fromEntries(STAGES.map((s) => [s, round(median(stages[s]))])) as Record<Stage, number> };
}
