// A job's progress as a percent that moves in proportion to time: each stage's usual duration,
// learned from finished jobs, and a ticker that moves a long stage's percent while it runs.
import { STAGES, type Stage } from '../vocabulary.js';

/**
 * How long each stage usually takes, learned from finished jobs (exponential moving average),
 * and from it each stage's share of the time, so that percentages move in proportion to time
 * rather than by stage count. Before the first job: about 3.5 s, 85% of it inference.
 */
export class StageWeights {
  private ms = Object.fromEntries(STAGES.map((stage) => [stage, stage === 'inference' ? 3000 : 176])) as Record<Stage, number>;

  learn(timings: Record<Stage, number>): void {
    const total = STAGES.reduce((sum, stage) => sum + timings[stage], 0);
    if (!(total > 0)) return;
    for (const stage of STAGES) this.ms[stage] = 0.8 * this.ms[stage] + 0.2 * timings[stage];
  }

  private share(stage: Stage): number {
    return this.ms[stage] / STAGES.reduce((sum, other) => sum + this.ms[other], 0);
  }

  /** How long `stage` usually takes (ms). */
  expectedMs(stage: Stage): number {
    return this.ms[stage];
  }

  /**
   * Percent complete when `stage` has run for `elapsedMs`: from its start toward the next
   * stage's, in proportion to its usual duration, and never more than 90% of the way there (an
   * estimate must not claim the stage is over).
   */
  during(stage: Stage, elapsedMs: number): number {
    const start = this.startOf(stage);
    const span = this.share(stage) * 100;
    const fraction = Math.min(0.9, Math.max(0, elapsedMs / this.ms[stage]));
    return Math.min(99, Math.max(start, Math.floor(start + span * fraction)));
  }

  /** Percent complete when `stage` starts. */
  startOf(stage: Stage): number {
    let sum = 0;
    for (const earlier of STAGES) {
      if (earlier === stage) break;
      sum += this.share(earlier);
    }
    return Math.min(99, Math.round(sum * 100));
  }
}

/** Stages expected to take at least this long report progress while they run, not only at their start. */
export const LONG_STAGE_MS = 1000;

/**
 * Moves the percent of the stage in hand forward while it runs, if it is a long one. `report`
 * gets each new percent; it decides whether it is higher than the last one sent.
 */
export class ProgressTicker {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly weights: StageWeights,
    private readonly report: (stage: Stage, percent: number) => void,
    private readonly tickMs = 500,
  ) {}

  /** A stage starts: ticks for it (when long) replace those of the previous one. */
  stageStarted(stage: Stage): void {
    this.stop();
    if (this.weights.expectedMs(stage) < LONG_STAGE_MS) return;
    const startedAt = performance.now();
    this.timer = setInterval(() => this.report(stage, this.weights.during(stage, performance.now() - startedAt)), this.tickMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
