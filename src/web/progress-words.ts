// A job's progress in words, shared by the page's cards and the web component: its place in line
// and the current stage. Imports only the vocabulary, so the component's bundle stays small.
import type { Stage } from '../vocabulary.js';

/** Every stage has its words (the compiler says so when a stage is added); `format`: "PNG", "image". */
const STAGE_TEXT: Record<Stage, (format: string) => string> = {
  decoding: () => 'Reading the image',
  inference: () => 'Finding the subject',
  compositing: () => 'Cutting it out',
  encoding: (format) => `Saving the ${format}`,
};

function formatEta(s: number | undefined): string {
  if (s === undefined) return '';
  if (s < 60) return ` · about ${Math.max(1, Math.round(s))} s`;
  return ` · about ${Math.round(s / 60)} min`;
}

/** "Waiting in line: position 2 · about 8 s". */
export const queuedLine = (position: number | undefined, etaSeconds: number | undefined): string =>
  position ? `Waiting in line: position ${position}${formatEta(etaSeconds)}` : 'Waiting in line…';

/** "Finding the subject… 42%". */
export const progressLine = (stage: string | undefined, percent: number, format: string): string =>
  `${STAGE_TEXT[stage as Stage]?.(format) ?? 'Processing'}… ${Math.round(percent)}%`;
