// What an option is (OptionEntry: parser, default, effect, docs, page control, CLI flag) and what
// options produce for the renderer (RenderSpec). Import-free: the page bundles it.
import type { OutputFormat } from '../vocabulary.js';

/** A length on one side: pixels, or a percent (of the subject, or of the canvas with `canvas`). */
export interface Length {
  value: number;
  unit: 'px' | '%';
}

/** What the renderer does, read from the options by their `apply`. */
export interface RenderSpec {
  format: OutputFormat | 'auto';
  /** Largest output in pixels (width × height), or null for the input's size. */
  maxPixels: number | null;
  maxWidth: number | null;
  maxHeight: number | null;
  crop: 'none' | 'subject' | 'face';
  /** Top, right, bottom, left. */
  margin: [Length, Length, Length, Length];
  canvas: { width: number; height: number } | null;
  /** Where the subject goes in free space: fractions 0..1, or where it was in the photo. */
  position: 'original' | { x: number; y: number };
  /** The subject's size relative to the output (0.1..1), or null to keep its size. */
  scale: number | null;
  background:
    | { kind: 'none' }
    | { kind: 'color'; rgba: [number, number, number, number] }
    | { kind: 'image' }
    | { kind: 'blur'; amount: number };
  shadow: 'none' | 'soft';
  channels: 'rgba' | 'alpha';
  /** Edge refinement at full resolution (guided filter + foreground colour), or the model's mask as it is. */
  refine: 'none' | 'fast';
}

export const blankSpec = (): RenderSpec => ({
  format: 'png',
  maxPixels: null,
  maxWidth: null,
  maxHeight: null,
  crop: 'none',
  margin: [0, 0, 0, 0].map(() => ({ value: 0, unit: 'px' as const })) as RenderSpec['margin'],
  canvas: null,
  position: 'original',
  scale: null,
  background: { kind: 'none' },
  shadow: 'none',
  channels: 'rgba',
  refine: 'none',
});

export type Json = string | number | boolean | null;

/** How the page shows an option. */
export type Control =
  | { kind: 'select'; label: string; choices: readonly (readonly [value: string, label: string])[] }
  | { kind: 'text'; label: string; placeholder: string }
  | { kind: 'color'; label: string }
  | { kind: 'range'; label: string; min: number; max: number }
  | { kind: 'file'; label: string };

export interface OptionEntry<V extends Json> {
  /** The form field and query parameter. */
  name: string;
  /** The CLI flag, without dashes. */
  flag: string;
  default: V;
  /** Text (form field, query parameter, flag) → normalised value; throws a sentence (string) when refused. */
  parse(text: string): V;
  /** Normalised value → the text a client sends. */
  text(value: V): string;
  /** Writes the option's effect into the spec. */
  apply(spec: RenderSpec, value: V): void;
  /** OpenAPI: what it does and what it accepts; an example; the allowed words, if it is a choice. */
  description: string;
  example: string;
  values?: readonly string[];
  /** A file field (bg_image): its normalised value is the file's sha256, set by the api. */
  file?: true;
  control: Control;
}
