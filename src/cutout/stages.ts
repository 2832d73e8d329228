// The stages of one cutout, in order. Shared by the pipeline, the job contract and the api
// (which must not load the model's runtime).
export const STAGES = ['decoding', 'inference', 'compositing', 'encoding'] as const;
export type Stage = (typeof STAGES)[number];
