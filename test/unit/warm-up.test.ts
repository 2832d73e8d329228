// The worker's warm-up (engine.ts): before it takes jobs, one small photo goes through every model
// it loaded, so that a session's slow first run does not fall on a user's job. A model whose
// warm-up fails is logged, and the others still warm up.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import sharp from 'sharp';
import type { CutoutRequest, CutoutResult, Cutter } from '../../src/cutout/pipeline.js';
import { warmUp, warmUpPhoto } from '../../src/worker/engine.js';

describe('worker warm-up', () => {
  it('sends a decodable photo through every model, and survives a failure', async () => {
    const seen: { model?: string; width?: number; height?: number }[] = [];
    const cutter: Cutter = {
      modelName: 'first',
      modelNames: ['first', 'second', 'third'],
      async process(input: Buffer, _hook, request?: CutoutRequest): Promise<CutoutResult> {
        const { width, height } = await sharp(input).metadata();
        seen.push({ model: request?.model, width, height });
        if (request?.model === 'second') throw new Error('no session');
        return {} as CutoutResult;
      },
    };
    const lines: { msg?: string; model?: string }[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as { msg?: string }) });
    await warmUp(cutter, logger);
    assert.deepEqual(seen, ['first', 'second', 'third'].map((model) => ({ model, width: 320, height: 240 })));
    assert.deepEqual(
      lines.map((l) => [l.msg, l.model]),
      [
        ['warm-up failed: the first job will be slower', 'second'],
        ['models warmed up', undefined],
      ],
    );
  });

  it('makes a photo with a subject in the middle and a plain background', async () => {
    const { data, info } = await sharp(await warmUpPhoto()).raw().toBuffer({ resolveWithObject: true });
    const at = (x: number, y: number) => [...data.subarray((y * info.width + x) * 3, (y * info.width + x) * 3 + 3)];
    assert.ok(at(160, 120)[0]! > 150 && at(160, 120)[1]! < 80, `centre ${at(160, 120)}`);
    assert.ok(at(5, 5).every((v) => v > 180), `corner ${at(5, 5)}`);
  });
});
