// The mask editor's jobs (src/jobs/contract.ts MASK_JOB_NAME), on the queue of the job they
// belong to: `export` writes a done job's mask at the photo's size (the model's, refined as the
// job asked) for GET /jobs/{id}/mask; `apply` re-renders the result from an edited mask with the
// job's own options into the result slot not served, then switches the job's status to it.
// A failed re-render leaves the served version alone and is recorded on the job (edit_error).
import { UnrecoverableError, type Job } from 'bullmq';
import { CutoutError } from '../errors.js';
import { encodeFailure, type JobData, type MaskJobData } from '../jobs/contract.js';
import type { EditTarget, MaskEdits } from '../jobs/mask-edits.js';
import type { Logger } from '../logger.js';
import { frameMaskKind, slotOf, type BlobStore } from '../storage/blob-store.js';
import { resultOf, type Cutter } from './remove-bg.processor.js';

export interface MaskProcessorDeps {
  cutter: Cutter;
  store: BlobStore;
  logger: Logger;
  /** The edit records; `target` finds the job a mask job belongs to (of the queue, or answered from the cache). */
  edits: Pick<MaskEdits, 'record' | 'end' | 'target'>;
}

export const EDIT_FAILURE =
  'The edited mask could not be applied because of an internal error. The previous result is still served; please try again.';

export const EXPORT_FAILURE = 'The mask could not be prepared because of an internal error. Please try again.';

/** A failure a person can act on keeps its words; anything else is an internal error. */
function failureOf(err: unknown, action: MaskJobData['action']): { code: string; message: string } {
  if (err instanceof CutoutError) return { code: err.code, message: err.message };
  return { code: 'processing_error', message: action === 'apply' ? EDIT_FAILURE : EXPORT_FAILURE };
}

export function createMaskProcessor(deps: MaskProcessorDeps) {
  const { cutter, store } = deps;

  async function exportMask(jobId: string, version: number, owner: EditTarget) {
    // Edited meanwhile: the edit's own mask is stored, and this one must not overwrite its slot.
    if ((owner.edit?.version ?? 1) !== version) return;
    const mask = await store.readExtra('mask', jobId);
    if (!mask || !cutter.frameMask) throw new Error('the job has no stored model mask, or this cutter cannot scale one');
    const model = typeof owner.options?.model === 'string' ? owner.options.model : undefined; // the model that made the mask
    const png = await cutter.frameMask(await store.readInput(jobId), { options: owner.options, mask, model });
    await store.putExtra(frameMaskKind(slotOf(version)), jobId, png);
  }

  async function applyMask(jobId: string, version: number, options: JobData['options'], log: Logger) {
    const slot = slotOf(version);
    const [input, edited, background, model] = await Promise.all([
      store.readInput(jobId),
      store.readExtra(frameMaskKind(slot), jobId),
      options?.bg_image ? store.readExtra('background', jobId) : null,
      store.readExtra('mask', jobId), // the model's: refine=fast takes the edge colours from it
    ]);
    if (!edited) throw new Error('the edited mask is missing from the store');
    const madeBy = typeof options?.model === 'string' ? options.model : undefined; // its stored mask is at that model's size
    const request = { options, background: background ?? undefined, editedMask: edited, mask: model ?? undefined, model: madeBy };
    const out = await cutter.process(input, undefined, request);
    if (!out.frameMask) throw new Error('this cutter cannot apply an edited mask');
    await Promise.all([store.putResult(jobId, out.bytes, slot), store.putExtra(frameMaskKind(slot), jobId, out.frameMask)]);
    const result = resultOf(out, cutter.modelName);
    await deps.edits.record(jobId, () => ({ version, edited_at: new Date().toISOString(), result }));
    log.info({ version, width: out.width, height: out.height, outcome: 'done' }, 'mask edit applied');
  }

  return async function processMask(job: Job<MaskJobData>): Promise<{ version: number }> {
    const { jobId, action, version } = job.data;
    const log = deps.logger.child({ jobId, requestId: job.data.requestId, mask: action, version });
    try {
      const owner = await deps.edits.target(jobId);
      if (!owner) throw new UnrecoverableError(encodeFailure('job_not_found', 'The job no longer exists: it expired.'));
      if (action === 'export') await exportMask(jobId, version, owner);
      else await applyMask(jobId, version, owner.options, log);
      return { version };
    } catch (err) {
      if (err instanceof UnrecoverableError) throw err;
      const failure = failureOf(err, action);
      if (failure.code === 'processing_error') log.error({ err }, 'mask job failed');
      else log.info({ code: failure.code, reason: failure.message }, 'mask edit refused');
      if (action === 'apply') {
        await deps.edits
          .record(jobId, (previous) => ({ ...(previous ?? { version: 1 }), failed: { version, ...failure } }))
          .catch((e: unknown) => log.warn({ err: e }, 'edit failure not recorded'));
      }
      throw new UnrecoverableError(encodeFailure(failure.code, failure.message));
    } finally {
      if (action === 'apply') await deps.edits.end(jobId, version).catch(() => undefined);
    }
  };
}
