// Part 1: the bare pipeline (no queue, no HTTP; in a process of its own, bare-run.ts), and the
// model call alone: the pipeline's own timing of its inference stage (the same session, the same
// runs), which is the call into the model's thread and back, with nothing of the image work around
// it. The process's CPU time in each stage says how many cores the model keeps busy, and so how
// much a burst could gain at most by overlapping the work around the model with it (`burstCeiling`).
import fs from 'node:fs';
import { pipelineOptions } from '../../src/config.js';
import { CutoutPipeline } from '../../src/cutout/pipeline.js';
import { STAGES, type Stage } from '../../src/vocabulary.js';
import { workerEnvironment } from '../../src/worker/glibc-tunables.js';
import { config, median, round, runPart } from './common.js';

export interface BareResult {
  /** Whole pipeline per image (decode → model → PNG), ms. */
  ms: number[];
  /** p50 of each stage, ms; `inference` is the model call alone. */
  stages: Record<Stage, number>;
  /** Cores busy during the model call (the process's CPU time / the call's time), p50. */
  modelCores: number;
  /** Cores busy during the rest of the pipeline, p50. */
  aroundCores: number;
}

/** The process's CPU time so far, ms (every thread: the model's, the pixel threads, libvips'). */
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

export async function runBare(images: readonly string[], reps: number): Promise<BareResult> {
  const pipeline = await CutoutPipeline.create(pipelineOptions(config));
  await pipeline.process(fs.readFileSync(images[0]!)); // the session's first run is slower
  const ms: number[] = [];
  const stages = Object.fromEntries(STAGES.map((s) => [s, [] as number[]])) as Record<Stage, number[]>;
  const modelCores: number[] = [];
  const aroundCores: number[] = [];
  for (let r = 0; r < reps; r++) {
    for (const f of images) {
      const input = fs.readFileSync(f);
      let modelCpu = 0;
      let inModel = false;
      let mark = 0;
      const cpu0 = cpuMs();
      const t = performance.now();
      const result = await pipeline.process(input, (stage) => {
        const now = cpuMs();
        if (inModel) modelCpu += now - mark;
        inModel = stage === 'inference';
        mark = now;
      });
      const wall = performance.now() - t;
      const cpu = cpuMs() - cpu0;
      ms.push(wall);
      for (const s of STAGES) stages[s].push(result.timings[s]);
      const modelWall = result.timings.inference;
      modelCores.push(modelCpu / modelWall);
      aroundCores.push((cpu - modelCpu) / (wall - modelWall));
    }
  }
  await pipeline.release();
  return {
    ms,
    stages: Object.fromEntries(STAGES.map((s) => [s, round(median(stages[s]))])) as Record<Stage, number>,
    modelCores: round(median(modelCores), 2),
    aroundCores: round(median(aroundCores), 2),
  };
}

/**
 * runBare in a process of its own started as a worker is (its GLIBC_TUNABLES: how the pipeline's
 * large blocks are mapped changes the time around the model by 10–30 ms), so that the service is
 * compared with the same pipeline under the same allocator, and nothing the bench process did
 * before is in its memory.
 */
export function runBareAsWorker(images: readonly string[], reps: number): BareResult {
  return runPart<BareResult>('bare-run.js', [], { env: { ...workerEnvironment(process.env), BENCH_BARE: JSON.stringify({ images, reps }) }, stderr: 'inherit' });
}

/**
 * The most a burst can beat the bare pipeline one after another on `cores` cores, if the work
 * around the model (`aroundMs` a photo, keeping `aroundCores` busy) overlapped the model's
 * (`modelMs`, `modelCores`) perfectly and slowed nothing: every core busy, each photo's CPU time
 * as in the bare pipeline. When the model alone keeps every core busy, nothing is left to overlap.
 */
export function burstCeiling(cores: number, modelMs: number, modelCores: number, aroundMs: number, aroundCores: number): number {
  const cpuPerPhoto = modelMs * Math.min(modelCores, cores) + aroundMs * Math.min(aroundCores, cores);
  return (modelMs + aroundMs) / (cpuPerPhoto / cores);
}
